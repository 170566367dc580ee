"""``monitor calibrate``: fit a scorer on the user's hand labels, and show, by k-fold
cross-validation on the same labels, whether it agrees with them better than stock VADER.

Calibration belongs to the user's topic: words that mark skepticism in one story do not
transfer to the next, so the product ships no fitted model, only this loop.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from monitor.errors import MonitorError
from monitor.evaluation import (
    agreement,
    confusion,
    labelled_period,
    probability_sums,
    stored_posts,
)
from monitor.files import written_whole
from monitor.labels import HandLabel
from monitor.language import detect
from monitor.models import LABELS
from monitor.quantify import Rates
from monitor.scoring import calibrated
from monitor.scoring.vader import VaderScorer, label_for
from monitor.store import Store

FOLDS = 10
# Cross-validation is repeated with other splits: the misclassification rates the published
# shares are adjusted by average over the repeats (less noise from one split's models).
REPEATS = 2
# Past this many labels, cross-validation's 21 fits cost too much (10,000 labels took 9.7
# minutes at 1.1 GB) and one held-out part measures as well: the model is fitted once, on at
# most MAX_FIT_LABELS of them (bounding time and memory whatever the sheet's size), and checked
# on the rest, at least HELD_OUT_SHARE of them. bench/calibrate_scale.py has the figures.
CV_LABELS = 5_000
MAX_FIT_LABELS = 20_000
HELD_OUT_SHARE = 0.2
# Fewer labels than this cannot be split into folds that say anything.
MIN_LABELS = 50
MIN_PER_LABEL = FOLDS
# The calibrated scorer reads a language only when this many labelled posts were in it ("und",
# posts too short to tell, included: the model learned from them too).
MIN_LANGUAGE_LABELS = 10


@dataclass
class Calibration:
    model: dict[str, Any]
    calibrated: dict[str, Any]  # out-of-fold (or held-out) agreement of the calibrated scorer
    stock: dict[str, Any]  # stock VADER's agreement on the same labels
    languages: dict[str, int]  # labelled posts per detected language
    checked: str  # how the agreement was measured, for the summary

    @property
    def beats_stock(self) -> bool:
        return self.calibrated["macro_f1"] > self.stock["macro_f1"]

    def summary(self) -> str:
        lines = [
            f"{self.checked}, 95% intervals (optimistic when opinion shifts: the checked "
            "labels share the labelled mix):"
        ]
        for name, result in (("stock VADER", self.stock), ("calibrated", self.calibrated)):
            f1, distance = result["macro_f1"], result["share_distance"]
            (f1_lo, f1_hi), (d_lo, d_hi) = (
                result["intervals"][k] for k in ("macro_f1", "share_distance")
            )
            lines.append(
                f"  {name:<12} macro-F1 {f1:.3f} ({f1_lo:.3f}-{f1_hi:.3f}), "
                f"share distance {distance:.3f} ({d_lo:.3f}-{d_hi:.3f})"
            )
        read = ", ".join(self.model["languages"]) or "none"
        counts = ", ".join(f"{lang} {n}" for lang, n in self.languages.items())
        lines.append(f"  reads: {read} (labelled posts by language: {counts})")
        kept = self.model["rates"]
        if not Rates.from_table(kept["confusion"], kept["source"]).tell_labels_apart:
            lines.append(
                "  warning: its misclassification rates do not tell the labels apart beyond "
                "their own sampling error (it labels these posts little better than chance): "
                "reports by it show every share 0-100% and raise no share alert; label more posts"
            )
        return "\n".join(lines)


def labelled_texts(
    stored: Mapping[tuple[str, str], dict], rows: Sequence[HandLabel]
) -> list[tuple[str, str]]:
    """(text, hand label) per row: a stored post's (``stored_posts``) text, else the row's
    own."""
    out = []
    for row in rows:
        post = stored.get(row.key) if row.key else None
        text = post["text"] if post else row.text
        if text is None:
            raise MonitorError(f"line {row.line}: post {row.platform}/{row.id} is not stored")
        out.append((text, row.label))
    return out


Progress = Callable[[int, int], object]  # (fits done, fits in all)


def out_of_fold(
    texts: list[str], truth: list[str], seed: int = 0, progress: Progress | None = None
) -> list[np.ndarray]:
    """Each text's label probabilities ([texts, 3], LABELS order) from a model fitted without
    it, once per repeat of the cross-validation."""
    from sklearn.model_selection import StratifiedKFold

    repeats = []
    for repeat in range(REPEATS):
        predicted = np.zeros((len(texts), len(LABELS)))
        folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed + repeat)
        for fold, (train, held_out) in enumerate(folds.split(texts, truth)):
            model = calibrated.fit([texts[i] for i in train], [truth[i] for i in train], [])
            predicted[held_out] = calibrated.probabilities(model, [texts[i] for i in held_out])
            if progress:
                progress(repeat * FOLDS + fold + 1, REPEATS * FOLDS + 1)
        repeats.append(predicted)
    return repeats


def most_probable(probabilities: np.ndarray) -> list[str]:
    return [LABELS[i] for i in probabilities.argmax(axis=1)]


def checked_rates(truth: Sequence[str], repeats: Sequence[np.ndarray], source: str) -> Rates:
    """The misclassification counts and probability sums of labels checked against
    ``truth`` (each repeat's probabilities; averaged over the repeats, so each row still
    sums to its label's number of hand labels, which is what the rates rest on)."""

    def average(tables: list[dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
        return {
            hand: {guess: sum(t[hand][guess] for t in tables) / len(tables) for guess in LABELS}
            for hand in LABELS
        }

    return Rates.from_table(
        average([confusion(truth, most_probable(p)) for p in repeats]),
        source,
        average([probability_sums(truth, p) for p in repeats]),
    )


def cross_validated_rates(
    truth: Sequence[str], repeats: Sequence[np.ndarray], measured: str = "at calibrate"
) -> Rates:
    return checked_rates(
        truth,
        repeats,
        f"{FOLDS}-fold cross-validation ({len(repeats)} repeats) on {len(truth)} hand labels "
        + measured,
    )


def _measured(
    stored: Mapping[tuple[str, str], dict], rows: Sequence[HandLabel], fitted: str = ""
) -> str:
    """When and on which posts calibrate measured its rates: "at calibrate on 2026-12-07
    (posts of 2025-11-01 to 2025-11-30)". The page shows it beside every adjusted share."""
    said = "; ".join(filter(None, (fitted, labelled_period(stored, rows))))
    return f"at calibrate on {datetime.now(UTC).date()}" + (f" ({said})" if said else "")


def calibrate(
    store: Store, rows: Sequence[HandLabel], seed: int = 0, progress: Progress | None = None
) -> Calibration:
    """Check the calibrated scorer against stock VADER on ``rows`` and fit it; the model keeps
    the misclassification rates measured on labels its check held out and the keys of the
    labels it was fitted on. Up to CV_LABELS labels: cross-validation, then a fit on all of
    them; more: one fit on at most MAX_FIT_LABELS, checked on the rest. ``progress`` is told
    of each fit."""
    stored = stored_posts(store, rows)
    pairs = labelled_texts(stored, rows)
    counts = Counter(label for _, label in pairs)
    short = [label for label in LABELS if counts[label] < MIN_PER_LABEL]
    if len(pairs) < MIN_LABELS or short:
        raise MonitorError(
            f"too few labels to calibrate: {len(pairs)} labelled posts "
            f"({', '.join(f'{label} {counts[label]}' for label in LABELS)}); at least "
            f"{MIN_LABELS}, and {MIN_PER_LABEL} of each label, are needed: label more posts"
        )
    texts, truth = [t for t, _ in pairs], [label for _, label in pairs]
    languages = Counter(detect(text) for text in texts)
    read = [lang for lang, n in languages.items() if n >= MIN_LANGUAGE_LABELS]
    if len(pairs) > CV_LABELS:
        return _calibrate_held_out(stored, rows, texts, truth, read, languages, seed, progress)
    stock = [label_for(n[0]) for n in VaderScorer().numbers(texts)]
    repeats = out_of_fold(texts, truth, seed, progress)
    model = calibrated.fit(
        texts,
        truth,
        read,
        rates=cross_validated_rates(truth, repeats, _measured(stored, rows)).as_dict(),
        fitted_on=sorted({row.fingerprint for row in rows}),
    )
    if progress:
        progress(REPEATS * FOLDS + 1, REPEATS * FOLDS + 1)
    return Calibration(
        model=model,
        calibrated=agreement(truth, most_probable(repeats[0]), seed),
        stock=agreement(truth, stock, seed),
        languages=dict(languages.most_common()),
        checked=f"{len(texts)} labelled posts; {FOLDS}-fold cross-validation",
    )


def _calibrate_held_out(
    stored: Mapping[tuple[str, str], dict],
    rows: Sequence[HandLabel],
    texts: list[str],
    truth: list[str],
    read: list[str],
    languages: Counter[str],
    seed: int,
    progress: Progress | None,
) -> Calibration:
    """One fit on at most MAX_FIT_LABELS labels (stratified, seeded), checked on the rest."""
    from sklearn.model_selection import train_test_split

    held = max(round(len(texts) * HELD_OUT_SHARE), len(texts) - MAX_FIT_LABELS)
    fit_on, check = train_test_split(
        range(len(texts)), test_size=held, stratify=truth, random_state=seed
    )
    if progress:
        progress(0, 2)
    model = calibrated.fit([texts[i] for i in fit_on], [truth[i] for i in fit_on], read)
    if progress:
        progress(1, 2)
    checked_texts, checked_truth = [texts[i] for i in check], [truth[i] for i in check]
    checked = calibrated.probabilities(model, checked_texts)
    predicted = most_probable(checked)
    stock = [label_for(n[0]) for n in VaderScorer().numbers(checked_texts)]
    model["rates"] = checked_rates(
        checked_truth,
        [checked],
        f"a held-out check on {len(check)} hand labels "
        + _measured(stored, [rows[i] for i in check], f"fitted on {len(fit_on)}"),
    ).as_dict()
    model["fitted_on"] = sorted({rows[i].fingerprint for i in fit_on})
    model["checksum"] = calibrated.checksum(model)
    if progress:
        progress(2, 2)
    return Calibration(
        model=model,
        calibrated=agreement(checked_truth, predicted, seed),
        stock=agreement(checked_truth, stock, seed),
        languages=dict(languages.most_common()),
        checked=(
            f"{len(texts)} labelled posts; fitted on {len(fit_on)}, checked on the other "
            f"{len(check)}"
        ),
    )


def write_model(model: dict[str, Any], path: Path) -> Path:
    """The model as JSON, written whole or not at all."""
    with written_whole(path) as staged:
        staged.write_text(json.dumps(model, sort_keys=True) + "\n", encoding="utf-8")
    return path
