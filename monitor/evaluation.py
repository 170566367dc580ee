"""How far the scorer's labels agree with people's: the numbers behind "how far to trust these
labels", computed on hand labels (``monitor evaluate``) and inside calibration's
cross-validation alike."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from monitor.errors import MonitorError
from monitor.labels import HandLabel
from monitor.models import LABELS, Score
from monitor.scoring.base import Scorer
from monitor.store import Store

BOOTSTRAP_ROUNDS = 1000


def confusion(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, dict[str, int]]:
    """Counts by hand label (rows) and predicted label (columns)."""
    counts = Counter(zip(truth, predicted, strict=True))
    return {hand: {guess: counts[hand, guess] for guess in LABELS} for hand in LABELS}


def per_class(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, dict[str, float]]:
    """Precision, recall and F1 of each label (0 where undefined)."""
    table = confusion(truth, predicted)
    out = {}
    for label in LABELS:
        tp = table[label][label]
        predicted_n = sum(table[hand][label] for hand in LABELS)
        actual_n = sum(table[label].values())
        precision = tp / predicted_n if predicted_n else 0.0
        recall = tp / actual_n if actual_n else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[label] = {"precision": precision, "recall": recall, "f1": f1, "n": actual_n}
    return out


def macro_f1(truth: Sequence[str], predicted: Sequence[str]) -> float:
    return sum(c["f1"] for c in per_class(truth, predicted).values()) / len(LABELS)


def accuracy(truth: Sequence[str], predicted: Sequence[str]) -> float:
    return sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth)


def shares(labels: Sequence[str]) -> dict[str, float]:
    counts = Counter(labels)
    return {label: counts[label] / len(labels) for label in LABELS}


def share_distance(truth: Sequence[str], predicted: Sequence[str]) -> float:
    """Total-variation distance between the two label splits: how far the daily split the
    scorer would publish is from the one people would."""
    a, b = shares(truth), shares(predicted)
    return sum(abs(a[label] - b[label]) for label in LABELS) / 2


def bootstrap(
    truth: Sequence[str], predicted: Sequence[str], seed: int = 0, rounds: int = BOOTSTRAP_ROUNDS
) -> dict[str, Any]:
    """The 95% percentile interval [lo, hi] of every agreement figure over resamplings of
    the labelled posts (seeded: the same labels give the same intervals), stretched to hold
    the figure itself (a share distance near 0 resamples only above it: 0.00 with 0.01-0.11
    would read as a contradiction). Resampling the posts is drawing each round's confusion
    table from a multinomial over its nine cells, so every figure is computed from those
    tables at once (the labels' own table first): 80,000 labels take milliseconds."""
    import numpy as np

    table = confusion(truth, predicted)
    cells = np.array([[table[h][p] for p in LABELS] for h in LABELS], dtype=float).ravel()
    draws = np.random.default_rng(seed).multinomial(len(truth), cells / cells.sum(), rounds)
    tables = np.concatenate([cells[None], draws]).reshape(rounds + 1, len(LABELS), len(LABELS))
    n = tables.sum(axis=(1, 2))
    hits = np.einsum("rii->ri", tables)
    actual, guessed = tables.sum(axis=2), tables.sum(axis=1)  # per label: by hand, by scorer
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.nan_to_num(2 * hits / (actual + guessed))  # 2PR/(P+R), 0 where undefined
    labelled, shown = actual / n[:, None], guessed / n[:, None]
    figures = {
        "accuracy": hits.sum(axis=1) / n,
        "macro_f1": f1.mean(axis=1),
        "share_distance": np.abs(labelled - shown).sum(axis=1) / 2,
    }

    def interval(values: Any) -> list[float]:
        lo, hi = np.quantile(values[1:], [0.025, 0.975], method="lower")
        return [float(min(lo, values[0])), float(max(hi, values[0]))]

    return {
        **{name: interval(values) for name, values in figures.items()},
        "shares": {
            source: {label: interval(split[:, i]) for i, label in enumerate(LABELS)}
            for source, split in (("labelled", labelled), ("predicted", shown))
        },
    }


def agreement(truth: Sequence[str], predicted: Sequence[str], seed: int = 0) -> dict[str, Any]:
    """Every agreement figure for two aligned label lists; ``intervals`` holds each one's 95%
    bootstrap interval as [lo, hi]."""
    overall = {"accuracy": accuracy, "macro_f1": macro_f1, "share_distance": share_distance}
    return {
        "n": len(truth),
        **{name: statistic(truth, predicted) for name, statistic in overall.items()},
        "per_class": per_class(truth, predicted),
        "confusion": confusion(truth, predicted),
        "shares": {"labelled": shares(truth), "predicted": shares(predicted)},
        "intervals": bootstrap(truth, predicted, seed),
    }


def stored_posts(store: Store, rows: Sequence[HandLabel]) -> dict[tuple[str, str], dict]:
    """The stored posts the label rows name (``Store.labelled_posts``), read once for all
    that is asked of them: texts, scores and days."""
    return store.labelled_posts([row.key for row in rows if row.key])


def predictions(
    stored: Mapping[tuple[str, str], dict], scorer: Scorer, rows: Sequence[HandLabel]
) -> list[tuple[HandLabel, Score]]:
    """(hand label, the scorer's score: no label when it does not read the text) per row: a
    stored post's (``stored_posts``) stored score when the active scorer version gave it, else
    the text scored now (a stored post's own text, or the row's)."""
    texts: list[str] = []
    out: list[tuple[HandLabel, Score] | None] = []
    waiting: list[tuple[int, HandLabel]] = []
    for row in rows:
        post = stored.get(row.key) if row.key else None
        if post and post["scorer_version"] == scorer.version:
            out.append((row, post["score"]))
            continue
        text = post["text"] if post else row.text
        if text is None:  # a post that is not stored and no text to score
            out.append(None)
            continue
        waiting.append((len(out), row))
        out.append(None)
        texts.append(text)
    for (index, row), score in zip(waiting, scorer.score(texts), strict=True):
        out[index] = (row, score)
    missing = [row.line for row, result in zip(rows, out, strict=True) if result is None]
    if missing:
        raise MonitorError(
            f"{len(missing)} labelled rows name a post that is not stored and have no text "
            f"(lines {', '.join(map(str, missing[:10]))})"
        )
    return [result for result in out if result is not None]


def labelled_period(
    stored: Mapping[tuple[str, str], dict], rows: Sequence[HandLabel]
) -> str | None:
    """Which days the labelled posts among ``rows`` were written on ("posts of 2025-11-01 to
    2025-11-30", and how many of the labels those are when some are not stored posts), from
    ``stored_posts``, or None when none is: rates measured on one period's posts cannot see
    the scorer label a later period's differently, so the shares adjusted by them say which
    period that was."""
    days = sorted(stored[row.key]["created_at"][:10] for row in rows if row.key in stored)
    if not days:
        return None
    span = days[0] if days[0] == days[-1] else f"{days[0]} to {days[-1]}"
    some = "" if len(days) == len(rows) else f" ({len(days)} of the {len(rows)} labels)"
    return f"posts of {span}{some}"


def probability_sums(
    truth: Sequence[str], probabilities: Sequence[Sequence[float]]
) -> dict[str, dict[str, float]]:
    """The scorer's label probabilities (each text's P(negative), P(neutral), P(positive))
    summed by hand label (rows) and label (columns), as ``confusion`` counts labels: the
    ``probabilities`` of ``quantify.Rates``."""
    sums = {hand: dict.fromkeys(LABELS, 0.0) for hand in LABELS}
    for hand, row in zip(truth, probabilities, strict=True):
        for label, p in zip(LABELS, row, strict=True):
            sums[hand][label] += float(p)
    return sums


def evaluate(
    store: Store, scorer: Scorer, rows: Sequence[HandLabel], seed: int = 0
) -> dict[str, Any]:
    """How the active scorer's labels agree with ``rows``; rows it does not score (other
    languages) are counted apart, never as errors or as neutral. Rows the scorer was fitted
    on are left out (a check on them says nothing), and counted; none left is an error."""
    fitted = scorer.fitted_on
    held = [row for row in rows if row.fingerprint not in fitted]
    if not held:
        raise MonitorError(
            f"the scorer was fitted on all {len(rows)} of these labelled posts, so they cannot "
            "check it: label posts it has not seen (monitor sample) and evaluate on those"
        )
    stored = stored_posts(store, held)
    results = predictions(stored, scorer, held)
    scored = [(row.label, score) for row, score in results if score.label is not None]
    not_scored = Counter(score.language for _, score in results if score.label is None)
    if not scored:
        raise MonitorError("the scorer scored none of the labelled posts: nothing to compare")
    truth, predicted = [t for t, _ in scored], [score.label for _, score in scored]
    probabilities = (
        {"probabilities": probability_sums(truth, [(s.neg, s.neu, s.pos) for _, s in scored])}
        if scorer.gives_probabilities
        else {}
    )
    return {
        "scorer_version": scorer.version,
        "scorer": scorer.name,
        "labelled": len(results),
        "held_out": True,  # every label checked is one the scorer was not fitted on
        "left_out": len(rows) - len(held),
        "period": labelled_period(stored, held),
        **agreement(truth, predicted, seed),
        "not_scored": len(results) - len(scored),
        "not_scored_by_language": dict(not_scored.most_common()),
        **probabilities,
    }
