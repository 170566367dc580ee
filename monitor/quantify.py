"""Daily shares that move as opinion moves: adjusted counts (quantification).

A scorer that is right on half to two thirds of posts pulls a share counted from its labels
(classify and count) toward the mix it was fitted on: a swing from 20% to 80% skeptical shows
as 35% to 55%. The adjusted count (ACC, Forman 2008; QuaPy's ``ACC``) undoes that with the
scorer's measured misclassification rates: if M[j, i] is the chance that a post whose true
label is i gets label j, the labels counted on a day are q = M p, so the day's true split is
p = M⁻¹ q, put back on the simplex (no share below 0 or above 1). For a scorer whose numbers
are label probabilities (a calibrated model), q is the day's mean probabilities and M the mean
probabilities by hand label (PACC, Bella et al. 2010; QuaPy's ``PACC``): it wastes less of what
the model knows than its labels do, and measured closer on every tuning set.

The 95% interval is a bootstrap over both things the estimate rests on: the labelled posts
behind M (each hand label's row resampled) and the day's posts (its label counts resampled).

The published point weighs the adjusted count against the plain count by their measured
errors (``blend``): the count is close when a day's mix is near the labelled mix and biased
otherwise, the adjusted count unbiased but noisy when M rests on a few hundred labels. When the
two differ by less than their difference's bootstrap noise can explain, the count is kept; when
they differ by more, the adjusted count is published. ``bench/trend_fidelity.py --tune`` is
the measurement behind the choice (tuning rows only, never a test split).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from monitor.models import LABELS

Z95 = 1.959963984540054
BOOTSTRAP_ROUNDS = 1000
SEED = 20261205  # fixed: the same counts and rates give the same interval on every run
# The published share: the count while it is within half a standard error of the adjusted
# count, the adjusted count beyond one and a half (chosen on tuning rows, bench/trend_fidelity.py
# --tune: the slope of the adjusted count on most sets, a smaller error on the labelled mix).
KEEP_COUNT_BELOW, ADJUST_ABOVE = 0.5, 1.5
# The interval's draws of the rates are spread as if the labelled posts were this many times
# fewer: the days' posts differ from the labelled sample in ways no count can see (a set's dev
# or val rows against its train rows), so the rates' own sampling error understates their
# error. The blend weighs count against adjusted count by the plain draws.
RATE_INFLATION = 4.0
# Rows bootstrapped together: bounds the draws in memory (128 rows x 1,000 rounds x 3 labels,
# 3 MB an array) however many days, tags and platforms a report holds; small arrays also
# reuse memory a fresh report process would otherwise fault in anew for every call.
ROWS_PER_BLOCK = 128


@dataclass(frozen=True)
class Rates:
    """A scorer's measured misclassification counts: ``confusion[i][j]`` hand-labelled posts of
    label i (LABELS order) that the scorer labelled j, and where they were measured."""

    confusion: tuple[tuple[float, ...], ...]  # averaged over repeats: may be fractional
    source: str  # "a held-out check on 300 hand labels (labels.csv, 2026-12-05)", ...
    # For a scorer whose numbers are label probabilities: ``probabilities[i][j]``, its
    # P(label j) summed over the hand-labelled posts of label i (what PACC adjusts by).
    probabilities: tuple[tuple[float, ...], ...] | None = None

    @classmethod
    def from_table(
        cls,
        table: dict[str, dict[str, float]],
        source: str,
        probabilities: dict[str, dict[str, float]] | None = None,
    ) -> Rates:
        """From ``{hand: {predicted: count}}`` tables (``evaluation.confusion`` builds the
        counts; ``probabilities`` sums the scorer's probabilities the same way)."""
        return cls(
            _rows(table), source, _rows(probabilities) if probabilities is not None else None
        )

    @staticmethod
    def valid(table: Any) -> bool:
        """A ``{hand: {predicted: count}}`` table of finite counts, none negative."""
        try:
            cells = [table[h][p] for h in LABELS for p in LABELS]
        except (KeyError, TypeError):
            return False
        if not all(type(cell) in (int, float) for cell in cells):
            return False
        counts = np.array(cells, dtype=float)
        return bool(np.isfinite(counts).all() and (counts >= 0).all())

    @property
    def n(self) -> int:
        return round(sum(map(sum, self.confusion)))

    @property
    def missing(self) -> tuple[str, ...]:
        """The labels no hand-labelled post had (M lacks their columns: a stance sheet of
        favor and against alone, say)."""
        hand = np.asarray(self.confusion, dtype=float).sum(axis=1)
        return tuple(label for label, n in zip(LABELS, hand, strict=True) if n <= 0)

    @property
    def usable(self) -> bool:
        """Every label has hand-labelled posts (M has a column for each)."""
        return not self.missing

    @cached_property
    def draws(self) -> np.ndarray:
        """Bootstrap draws of M (``rate_draws``): seeded, so the same for every row of a
        report; drawn once."""
        return rate_draws(np.asarray(self.confusion, dtype=float))

    @cached_property
    def tell_labels_apart(self) -> bool:
        """Whether M can be inverted beyond its own sampling error: its determinant keeps its
        sign (positive: each label most often given to its own posts) on at least 97.5% of
        its bootstrap draws. If not, the scorer labels posts little better than chance and
        no adjustment can recover the day's split from its labels. Measured on
        cross-validated rates of 500 train labels (``bench/trend_fidelity.py``'s sets, seeds
        0-2; no test split): it failed for xlmt's Hindi and Spanish only (two seeds of three),
        whose scorer was right on 32-49% of posts and whose adjusted shares were further from
        the truth than the count; the lowest 2.5th percentile of the determinant elsewhere
        was 0.013. Cached: every share, alert and comparison of a report asks."""
        return bool((np.linalg.det(self.draws) > 0).mean() >= 0.975)

    def pooled(self, other: Rates) -> Rates:
        """Both measurements' counts together (probability sums only when both have them)."""

        def add(a: tuple | None, b: tuple | None) -> tuple | None:
            if a is None or b is None:
                return None
            return tuple(map(tuple, (np.asarray(a) + np.asarray(b)).tolist()))

        return Rates(
            add(self.confusion, other.confusion),
            f"{self.source} and {other.source}",
            add(self.probabilities, other.probabilities),
        )

    def as_dict(self) -> dict[str, Any]:
        kept = {"confusion": _table(self.confusion), "source": self.source, "n": self.n}
        if self.probabilities is not None:
            kept["probabilities"] = _table(self.probabilities)
        return kept


def _rows(table: dict[str, dict[str, float]]) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(float(table[h][p]) for p in LABELS) for h in LABELS)


