"""Judgements on trend frames: unusual volume, share shifts, differences beyond chance, and
gaps in collection. Pure functions over small DataFrames and run records; the rules and their
parameters are published in the config (``[analysis]``) and in every report."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from statistics import NormalDist
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from monitor.models import LABELS
from monitor.quantify import Z95, Rates, wilson_interval
from monitor.settings import Analysis
from monitor.text import parse_timestamp, wall_clock
from monitor.trends import published_shares

MAD_SCALE = 1.4826  # makes the MAD estimate a standard deviation for normal data
MIN_HISTORY = 3  # periods of history (since the tag's first post) before alerts can fire
# Days whose steps measure how much a tag's days differ beyond their sampling (share alerts):
# on days wandering by 5 points, 28 halved the false alarms of 7 (bench/trend_fidelity.py).
SPREAD_DAYS = 28


@dataclass(frozen=True)
class Alert:
    """Something moved: what, by how much, against what baseline."""

    kind: str  # "volume" or "share"
    tag: str
    period: pd.Timestamp
    value: float  # posts, or a share
    baseline: float  # median posts, or the baseline share
    z: float
    n: int
    label: str | None = None  # for share alerts
    # For a share alert whose published shares are not the counted ones (adjusted): the share
    # of the scorer's labels on the day and over the baseline, which z is judged on.
    labelled: tuple[float, float] | None = None
    # For a share alert: the standard deviation by which the tag's consecutive days differed
    # beyond their sampling, which z weighed (0 when they did not, beyond chance).
    spread: float = 0.0

    def describe(self, display: dict[str, str], baseline_days: int) -> str:
        hourly = self.period.tz is not None  # hourly periods carry their zone; days do not
        when = wall_clock(self.period.to_pydatetime(), "%a %d %b %H:00" if hourly else "%a %d %b")
        if self.kind == "volume":
            ratio = f"{self.value / self.baseline:.1f}x" if self.baseline else "from zero"
            return (
                f"#{self.tag} volume spike on {when}: {self.value:.0f} posts against a median "
                f"of {self.baseline:.0f} over the previous {baseline_days} days ({ratio}, "
                f"robust z = {self.z:.1f})"
            )
        direction = "up" if self.value > self.baseline else "down"
        spread = (
            f"; its days differ by {self.spread * 100:.0f} points beyond their sampling"
            if self.spread
            else ""
        )
        labels = (
            f"; the scorer's labels: {self.labelled[0]:.0%} against {self.labelled[1]:.0%}"
            if self.labelled
            else ""
        )
        return (
            f"#{self.tag} {display[self.label]} share {direction} on {when}: "
            f"{self.value:.0%} of {self.n} scored posts against {self.baseline:.0%} over the "
            "previous "
            f"{baseline_days} days ({(self.value - self.baseline) * 100:+.0f} points, "
            f"z = {self.z:.1f}{spread}{labels})"
        )


def _periods_per_day(frame: pd.DataFrame) -> int:
    periods = frame["period"].sort_values().drop_duplicates()
    if len(periods) < 2:
        return 1
    return 24 if (periods.iloc[1] - periods.iloc[0]) <= pd.Timedelta(hours=1) else 1


def volume_spikes(frame: pd.DataFrame, rules: Analysis) -> list[Alert]:
    """Periods whose post count is far above the median of the previous ``baseline_days``
    (robust z with a Poisson floor, so a flat series raises nothing). The baseline starts at
    the tag's first post, leaves out periods nothing collected (a ``collected`` column, when
    the frame has one) and needs three periods before anything is flagged."""
    alerts = []
    window = rules.baseline_days * _periods_per_day(frame)
    for tag, rows in frame.groupby("tag", sort=False):
        rows = rows.sort_values("period")
        counts = rows["n"].to_numpy(dtype=float)
        known = rows["collected"].to_numpy(dtype=bool) if "collected" in rows else None
        # Periods before the tag's first post are no baseline (collection had not started).
        first = int(np.argmax(counts > 0)) if counts.any() else len(counts)
        for t in range(len(counts)):
            lo = max(first, t - window)
            base = counts[lo:t] if known is None else counts[lo:t][known[lo:t]]
            if len(base) < MIN_HISTORY or counts[t] < rules.min_posts:
                continue
            median = float(np.median(base))
            scale = max(MAD_SCALE * float(np.median(np.abs(base - median))), math.sqrt(median), 1.0)
            z = (counts[t] - median) / scale
            if z >= rules.volume_z:
                alerts.append(
                    Alert(
                        "volume", tag, rows["period"].iloc[t], counts[t], median, z, int(counts[t])
                    )
                )
    return alerts


def share_shifts(
    frame: pd.DataFrame,
    rules: Analysis,
    labels: Sequence[str] = ("negative", "positive"),
    rates: Rates | None = None,
) -> list[Alert]:
    """Periods whose share of a label moved more than ``share_z`` standard errors of the
    difference from its share over the previous ``baseline_days`` (the periods weighed by their
    scored posts; both the period and the baseline are samples).

    Beyond chance is judged on the labels counted (``n_<label>``; the standard error read off
    the period's and the baseline's Wilson intervals, and how much consecutive periods of the
    previous ``SPREAD_DAYS`` differ beyond their sampling, ``between_periods``): a scorer labels
    the posts of an unchanged mix alike on every day, whatever its error rates, so a change in
    the counted share is a change in opinion. An adjusted share's interval also holds the rates'
    error, which is the same on every day and would hide real moves (``bench/trend_fidelity.py
    --alerts``). The alert shows the published shares, and fires only when they moved the same
    way. With ``rates`` that cannot tell the labels apart (``Rates.tell_labels_apart``), a
    counted move says nothing of opinion: nothing fires."""
    if rates is not None and not rates.tell_labels_apart:
        return []
    alerts = []
    window = rules.baseline_days * _periods_per_day(frame)
    spread_window = history_days(rules) * _periods_per_day(frame)
    for tag, rows in frame.groupby("tag", sort=False):
        rows = rows.sort_values("period")
        n = rows["n_scored"].to_numpy(dtype=float)  # shares rest on the scored posts
        for label in labels:
            share = np.nan_to_num(rows[f"share_{label}"].to_numpy(dtype=float))
            label_counts = rows[f"n_{label}"].to_numpy(dtype=float)
            counted = np.divide(label_counts, n, out=np.zeros_like(n), where=n > 0)
            lo, hi = wilson_interval(label_counts, n)
            for t in range(len(n)):
                before = slice(max(0, t - window), t)
                base_n = n[before].sum()
                if n[t] < rules.min_posts or base_n < rules.min_posts:
                    continue
                p0 = float((share * n)[before].sum() / base_n)
                base_count = label_counts[before].sum()
                q0 = float(base_count / base_n)
                base_lo, base_hi = wilson_interval(base_count, base_n)
                up = counted[t] > q0  # each interval's side toward the other share
                half = counted[t] - lo[t] if up else hi[t] - counted[t]
                base_half = base_hi - q0 if up else q0 - base_lo
                # The baseline is a sample too; an interval of no width still has some doubt.
                sampling = max(math.hypot(half, base_half) / Z95, 0.5 / n[t])
                if abs(counted[t] - q0) < rules.share_z * sampling:
                    continue  # within share_z of sampling alone: the days' spread only widens it
                # Days differ by more than their posts' sampling: the day and the baseline's
                # days each carry the variance by which consecutive days differ.
                steps = slice(max(0, t - spread_window), t)
                spread = between_periods(counted[steps], n[steps], q0)
                se = math.sqrt(sampling**2 + spread * (1 + (n[before] ** 2).sum() / base_n**2))
                z = (counted[t] - q0) / se
                if abs(z) >= rules.share_z and (share[t] - p0) * z > 0:
                    differs = not np.isclose([share[t], p0], [counted[t], q0]).all()
                    alerts.append(
                        Alert(
                            "share",
                            tag,
                            rows["period"].iloc[t],
                            share[t],
                            p0,
                            z,
                            int(n[t]),
                            label,
                            (float(counted[t]), q0) if differs else None,
                            math.sqrt(spread),
                        )
                    )
    return alerts


def history_days(rules: Analysis) -> int:
    """Days before a day that its alerts read: the baseline, and the days whose steps
    measure how much the tag's days differ (``SPREAD_DAYS``)."""
    return max(rules.baseline_days, SPREAD_DAYS)


