"""``monitor schedule``: an APScheduler BlockingScheduler running the jobs from ``[schedule]``.

Coalescing and ``max_instances = 1`` keep a slow job from piling up; a first collect runs at
start-up. SIGTERM or SIGINT stops it cleanly: no new job starts, and a collect in flight stops
after the page it is storing (committed whole); a second signal exits at once, and SQLite rolls
back whatever transaction was open.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from jobs.stopping import stop_on_signals
from jobs.tasks import collect_job, housekeeping_job, report_and_deliver_job
from monitor.config import Config
from monitor.settings import parse_duration

log = logging.getLogger("jobs.scheduler")


def _triggers(config: Config) -> dict[str, Any]:
    zone = config.schedule_timezone
    every = parse_duration(config.schedule.collect_every)

    def daily_at(clock: str) -> CronTrigger:
        hour, minute, second = ([*map(int, clock.split(":")), 0])[:3]
        return CronTrigger(hour=hour, minute=minute, second=second, timezone=zone)

    return {
        "collect": IntervalTrigger(seconds=every, timezone=zone),
        "report": daily_at(config.schedule.report_at),
        "housekeeping": daily_at(config.schedule.housekeeping_at),
    }


def next_runs(config: Config, now: datetime | None = None) -> dict[str, datetime]:
    """When each scheduled job would next run if the scheduler started now."""
    now = now or datetime.now(UTC)
    runs = {}
    for name, trigger in _triggers(config).items():
        runs[name] = now if name == "collect" else trigger.get_next_fire_time(None, now)
    return runs


class Runner:
    """Runs jobs one at a time per kind and knows when none is in flight; starts none once
    ``stop`` is set."""

    def __init__(self, stop: threading.Event | None = None) -> None:
        self.stop = stop or threading.Event()
        self._idle = threading.Condition()
        self._active = 0

    def wrap(self, name: str, job: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            if self.stop.is_set():
                return
            with self._idle:
                self._active += 1
            started = datetime.now(UTC)
            log.info("%s: started", name)
            try:
                job()
                log.info(
                    "%s: finished in %.1f s", name, (datetime.now(UTC) - started).total_seconds()
                )
            except Exception:  # a failing job must not stop the scheduler
                log.exception("%s: failed", name)
            finally:
                with self._idle:
                    self._active -= 1
                    self._idle.notify_all()

        return run

    def wait_idle(self) -> None:
        with self._idle:
            self._idle.wait_for(lambda: self._active == 0)


def build_scheduler(config: Config, runner: Runner) -> BlockingScheduler:
    every = parse_duration(config.schedule.collect_every)
    scheduler = BlockingScheduler(
        timezone=config.schedule_timezone,
        job_defaults={
            "coalesce": True,  # missed runs collapse into one
            "max_instances": 1,
            # A run may start this late (after a suspend, a long job) and still be worth it.
            "misfire_grace_time": int(max(60, min(every, 3600))),
        },
    )
    jobs = {
        "collect": lambda: collect_job(config, stop=runner.stop),
        "report": lambda: report_and_deliver_job(config, stop=runner.stop),
        "housekeeping": lambda: housekeeping_job(config),
    }
    for name, trigger in _triggers(config).items():
        first = datetime.now(UTC) if name == "collect" else None
        scheduler.add_job(
            runner.wrap(name, jobs[name]),
            trigger,
            id=name,
            name=name,
            **({"next_run_time": first} if first else {}),
        )
    return scheduler


def run_scheduler(config: Config) -> None:
    """Run until SIGTERM or SIGINT; the first signal stops cleanly, the second at once."""
    scheduler: BlockingScheduler | None = None

    def shut_down() -> None:
        if scheduler is not None:
            scheduler.shutdown(wait=False)

    with stop_on_signals(shut_down) as stop:
        runner = Runner(stop.event)
        scheduler = build_scheduler(config, runner)
        log.info(
            "scheduler: started; next runs: %s",
            {name: when.isoformat(timespec="seconds") for name, when in next_runs(config).items()},
        )
        scheduler.start()
        runner.wait_idle()
    log.info("scheduler: stopped cleanly")
