"""What each delivery channel still owes, and sending it: a report day or an alert goes to a
channel once (recorded in ``deliveries``, claimed before sending so two runs never send it
twice), a failed send is retried by the next run, and one channel failing never stops the
others."""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from monitor.config import Config
from monitor.delivery import CHANNELS
from monitor.delivery.base import (
    Channel,
    ChannelResult,
    DeliveryError,
    Dispatch,
    read_folder,
    report_item,
)
from monitor.errors import MonitorError
from monitor.http import Http, NoAnswer
from monitor.store import Store
from monitor.text import printable

log = logging.getLogger(__name__)


def deliver(
    store: Store,
    config: Config,
    report: Dispatch | None = None,
    live: Dispatch | None = None,
    names: Sequence[str] = (),
    force: bool = False,
    env: Mapping[str, str] | None = None,
) -> list[ChannelResult]:
    """Send ``report`` (a written report) to the channels with ``send = "report"``, and the
    alerts of ``report`` and ``live`` (the current day's, as they happen) that a channel with
    ``send = "alerts"`` has not had; retry report days that failed before. Each attempt is
    recorded (``deliveries``, and a "deliver" run per channel); one channel failing never
    stops the others. ``force`` sends the report again to channels that had it."""
    env = os.environ if env is None else env
    results = []
    http = Http(
        deadline=config.collect.request_deadline,
        max_bytes=int(config.collect.max_response_mb * 2**20),
    )
    try:
        for name in names or list(CHANNELS):
            settings = config.deliver[name]
            result = ChannelResult(name)
            results.append(result)
            if not settings.enabled:
                result.status, result.message = "disabled", "not enabled in the config"
                continue
            channel = CHANNELS[name](settings, http, env)
            todo = _pending(store, channel, config.reports_dir, report, live, force)
            if todo:
                _send(store, channel, todo, result, force)
            elif report is not None and store.delivery_status(name, report_item(report.day)):
                result.status = "skipped"
                result.message = f"the {report.day} report was sent before (--force sends it again)"
            else:
                result.message = "nothing new to send"
    finally:
        http.close()
    return results


def _pending(
    store: Store,
    channel: Channel,
    reports_dir: Path,
    report: Dispatch | None,
    live: Dispatch | None,
    force: bool,
) -> list[tuple[Dispatch, list[str]]]:
    """What ``channel`` has to send now, each dispatch with the items it delivers."""
    name = channel.name
    reports = []
    if report is not None and (
        force or store.delivery_status(name, report_item(report.day)) != "sent"
    ):
        reports.append(report)
    for item in store.failed_deliveries(name):  # report days an earlier run could not send
        day = item.removeprefix("report:")
        earlier = item != day and (report is None or day != report.day.isoformat())
        if earlier and (reports_dir / day / "manifest.json").exists():
            reports.append(read_folder(reports_dir / day))
    if channel.settings.send == "report":
        return [(d, [report_item(d.day)]) for d in reports]
    alerts = [a for d in [*reports, live] if d is not None for a in d.alerts]
    forced = {a["key"] for a in report.alerts} if force and report else set()
    fresh: dict[str, dict[str, Any]] = {}
    for alert in alerts:
        if alert["key"] in forced or store.delivery_status(name, f"alert:{alert['key']}") != "sent":
            fresh.setdefault(alert["key"], alert)
    if not fresh:
        return []
    frame = report or live or reports[0]
    dispatch = Dispatch(frame.day, frame.headlines, list(fresh.values()), frame.folder)
    return [(dispatch, [f"alert:{key}" for key in fresh])]


def _send(
    store: Store,
    channel: Channel,
    todo: list[tuple[Dispatch, list[str]]],
    result: ChannelResult,
    force: bool,
) -> None:
    """Send each dispatch, recording every attempt; the first missing secret fails them all.
    Each is claimed first (another run may be sending it); once the channel gives no answer,
    the rest wait for the next run, so a dead endpoint costs one deadline per run."""
    run_id = store.start_run("deliver", channel.name)
    missing = channel.missing()
    sent, elsewhere = [], 0
    silent = ""  # why the channel is not tried again this run
    for dispatch, items in todo:
        claimed = store.claim_deliveries(channel.name, items, force)
        if not claimed:
            elsewhere += 1
            continue
        try:
            if missing:
                raise DeliveryError(missing)
            if silent:
                store.record_delivery(channel.name, claimed, "failed", silent)
                continue
            sent.append(channel.send(_claimed_part(dispatch, claimed)))
            store.record_delivery(channel.name, claimed, "sent")
        except Exception as exc:  # a channel's failure is its own, never the others'
            message = _one_line(channel.http, exc)
            store.record_delivery(channel.name, claimed, "failed", message)
            result.status, result.message = "error", message
            if isinstance(exc, NoAnswer):
                silent = f"not tried this run: the send before it got no answer ({message})"
            log.warning("deliver %s: %s", channel.name, message)
            log.debug("deliver %s: %s", channel.name, channel.http.redact(traceback.format_exc()))
    if result.status != "error":
        if sent or not elsewhere:
            result.status, result.message = "sent", "; ".join(sent)
        else:
            result.status, result.message = "skipped", "another run is sending it now"
    failed = result.status == "error"
    counts = {"sent": len(sent), **({} if failed else {"note": result.message})}
    store.finish_run(run_id, result.status, counts, result.message if failed else None)


def _claimed_part(dispatch: Dispatch, claimed: list[str]) -> Dispatch:
    """The dispatch less the alerts another run claimed first."""
    keys = {item.removeprefix("alert:") for item in claimed if item.startswith("alert:")}
    if not keys:
        return dispatch
    return replace(dispatch, alerts=[a for a in dispatch.alerts if a["key"] in keys])


def _one_line(http: Http, exc: Exception) -> str:
    """An exception as one redacted, printable line: the server's reply (its escape
    sequences neutralised), never a secret."""
    words = isinstance(exc, DeliveryError | MonitorError)
    text = str(exc) if words else f"{type(exc).__name__}: {exc}"
    return printable(http.redact(" ".join(text.split())))[:500]