def between_periods(shares: np.ndarray, n: np.ndarray, pooled: float) -> float:
    """The variance by which consecutive periods' true shares differ beyond their sampling,
    from their counted ``shares`` of ``n`` posts each (in time order) and the binomial error
    at their ``pooled`` share: half the mean squared step between consecutive periods less
    the steps' sampling (von Neumann's successive differences), when those steps exceed
    their sampling beyond chance (at 5%), else 0.

    A tag's days differ in what was said on them; on 2,000 posts a day whose true share
    wandered by 5 points, sampling error alone flagged 24% of ordinary days. Steps, not
    spread around the baseline's mean: a real move three days earlier is one step, which
    the spread around the mean counts on every day after it (a second 10-point move was
    then flagged 44-53% of the time, against 81-97% with steps and 93-100% with no spread;
    ``bench/trend_fidelity.py --tune --alerts --wander/--moved``; docs/shares.md)."""
    seen = n > 0
    if seen.sum() < MIN_HISTORY or not 0 < pooled < 1:
        return 0.0
    sampling = pooled * (1 - pooled) / n[seen]
    steps = np.diff(shares[seen]) ** 2
    noise = sampling[1:] + sampling[:-1]
    if float((steps / noise).sum()) <= chi_square_95(len(steps)):
        return 0.0
    return max(0.0, float((steps - noise).sum()) / (2 * len(steps)))