def _table(rows: tuple[tuple[float, ...], ...]) -> dict[str, dict[str, float]]:
    return {
        hand: dict(zip(LABELS, row, strict=True)) for hand, row in zip(LABELS, rows, strict=True)
    }


def matrix(confusion: np.ndarray) -> np.ndarray:
    """M[..., j, i] = P(scorer says j | hand label i) from confusion counts [..., i, j]."""
    rows = confusion.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = np.where(rows > 0, confusion / rows, 0.0)
    return np.swapaxes(rates, -1, -2)


def rate_draws(confusion: np.ndarray) -> np.ndarray:
    """Bootstrap draws of M ([rounds, 3, 3]): each hand label's row of the confusion counts
    resampled. Seeded: the same rates give the same draws in every report."""
    rng = np.random.default_rng(SEED)
    drawn = np.stack(
        [
            rng.multinomial(round(row.sum()), row / row.sum(), size=BOOTSTRAP_ROUNDS)
            for row in confusion
        ],
        axis=1,
    ).astype(float)  # [rounds, hand label, predicted]
    return matrix(drawn)


def to_simplex(v: np.ndarray) -> np.ndarray:
    """The Euclidean projection of each vector in the last axis onto the probability simplex."""
    k = v.shape[-1]
    ordered = -np.sort(-v, axis=-1)
    cumulative = np.cumsum(ordered, axis=-1) - 1
    steps = np.arange(1, k + 1)
    inside = ordered - cumulative / steps > 0
    last = k - 1 - np.argmax(inside[..., ::-1], axis=-1)
    theta = np.take_along_axis(cumulative, last[..., None], axis=-1) / (last[..., None] + 1)
    return np.clip(v - theta, 0, None)


