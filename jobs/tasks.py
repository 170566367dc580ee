"""The jobs as plain functions over ``monitor``: what cron one-shots and the scheduler run.

Each returns an outcome and records itself in the runs table, so ``monitor status`` and the
daily report show what ran, when, and how it went.
"""

from __future__ import annotations

import errno
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from jobs.lock import LockBusy, collect_lock
from monitor.collect import SourceResult, collect, exit_status
from monitor.config import Config, prepare_parent_dir
from monitor.delivery.base import ChannelResult, Dispatch, read_folder
from monitor.errors import ConfigError, MonitorError
from monitor.outbox import deliver
from monitor.settings import parse_duration
from monitor.store import Store
from monitor.wiring import open_store

log = logging.getLogger("jobs")

NOTHING_ENABLED = "no source is enabled (set enabled = true under [sources.NAME])"

# Exit statuses of the one-shot commands (documented in the README).
OK, FAILED, USAGE, PARTIAL, SKIPPED = 0, 1, 2, 3, 4


@dataclass
class CollectOutcome:
    """A collect job's result: per-source results, or the reason it was skipped."""

    results: list[SourceResult] = field(default_factory=list)
    skipped: str | None = None
    # The delivery channels' outcomes of the same run (alerts after a collect, the report
    # after a daily).
    deliveries: list[ChannelResult] = field(default_factory=list)

    @property
    def nothing_enabled(self) -> bool:
        """No source is enabled: nothing could be collected (an import-only setup)."""
        return bool(self.results) and all(r.status == "disabled" for r in self.results)

    @property
    def status(self) -> int:
        if self.skipped:
            return SKIPPED
        status = exit_status(self.results)
        return PARTIAL if status == OK and delivery_failed(self.deliveries) else status

    def summary(self) -> str:
        """One line: what a cron mail or a log reader needs."""
        if self.skipped:
            return f"collect skipped: {self.skipped}"
        new = sum(t.new for r in self.results for t in r.tags)
        dup = sum(t.duplicate for r in self.results for t in r.tags)
        rejected = sum(t.rejected for r in self.results for t in r.tags)
        parts = [f"{new} new, {dup} duplicates, {rejected} rejected"]
        for r in self.results:
            if r.status in ("error", "skipped"):
                parts.append(f"{r.source} {r.status}: {r.message}")
        parts += [
            f"deliver {d.channel} error: {d.message}"
            for d in self.deliveries
            if d.status == "error"
        ]
        return "collect: " + "; ".join(parts)


def delivery_failed(results: Sequence[ChannelResult]) -> bool:
    return any(r.status == "error" for r in results)


def collect_job(
    config: Config,
    sources: Sequence[str] | None = None,
    tags: Sequence[str] | None = None,
    max_pages: int | None = None,
    dry_run: bool = False,
    lock_wait: float | None = None,
    stop: threading.Event | None = None,
) -> CollectOutcome:
    """Collect (and score, which happens as posts are stored) under the collect lock; a run
    that cannot get the lock within ``lock_wait`` is recorded as skipped."""
    wait = parse_duration(config.schedule.lock_wait) if lock_wait is None else lock_wait
    with open_store(config) as store:
        try:
            with collect_lock(config.database, wait):
                log.info("collect: start")
                outcome = CollectOutcome(
                    collect(store, config, sources, tags, max_pages, dry_run, stop=stop)
                )
        except LockBusy as busy:
            outcome = CollectOutcome(skipped=str(busy))
            run_id = store.start_run("collect")
            store.finish_run(run_id, "skipped", {}, str(busy))
        if outcome.nothing_enabled and not dry_run:  # status tells this from never having run
            run_id = store.start_run("collect")
            store.finish_run(run_id, "nothing", {"note": NOTHING_ENABLED})
        if not dry_run and not outcome.skipped:
            outcome.deliveries = alerts_job(store, config)
    log.info("%s", outcome.summary())
    return outcome


def alerts_job(store: Store, config: Config) -> list[ChannelResult]:
    """Tell the channels with ``send = "alerts"`` about today's alerts (in the configured time
    zone) that none of them has had; retry what failed before. Nothing to do without such a
    channel."""
    names = [n for n, s in config.deliver.items() if s.enabled and s.send == "alerts"]
    if not names:
        return []
    from monitor.report import day_alerts  # pandas and matplotlib: only when needed

    today = datetime.now(config.zone).date()
    alerts = [alert.as_dict() for alert in day_alerts(store, config, today)]
    return deliver(store, config, live=Dispatch(today, [], alerts), names=names)