def chi_square_95(freedom: int) -> float:
    """The 95th percentile of chi-square with ``freedom`` degrees of freedom (Wilson and
    Hilferty's cube-root approximation: 12.57 for 6, against 12.59 exact), without loading
    scipy.stats into every command."""
    step = 2 / (9 * freedom)
    return freedom * (1 - step + NormalDist().inv_cdf(0.95) * math.sqrt(step)) ** 3


@dataclass(frozen=True)
class Difference:
    """Two groups (platforms or tags) whose share of a label differs beyond chance."""

    label: str
    a: str
    b: str
    share_a: float
    share_b: float
    n_a: int
    n_b: int
    z: float
    p: float

    def describe(self, display: dict[str, str]) -> str:
        more = "more" if self.share_a > self.share_b else "less"
        return (
            f"{self.a} is {more} {display[self.label]} than {self.b}: {self.share_a:.0%} vs "
            f"{self.share_b:.0%} (n scored = {self.n_a} vs {self.n_b}; z = "
            f"{self.z:.1f}, p = {self.p:.2g})"
        )


def compare_groups(
    frame: pd.DataFrame,
    key: str,
    rules: Analysis,
    rates: Rates | None = None,
    labels: Sequence[str] = ("negative", "positive"),
) -> list[Difference]:
    """Pairs of ``key`` groups (platforms or tags), summed over the rows given, whose shares
    of a label differ at the family-wise ``alpha`` (Bonferroni over all pairs and labels).
    As for ``share_shifts``, beyond chance is judged on the labels counted (z: the difference
    of the counted shares over their Wilson standard errors; the scorer labels two groups of
    the same mix alike, whatever its error rates), and the published shares (adjusted by
    ``rates`` when given, as the report's) are shown, when they differ the same way. Shares
    rest on the scored posts; groups with fewer than ``min_posts`` of them are not compared,
    nor any with ``rates`` that cannot tell the labels apart."""
    if rates is not None and not rates.tell_labels_apart:
        return []
    summed = [
        c for c in ("n_scored", "n_negative", "n_positive", "sum_compound", "sum_neg") if c in frame
    ]
    totals = frame.groupby(key)[summed].sum()
    totals = totals[totals["n_scored"] >= rules.min_posts]
    published = published_shares(totals, rates)
    pairs = list(itertools.combinations(range(len(totals)), 2))
    tests = len(pairs) * len(labels)
    found = []
    scored = totals["n_scored"].to_numpy(dtype=float)
    for label in labels:
        share = published.share[:, LABELS.index(label)]
        label_counts = totals[f"n_{label}"].to_numpy(dtype=float)
        counted = label_counts / scored
        lo, hi = wilson_interval(label_counts, scored)
        se = (hi - lo) / (2 * Z95)
        for a, b in pairs:
            spread = math.hypot(se[a], se[b])
            z = (counted[a] - counted[b]) / spread if spread else 0.0
            p = math.erfc(abs(z) / math.sqrt(2))
            if p * tests < rules.alpha and (share[a] - share[b]) * z > 0:
                found.append(
                    Difference(
                        label,
                        totals.index[a],
                        totals.index[b],
                        float(share[a]),
                        float(share[b]),
                        int(totals["n_scored"].iloc[a]),
                        int(totals["n_scored"].iloc[b]),
                        z,
                        p,
                    )
                )
    return found