def adjust(observed: np.ndarray, rates: np.ndarray) -> np.ndarray:
    """Adjusted shares: observed label shares [..., 3] through M⁻¹ (M: [..., 3, 3], broadcast
    against them), on the simplex. A singular M (a bootstrap draw that lost a label) leaves
    the observed shares."""
    solvable = np.abs(np.linalg.det(rates)) > 1e-9
    inverse = np.linalg.inv(np.where(solvable[..., None, None], rates, np.eye(3)))
    solved = np.einsum("...ij,...j->...i", inverse, observed)
    solved = np.where(solvable[..., None], solved, observed)
    outside = (solved < 0).any(axis=-1)  # only these need the projection
    solved[outside] = to_simplex(solved[outside])
    return solved


@dataclass(frozen=True)
class Estimate:
    """Shares per row and label (LABELS order) with their 95% intervals."""

    share: np.ndarray  # [rows, 3]; NaN where a row has no scored post
    lo: np.ndarray
    hi: np.ndarray


def wilson_interval(k: np.ndarray, n: np.ndarray, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """The Wilson score interval for k successes in n trials; NaN where n is 0."""
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def count_shares(counts: np.ndarray) -> np.ndarray:
    n = counts.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, counts / n, np.nan)


def shares(
    counts: np.ndarray, rates: Rates | None, probabilities: np.ndarray | None = None
) -> Estimate:
    """The published shares of rows of label counts ([rows, 3], LABELS order): adjusted by
    ``rates`` (``estimate``; by the posts' summed label ``probabilities`` too when the rates
    carry theirs), or counted with Wilson intervals when there are none."""
    counts = np.asarray(counts, dtype=float).reshape(-1, 3)
    if rates is not None:
        return estimate(counts, rates, probabilities)
    n = counts.sum(axis=1)
    bounds = [wilson_interval(counts[:, i], n) for i in range(3)]
    return Estimate(
        count_shares(counts),
        np.stack([lo for lo, _ in bounds], axis=1),
        np.stack([hi for _, hi in bounds], axis=1),
    )