def deliver_job(
    config: Config,
    day: date | None = None,
    names: Sequence[str] = (),
    force: bool = False,
) -> tuple[Path, list[ChannelResult]]:
    """Send the day's report (yesterday's by default), writing it first if it is missing."""
    from monitor.report import default_report_day

    day = day or default_report_day(config)
    folder = config.reports_dir / day.isoformat()
    path = folder / "index.html"
    if not (folder / "manifest.json").exists():
        path = report_job(config, day)
    with open_store(config) as store:
        results = deliver(store, config, report=read_folder(path.parent), names=names, force=force)
    for result in results:
        log.info("deliver %s: %s %s", result.channel, result.status, result.message)
    return path, results


# Writing the report failed because of where reports_dir points: the config's to fix.
SETTING_ERRORS = frozenset(
    {errno.EACCES, errno.EPERM, errno.ENOTDIR, errno.EISDIR, errno.EROFS, errno.ENOENT}
)


def report_job(config: Config, day: date | None = None, days: int | None = None) -> Path:
    """Write the daily report (yesterday's by default, in the configured time zone)."""
    # Imported here: matplotlib and pandas take a third of a second to load, which every
    # other command (an import, a collect, status) would pay for nothing.
    from monitor.report import write_report

    prepare_parent_dir(config.reports_dir / "index.html", "reports_dir", config)
    with open_store(config) as store:
        run_id = store.start_run("report")
        try:
            path = write_report(store, config, day, days or config.schedule.report_days)
        except OSError as exc:
            store.finish_run(run_id, "error", None, f"{type(exc).__name__}: {exc}")
            problem = f"cannot write reports to {config.reports_dir} ({exc.strerror or exc})"
            if exc.errno not in SETTING_ERRORS:  # a full disk, a failing one: not the config
                raise MonitorError(
                    f"{problem}; nothing was published, the reports before stand: "
                    "free space (or fix the disk) and run again"
                ) from None
            where = f"{config.path}: reports_dir" if config.path else "reports_dir"
            raise ConfigError(f"{where}: {problem}") from None
        except Exception as exc:
            store.finish_run(run_id, "error", None, f"{type(exc).__name__}: {exc}")
            raise
        store.finish_run(run_id, "ok", {"path": str(path)})
    log.info("report: %s", path)
    return path


def housekeeping_job(config: Config) -> dict[str, int]:
    """SQLite upkeep, and deletion of raw payloads past the retention, if one is set."""
    days = config.schedule.raw_retention_days
    before = int((datetime.now(UTC) - timedelta(days=days)).timestamp()) if days else None
    with open_store(config) as store:
        run_id = store.start_run("housekeeping")
        counts = store.housekeeping(before)
        store.finish_run(run_id, "ok", counts)
    log.info("housekeeping: %s", counts)
    return counts


def daily_job(
    config: Config, day: date | None = None, stop: threading.Event | None = None
) -> tuple[CollectOutcome, Path | None]:
    """Collect, then write the report whatever the collect's outcome (its health shows), then
    deliver it; the outcome carries the alerts' and the report's deliveries. Once ``stop`` is
    set, the step in hand finishes and no other starts (no report after a stopped collect:
    the path is then None)."""
    outcome = collect_job(config, stop=stop)
    if stop is not None and stop.is_set():
        return outcome, None
    if outcome.nothing_enabled:  # a report of nothing new is not sent unasked (monitor deliver)
        return outcome, report_job(config, day)
    path, delivered = report_and_deliver_job(config, day, stop)
    outcome.deliveries += delivered
    return outcome, path


def report_and_deliver_job(
    config: Config, day: date | None = None, stop: threading.Event | None = None
) -> tuple[Path, list[ChannelResult]]:
    """Write the day's report, then send it (unless ``stop`` was set meanwhile): the
    scheduler's morning job."""
    path = report_job(config, day)
    if stop is not None and stop.is_set():
        return path, []
    return deliver_job(config, day)