@dataclass(frozen=True)
class Gap:
    """A stretch of time in which a source collected nothing."""

    source: str
    start: datetime
    end: datetime
    reason: str

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


NOT_COLLECTED = "not collected"


def uncovered(
    first_collects: Iterable[datetime],
    archive_days: Iterable[tuple[date, date]],
    backfill: timedelta,
    zone: ZoneInfo,
    lo: datetime,
    hi: datetime,
) -> list[Gap]:
    """The stretches of [lo, hi) no collect or import covered, as gaps with the reason "not
    collected" (drawn apart from a source's failures): a source covers from ``backfill``
    before its first good collect (``first_collects``) onwards, an imported file its local
    days (in ``zone``) from its first post's to its last's (``archive_days``). Nothing when
    nothing says what it covered (imports made before the runs recorded it)."""
    spans = [(first - backfill, hi) for first in first_collects]
    spans += [
        (_midnight(first, zone), _midnight(last + timedelta(days=1), zone))
        for first, last in archive_days
    ]
    gaps, at = [], lo
    for start, end in sorted(spans):
        if start > at:
            gaps.append(Gap("", at, min(start, hi), NOT_COLLECTED))
        at = max(at, end)
        if at >= hi:
            break
    if spans and at < hi:
        gaps.append(Gap("", at, hi, NOT_COLLECTED))
    return [g for g in gaps if g.end > g.start]


def covered(
    periods: pd.Series, step: pd.Timedelta, gaps: Sequence[Gap], timezone: str
) -> pd.Series:
    """Whether each period (of length ``step``) was collected or imported at all: False for
    one wholly inside a "not collected" span, where a zero is no measurement (no baseline,
    no point on a chart)."""
    spans = [gap_on_axis(g, timezone, periods) for g in gaps if g.reason == NOT_COLLECTED]
    return periods.map(lambda p: not any(lo <= p and p + step <= hi for lo, hi in spans))


def gap_on_axis(gap: Gap, timezone: str, periods: pd.Series) -> tuple[pd.Timestamp, pd.Timestamp]:
    """A gap's start and end as the periods are told: in the zone, and as wall-clock times
    on a daily axis (calendar dates, no zone)."""
    start, end = (pd.Timestamp(t).tz_convert(timezone) for t in (gap.start, gap.end))
    if periods.dt.tz is None:
        return start.tz_localize(None), end.tz_localize(None)
    return start, end


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone).astimezone(UTC)


def collection_gaps(
    runs: Iterable[dict],
    expected_every: timedelta,
    now: datetime,
) -> list[Gap]:
    """Gaps per source from its collect runs: from a failed run until the next good one, and
    any stretch between good runs longer than three collect intervals. A source that never
    collected has no gaps (nothing was expected of it)."""
    allowed = 3 * expected_every
    by_source: dict[str, list[dict]] = {}
    for run in runs:
        if run.get("source"):
            by_source.setdefault(run["source"], []).append(run)
    gaps = []
    for source, rows in sorted(by_source.items()):
        rows.sort(key=lambda r: r["started_at"])
        last_ok: datetime | None = None
        failing: tuple[datetime, str] | None = None
        for run in rows:
            started = parse_timestamp(run["started_at"])
            if run["status"] == "ok":
                if failing:
                    gaps.append(Gap(source, failing[0], started, failing[1]))
                elif last_ok and started - last_ok > allowed:
                    gaps.append(Gap(source, last_ok, started, "no collect ran"))
                failing = None
                last_ok = parse_timestamp(run["finished_at"] or run["started_at"])
            elif run["status"] in ("error", "interrupted", "skipped") and last_ok and not failing:
                failing = (last_ok, run["error"] or run["status"])
        if failing:
            gaps.append(Gap(source, failing[0], now, failing[1]))
        elif last_ok and now - last_ok > allowed:
            gaps.append(Gap(source, last_ok, now, "no collect ran"))
    return gaps
