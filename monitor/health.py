"""Collection health: per source and tag, when it last worked, its last error, what it brought
in the last 24 hours and where its cursor stands. Shown by ``monitor status`` and in the daily
report, so a source that silently stopped yielding posts is seen the next morning."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, astuple, dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from monitor.analysis import Gap, collection_gaps, uncovered
from monitor.config import Config
from monitor.scoring.base import Scorer
from monitor.settings import parse_duration
from monitor.store import Store
from monitor.text import format_timestamp, parse_timestamp
from monitor.trends import day_span
from monitor.wiring import share_method

RUNS_LOOKED_AT = 500
RUNS_FOR_GAPS = 20_000


@dataclass
class TagHealth:
    source: str
    tag: str
    state: str  # ok, error, skipped, disabled, never
    last_success: str | None
    last_error: str | None
    last_error_at: str | None
    posts_24h: int
    cursors: dict[str, Any]  # instance → cursor value
    warning: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def collection_health(store: Store, config: Config, now: datetime | None = None) -> list[TagHealth]:
    """One row per (enabled or previously run source, tracked tag); none at all while no
    collect has ever run (an import-only user is not warned of sources never collected)."""
    now = now or datetime.now(UTC)
    since = format_timestamp(now - timedelta(hours=24))
    if not store.runs("collect", limit=1):
        return []
    rows = []
    for source, settings in sorted(config.sources.items()):
        runs = store.runs("collect", limit=RUNS_LOOKED_AT, source=source)
        if not settings.enabled and not runs:
            continue
        cursors = store.cursors(source)
        for tag in config.tags:
            rows.append(_tag_health(source, tag, settings.enabled, runs, cursors, since))
    return rows


def _tag_health(
    source: str, tag: str, enabled: bool, runs: list[dict], cursors: list[dict], since: str
) -> TagHealth:
    def walks(run: dict) -> list[dict]:
        return [t for t in json.loads(run["counts"] or "{}").get("tags", []) if t.get("tag") == tag]

    def covers(run: dict) -> bool:
        return bool(walks(run))

    # Posts this source collected for the tag in the last 24 h, from its runs' own counts
    # (imports are not collection): new ones, and stored ones (under another tag) it tagged.
    posts = sum(
        t.get("new", 0) + t.get("gained", 0)
        for r in runs
        if r["started_at"] >= since
        for t in walks(r)
    )

    latest = runs[0] if runs else None
    success = next((r for r in runs if covers(r)), None)
    error = next((r for r in runs if r["status"] == "error"), None)
    if not enabled:
        state = "disabled"
    elif latest is None:
        state = "never"
    elif latest["status"] == "skipped":
        state = "skipped"
    elif latest["status"] == "error" and not covers(latest):
        state = "error"
    else:
        state = "ok"
    warning = None
    if state == "skipped":
        warning = latest["error"]
    elif state in ("error", "never"):
        warning = "not collecting" if state == "error" else "never collected"
    elif state == "ok" and posts == 0:
        warning = "no new posts in 24 h"
    return TagHealth(
        source=source,
        tag=tag,
        state=state,
        last_success=success["finished_at"] if success else None,
        last_error=error["error"] if error else None,
        last_error_at=error["finished_at"] if error else None,
        posts_24h=posts,
        cursors={c["instance"]: c["value"] for c in cursors if c["tag"] == tag},
        warning=warning,
    )


def gaps_between(
    store: Store, config: Config, start: date, end: date, sources: Sequence[str] | None = None
) -> list[Gap]:
    """Collection gaps overlapping the local days ``start`` to ``end``, clipped to them."""
    lo, hi = (
        datetime.fromtimestamp(t, UTC) for t in astuple(day_span(start, end, config.timezone))
    )
    every = timedelta(seconds=parse_duration(config.schedule.collect_every))
    gaps = collection_gaps(store.runs("collect", limit=RUNS_FOR_GAPS), every, datetime.now(UTC))
    backfill = timedelta(days=config.collect.backfill_days)
    first_collects = [parse_timestamp(t) for t in store.first_good_collects().values()]
    archives = [(first, last) for _, first, last in _archives(store, config.zone)]
    return [
        replace(g, start=max(g.start, lo), end=min(g.end, hi))
        for g in gaps
        if g.end > lo and g.start < hi and (not sources or g.source in sources)
    ] + uncovered(first_collects, archives, backfill, config.zone, lo, hi)


def _archives(store: Store, zone: ZoneInfo) -> list[tuple[str, date, date]]:
    """Each imported file with the local days of its first and last post, as its import run
    recorded them ("imported from NAME"; runs before names were kept say "imported")."""
    found = []
    for run in store.runs("import", RUNS_FOR_GAPS):
        files = json.loads(run["counts"] or "{}").get("covers", []) if run["status"] == "ok" else []
        for first_ts, last_ts, *name in files:
            first, last = (datetime.fromtimestamp(t, zone).date() for t in (first_ts, last_ts))
            found.append((f"imported from {name[0]}" if name else "imported", first, last))
    return found


def scoring_state(store: Store, scorer: Scorer, shares: str) -> dict[str, Any]:
    """The active scorer, how many stored posts another version scored (stale: the scorer,
    its lexicon, languages or threshold changed since; ``monitor rescore`` fixes), and how the
    daily shares are made (``[scoring] shares``)."""
    method = share_method(shares, scorer, store)
    return {
        "shares": method.name,
        "shares_note": method.note,
        "shares_warning": method.warning,
        "scorer": scorer.name,
        "version": scorer.version,
        "languages": list(scorer.languages),
        "posts": store.count_posts(),
        "posts_with_stale_score": store.count_stale(scorer.version),
    }


def delivery_health(store: Store, config: Config) -> list[dict[str, Any]]:
    """Each enabled delivery channel: how its latest run ended (``state``: sent, nothing,
    skipped, error, or never), when it last got something through, its last error, and the
    items a later run must retry."""
    channels = []
    for name, settings in config.deliver.items():
        if not settings.enabled:
            continue
        runs = store.runs("deliver", RUNS_LOOKED_AT, name)
        latest = runs[0] if runs else None
        success = next((r for r in runs if r["status"] == "sent"), None)
        error = next((r for r in runs if r["status"] == "error"), None)
        channels.append(
            {
                "channel": name,
                "send": settings.send,
                "state": latest["status"] if latest else "never",
                "last_run_at": latest["finished_at"] if latest else None,
                "last_success": success["finished_at"] if success else None,
                "last_error": error["error"] if error else None,
                "last_error_at": error["finished_at"] if error else None,
                "waiting": store.failed_deliveries(name),
            }
        )
    return channels


@dataclass(frozen=True)
class Coverage:
    """What some local days of a window rest on: a collect from a source, or an archive."""

    what: str
    start: date
    end: date | None  # None: still collecting


def coverage_between(store: Store, config: Config, start: date, end: date) -> list[Coverage]:
    """The collects and imported archives behind the local days ``start`` to ``end``, first
    day first: each import run's files by the days of their posts, each source from
    ``backfill_days`` before its first good collect. Empty when no run recorded it."""
    zone, found = config.zone, []
    backfill = timedelta(days=config.collect.backfill_days)
    for source, first in sorted(store.first_good_collects().items()):
        since = (parse_timestamp(first) - backfill).astimezone(zone).date()
        if since <= end:
            found.append(Coverage(f"collected from {source}", max(since, start), None))
    for what, first, last in _archives(store, zone):
        if first <= end and last >= start:
            found.append(Coverage(what, max(first, start), min(last, end)))
    return sorted(found, key=lambda c: (c.start, c.what))