def estimate(
    counts: np.ndarray,
    rates: Rates,
    probabilities: np.ndarray | None = None,
) -> Estimate:
    """The published shares of rows of label counts ([rows, 3], LABELS order): each row's
    count blended with its adjusted count, and a 95% interval that holds the sampling of the
    day's posts and of the labelled posts behind the rates. With the rows' summed label
    ``probabilities`` and rates that carry theirs, the adjusted count is the
    probability-weighted one (PACC), and the bootstrap's draws of the plain adjusted count
    move with it (the day's probabilities alone cannot be resampled: their sums are kept,
    not each post's). Rows without a scored post are NaN."""
    counts = np.asarray(counts, dtype=float).reshape(-1, 3)
    observed = count_shares(counts)
    if not rates.tell_labels_apart:  # the labels say nothing of the split: any share fits
        nan = np.where(np.isnan(observed), np.nan, 1.0)
        return Estimate(observed, np.zeros_like(observed) * nan, np.ones_like(observed) * nan)
    share, lo, hi = (np.full_like(observed, np.nan) for _ in range(3))
    filled = counts.sum(axis=1) > 0
    # Rows with the same counts have the same draws (seeded by the counts): drawn once. Hours
    # and small platforms repeat a few counts over and over.
    distinct, row_of = np.unique(counts[filled], axis=0, return_inverse=True)
    row_of = row_of.reshape(-1)  # numpy 2.0 gave it the input's shape
    noise, low, high = np.empty(len(distinct)), np.empty_like(distinct), np.empty_like(distinct)
    for start in range(0, len(distinct), ROWS_PER_BLOCK):
        block = slice(start, start + ROWS_PER_BLOCK)
        noise[block], low[block], high[block] = _bootstrapped(distinct[block], rates)
    counted = observed[filled]
    adjusted = adjust(counted, matrix(np.asarray(rates.confusion, dtype=float)))
    shift = np.zeros_like(adjusted)
    if probabilities is not None and rates.probabilities is not None:
        weighed = count_shares(np.asarray(probabilities, dtype=float).reshape(-1, 3)[filled])
        shift = adjust(weighed, matrix(np.asarray(rates.probabilities, dtype=float))) - adjusted
    point = blend(counted, adjusted + shift, noise[row_of])
    low, high = np.clip(low[row_of] + shift, 0, 1), np.clip(high[row_of] + shift, 0, 1)
    share[filled], lo[filled], hi[filled] = point, np.minimum(low, point), np.maximum(high, point)
    return Estimate(share, lo, hi)


def _bootstrapped(counts: np.ndarray, rates: Rates) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For rows of label counts (each with a scored post): the standard error of the
    difference between adjusted and counted shares (``blend`` weighs by it), and the 2.5th
    and 97.5th percentiles of the adjusted shares, drawn with the rates spread
    (``inflated``). PACC's shift (each row's own, from its probabilities) moves a row's draws
    all alike: it moves the percentiles by itself and leaves the standard error alone, so it
    is added to these after."""
    confusion, drawn_rates = np.asarray(rates.confusion, dtype=float), rates.draws
    rounds = len(drawn_rates)
    n = counts.sum(axis=1)
    observed = counts / n[:, None]
    # Each row's draws are seeded by its own counts: a day's interval is the same in every
    # report that shows it, whatever else the report holds.
    day = np.stack(
        [
            np.random.default_rng([SEED, *map(int, row)]).multinomial(int(total), share, rounds)
            for row, total, share in zip(counts, n, observed, strict=True)
        ]
    )
    day_shares = day / n[:, None, None]  # [rows, rounds, 3]
    adjusted_draws = adjust(day_shares, drawn_rates[None])
    noise = np.sqrt((adjusted_draws - day_shares).var(axis=1).sum(axis=-1))
    interval_draws = adjust(day_shares, inflated(drawn_rates, matrix(confusion))[None])
    low, high = np.percentile(interval_draws, [2.5, 97.5], axis=1)
    return noise, low, high


def inflated(drawn: np.ndarray, rates: np.ndarray) -> np.ndarray:
    """Bootstrap draws of M spread ``RATE_INFLATION`` times as wide in variance around M (as
    if the labelled posts were that many times fewer), each column back on the simplex."""
    spread = rates + np.sqrt(RATE_INFLATION) * (drawn - rates)
    spread = np.clip(spread, 0, None)
    return spread / spread.sum(axis=-2, keepdims=True)


def blend(counted: np.ndarray, adjusted: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """The count and the adjusted count weighed by how far apart they are in standard errors
    of their difference (z, with ``noise`` that standard error): the count below
    ``KEEP_COUNT_BELOW``, the adjusted count above ``ADJUST_ABOVE``, a straight mix between
    (see the module's text)."""
    gap = np.sqrt(((adjusted - counted) ** 2).sum(axis=-1))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(noise > 0, gap / noise, np.inf)
    weight = np.clip((z - KEEP_COUNT_BELOW) / (ADJUST_ABOVE - KEEP_COUNT_BELOW), 0, 1)
    return counted + weight[:, None] * (adjusted - counted)
