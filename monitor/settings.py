"""The plain sections of monitor.toml, known without any plug-in: labels, collecting, analysis,
scoring, schedule. ``config.py`` assembles them with every plug-in's own settings; plug-ins
read these (a scorer its ``Scoring`` and ``Labels``) without loading the config."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from monitor.tables import check as _check


@dataclass(frozen=True)
class Labels:
    threshold: float = field(
        default=0.05, metadata=_check(lambda v: 0 < v < 1, "a number between 0 and 1")
    )
    negative: str = "skeptical"
    neutral: str = "neutral"
    positive: str = "supportive"

    def display(self, label: str) -> str:
        """The reader-facing name of an internal label ('negative' → 'skeptical')."""
        return getattr(self, label)


@dataclass(frozen=True)
class Collect:
    backfill_days: int = field(default=7, metadata=_check(lambda v: 1 <= v <= 10_000, "1 to 10000"))
    max_pages: int = field(default=10, metadata=_check(lambda v: 1 <= v <= 10_000, "1 to 10000"))
    # A request that has not fully answered after this many seconds fails its source's run.
    request_deadline: float = field(
        default=60.0, metadata=_check(lambda v: 1 <= v <= 3600, "1 to 3600 seconds")
    )
    # An answer larger than this is not an API page: its source fails for this run.
    max_response_mb: float = field(
        default=8.0, metadata=_check(lambda v: 0.01 <= v <= 1024, "0.01 to 1024")
    )


@dataclass(frozen=True)
class Analysis:
    """The published rules for alerts and comparisons (shown in every report)."""

    # Volume and share alerts compare a period with the previous this-many days.
    baseline_days: int = field(default=7, metadata=_check(lambda v: 2 <= v <= 90, "2 to 90"))
    # Volume alert: robust z = (n - median) / max(1.4826 MAD, sqrt(median), 1) at least this.
    volume_z: float = field(default=3.5, metadata=_check(lambda v: v > 0, "a positive number"))
    # Share alert: |share - baseline share| beyond this many binomial standard errors.
    share_z: float = field(default=2.58, metadata=_check(lambda v: v > 0, "a positive number"))
    # Periods with fewer posts show "n too small" instead of shares and raise no alerts.
    min_posts: int = field(default=10, metadata=_check(lambda v: v >= 1, "1 or more"))
    # The same for shares adjusted for the scorer's errors, and their share alerts (volume
    # alerts keep min_posts): their 95% intervals held the truth on 85-89% of simulated days
    # of 10 posts, 88-94% of 20, 93-97% of 50 (tuning rows, docs/shares.md).
    min_posts_adjusted: int = field(default=20, metadata=_check(lambda v: v >= 1, "1 or more"))
    # Family-wise significance level for platform and tag comparisons (Bonferroni).
    alpha: float = field(default=0.05, metadata=_check(lambda v: 0 < v < 1, "between 0 and 1"))

    def for_shares(self, method: str) -> Analysis:
        """The rules for shares made by ``method`` ("adjusted" or "count"), and their alerts:
        adjusted shares need ``min_posts_adjusted`` posts (or ``min_posts``, if that is more)."""
        if method != "adjusted":
            return self
        return replace(self, min_posts=max(self.min_posts, self.min_posts_adjusted))


@dataclass(frozen=True)
class Scoring:
    # The scorer that labels posts; empty: "calibrated" when a model is set, else "vader".
    scorer: str = ""
    # A model file written by 'monitor calibrate' (relative to the config file's folder).
    model: Path | None = None
    # How daily shares are made: "adjusted" (the scorer's labels corrected by its measured
    # misclassification rates), "count" (its labels counted); empty: adjusted when rates are
    # known (monitor evaluate, or a calibrated model), else count.
    shares: str = field(
        default="",
        metadata=_check(lambda v: v in ("", "adjusted", "count"), '"adjusted" or "count"'),
    )
    # The languages VADER reads (ISO 639-1); posts in others are stored but not scored.
    languages: tuple[str, ...] = field(
        default=("en",),
        metadata=_check(
            lambda v: bool(v) and all(re.fullmatch(r"[a-z]{2,3}", c) for c in v),
            "a list of ISO 639-1 codes such as ['en']",
        ),
    )


_DURATION = re.compile(r"^(?:\d+[smhd])+$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """'90s', '15m', '1h30m', '1d' → seconds."""
    if not _DURATION.match(text.strip()):
        raise ValueError(f"not a duration: {text!r}")
    return float(sum(int(n) * _UNIT_SECONDS[u] for n, u in re.findall(r"(\d+)([smhd])", text)))


# A schedule interval or wait longer than this is a typo (and beyond what timers can hold).
MAX_DURATION_SECONDS = 366 * 86400


def _is_duration(text: str) -> bool:
    return bool(_DURATION.match(text.strip())) and 0 < parse_duration(text) <= MAX_DURATION_SECONDS


@dataclass(frozen=True)
class Schedule:
    collect_every: str = field(
        default="15m",
        metadata=_check(_is_duration, "a duration such as '15m', '1h' or '90s', at most 366d"),
    )
    report_at: str = field(
        default="07:00", metadata=_check(_CLOCK.match, "a time of day such as '07:00'")
    )
    housekeeping_at: str = field(
        default="03:30", metadata=_check(_CLOCK.match, "a time of day such as '03:30'")
    )
    # Empty: the top-level timezone.
    timezone: str = ""
    # How long a collect waits for another one to finish before it skips its turn.
    lock_wait: str = field(
        default="2m", metadata=_check(lambda v: v == "0s" or _is_duration(v), "a duration")
    )
    report_days: int = field(default=14, metadata=_check(lambda v: 1 <= v <= 1830, "1 to 1830"))
    # Raw payloads older than this many days are deleted by housekeeping; 0 keeps them.
    raw_retention_days: int = field(
        default=0, metadata=_check(lambda v: 0 <= v <= 36_500, "0 (keep) to 36500")
    )
