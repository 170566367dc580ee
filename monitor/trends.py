"""Trends as small pandas DataFrames, computed from SQL aggregates (never from every post).

One row per period (a local day, or an hour, in the configured time zone) x tag (x platform or
language): n (every post), n_scored (the posts the scorer read and labelled), the count and
share of each label among the scored posts with a 95% Wilson interval, and the mean compound
with a 95% interval. Periods with no posts are zero rows, not gaps, so a quiet day shows as
quiet.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from monitor.models import LABELS
from monitor.quantify import Z95, Estimate, Rates, shares
from monitor.store import Bucket, Store
from monitor.text import fold_platform, fold_tag

# Periods: local days, ISO weeks (Monday to Sunday), calendar months, or hours.
FREQS = ("D", "W", "M", "H")


def day_buckets(start: date, end: date, timezone: str = "UTC") -> list[Bucket]:
    """One bucket per local day from ``start`` to ``end`` inclusive; a day across a DST change
    is 23 or 25 hours long, as the calendar says."""
    return buckets(start, end, timezone, "D")


def day_span(start: date, end: date, timezone: str = "UTC") -> Bucket:
    """The local days ``start`` to ``end`` inclusive as one range of Unix seconds."""
    days = day_buckets(start, end, timezone)
    return Bucket(days[0].start_ts, days[-1].end_ts)


def buckets(start: date, end: date, timezone: str = "UTC", freq: str = "D") -> list[Bucket]:
    """Local days ("D"), ISO weeks ("W"), calendar months ("M") or hours ("H") covering
    ``start`` to ``end`` inclusive; a week or month the range cuts is the part inside it."""
    if freq not in FREQS:
        raise ValueError(f"freq must be one of {FREQS}, got {freq!r}")
    zone = ZoneInfo(timezone)
    first = int(datetime.combine(start, time(), zone).timestamp())
    last = int(datetime.combine(end + timedelta(days=1), time(), zone).timestamp())
    if freq == "H":
        edges = list(range(first, last + 1, 3600))
    else:
        days = [start, *_period_starts(start, end, freq), end + timedelta(days=1)]
        edges = [int(datetime.combine(day, time(), zone).timestamp()) for day in days]
    # A zone can skip a whole day (Pacific/Apia skipped 2011-12-30): it has no bucket.
    return [Bucket(lo, hi) for lo, hi in zip(edges, edges[1:], strict=False) if hi > lo]


def _period_starts(start: date, end: date, freq: str) -> list[date]:
    """The first days of the periods after the one ``start`` falls in, up to ``end``."""
    if freq == "D":
        return [start + timedelta(days=i) for i in range(1, (end - start).days + 1)]
    starts = []
    day = start
    while True:
        if freq == "W":
            day = day + timedelta(days=7 - day.weekday())
        else:
            day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        if day > end:
            return starts
        starts.append(day)


def day_exists(day: date, timezone: str) -> bool:
    """False for a date a time zone skipped (its clocks jumped over the whole day)."""
    return bool(buckets(day, day, timezone))


def _period(start_ts: pd.Series, timezone: str, freq: str) -> pd.Series:
    """Period labels: a day as its naive local midnight (a calendar date); an hour as a local
    time with its zone, so the hour a fall-back repeats is two hours told apart by their UTC
    offset (in CSVs, on axes, in alerts)."""
    local = pd.to_datetime(start_ts, unit="s", utc=True).dt.tz_convert(timezone)
    return local if freq == "H" else local.dt.tz_localize(None).dt.normalize()


_SUMS = [
    "n",
    "n_scored",
    "n_negative",
    "n_positive",
    "sum_compound",
    "sum_compound_sq",
    "sum_neg",
]
BY = (None, "platform", "language")


def _filled(
    found: pd.DataFrame,
    spans: Sequence[Bucket],
    tags: Sequence[str],
    by: str | None,
    groups: Sequence[str] | None,
) -> pd.DataFrame:
    """Aggregate sums with a zero row for every bucket x tag (x group) absent from SQL."""
    levels = [
        pd.Index([b.start_ts for b in spans], name="bucket"),
        pd.Index(list(tags), name="tag"),
    ]
    if by is not None:
        levels.append(pd.Index(list(groups or []), name=by))
    keys = [level.name for level in levels]
    return (
        found.set_index(keys)[_SUMS]
        .reindex(pd.MultiIndex.from_product(levels), fill_value=0)
        .reset_index()
    )


def _sums(
    store: Store,
    spans: Sequence[Bucket],
    tags: Sequence[str],
    by: str | None,
    platforms: Sequence[str] | None,
) -> pd.DataFrame:
    if by not in BY:
        raise ValueError(f"by must be one of {BY}, got {by!r}")
    rows = store.aggregate(spans, tags, by, platforms)
    extra = [by] if by else []
    found = pd.DataFrame(rows, columns=["bucket", "tag", *extra, *_SUMS])
    found["bucket"] = found["bucket"].astype("int64")
    groups = None
    if by == "platform" and platforms is not None:
        groups = list(platforms)
    elif by is not None:
        groups = sorted(found[by].unique())
    return _filled(found, spans, tags, by, groups)


def series(
    store: Store,
    tags: Sequence[str],
    start: date,
    end: date,
    timezone: str = "UTC",
    freq: str = "D",
    by: str | None = None,
    platforms: Sequence[str] | None = None,
    rates: Rates | None = None,
    min_posts: int = 1,
) -> pd.DataFrame:
    """Per period and tag (and ``by``: "platform" or "language"): counts, shares of the scored
    posts with 95% intervals (adjusted by the scorer's misclassification ``rates`` when
    given, else counted, Wilson), mean compound with its interval, and ``too_small``: fewer
    scored posts than ``min_posts`` (the report's "n too small": shares too noisy to show).
    ``platforms`` limits the posts counted. Periods with no posts are zero rows; ``period`` is
    local wall-clock time. Tags are folded as stored ("#WitkoffUkraine" is "witkoffukraine"),
    platforms too."""
    tags, platforms = _folded(tags, platforms)
    spans = buckets(start, end, timezone, freq)
    sums = _sums(store, spans, tags, by, platforms)
    return _finish(sums, tags, timezone, freq, rates, min_posts)


def _folded(
    tags: Sequence[str], platforms: Sequence[str] | None
) -> tuple[list[str], list[str] | None]:
    folded = [fold_tag(t) for t in tags]
    if platforms is not None:
        platforms = [fold_platform(p) for p in platforms]
    return folded, platforms


def series_by_tag_and_platform(
    store: Store,
    tags: Sequence[str],
    start: date,
    end: date,
    timezone: str = "UTC",
    freq: str = "D",
    rates: Rates | None = None,
    min_posts: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``series`` by tag and by tag x platform from one scan of the posts: the tag rows are
    sums of the platform rows (every count and sum adds up)."""
    tags, _ = _folded(tags, None)
    spans = buckets(start, end, timezone, freq)
    per_platform = _sums(store, spans, tags, "platform", None)
    per_tag = _filled(
        per_platform.groupby(["bucket", "tag"], as_index=False)[_SUMS].sum(),
        spans,
        tags,
        None,
        None,
    )
    return (
        _finish(per_tag, tags, timezone, freq, rates, min_posts),
        _finish(per_platform, tags, timezone, freq, rates, min_posts),
    )


def published_shares(sums: pd.DataFrame, rates: Rates | None) -> Estimate:
    """The published shares of rows of sums (``n_scored``, ``n_negative``, ``n_positive``,
    and, for the probability-weighted adjustment when the rates carry probabilities, the
    scorer's ``sum_neg`` and ``sum_compound``: a probability scorer's pos is compound + neg)."""
    scored = sums["n_scored"].to_numpy(dtype=float)
    negative, positive = (sums[c].to_numpy(dtype=float) for c in ("n_negative", "n_positive"))
    counts = np.stack([negative, scored - negative - positive, positive], axis=1)
    if not {"sum_neg", "sum_compound"} <= set(sums.columns):  # a table made without them
        return shares(counts, rates)
    neg = sums["sum_neg"].to_numpy(dtype=float)
    pos = sums["sum_compound"].to_numpy(dtype=float) + neg
    return shares(counts, rates, np.stack([neg, scored - neg - pos, pos], axis=1))


def _finish(
    frame: pd.DataFrame,
    tags: Sequence[str],
    timezone: str,
    freq: str,
    rates: Rates | None,
    min_posts: int,
) -> pd.DataFrame:
    """Shares with their intervals and the mean compound with its interval, from the sums."""
    extra = [by for by in ("platform", "language") if by in frame]
    frame.insert(0, "period", _period(frame["bucket"], timezone, freq))
    for column in ("n", "n_scored", "n_negative", "n_positive"):
        frame[column] = frame[column].astype("int64")
    frame["n_neutral"] = frame["n_scored"] - frame["n_negative"] - frame["n_positive"]
    n = frame["n_scored"].to_numpy(dtype=float)
    published = published_shares(frame, rates)
    for i, label in enumerate(LABELS):
        frame[f"share_{label}"] = published.share[:, i]
        frame[f"share_{label}_lo"], frame[f"share_{label}_hi"] = (
            published.lo[:, i],
            published.hi[:, i],
        )
    total = frame["sum_compound"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = total / n
        variance = (frame["sum_compound_sq"].to_numpy(dtype=float) - n * mean**2) / (n - 1)
        half = Z95 * np.sqrt(np.clip(variance, 0, None) / n)
    frame["mean_compound"] = mean
    frame["mean_compound_lo"] = np.where(n > 1, mean - half, np.nan)
    frame["mean_compound_hi"] = np.where(n > 1, mean + half, np.nan)
    frame["too_small"] = frame["n_scored"] < min_posts
    columns = ["period", "tag", *extra, "n", "n_scored", *(f"n_{label}" for label in LABELS)]
    for label in LABELS:
        columns += [f"share_{label}", f"share_{label}_lo", f"share_{label}_hi"]
    columns += ["mean_compound", "mean_compound_lo", "mean_compound_hi", "sum_compound", "sum_neg"]
    columns += ["too_small"]
    frame["tag_order"] = frame["tag"].map({tag: i for i, tag in enumerate(tags)})
    finished = frame.sort_values(["bucket", "tag_order", *extra], ignore_index=True)[columns]
    # Charts say which: counted, adjusted, or counted by rates that cannot tell labels apart.
    finished.attrs["shares"] = (
        "count" if rates is None else "adjusted" if rates.tell_labels_apart else "blind"
    )
    return finished
