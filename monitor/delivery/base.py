"""The delivery channel contract: what a send carries (``Dispatch``) and what a channel does.
Channels live one module each beside this one (``email.py``, ``webhook.py``); what each one
still owes and the sending itself are ``monitor.outbox``'s.

A channel reads what the report already wrote (its folder: manifest, HTML, Markdown, charts,
CSVs), so it never recomputes a number. What a channel was sent is recorded in the database
(``deliveries``): a report day or an alert goes to a channel once, a failed send is retried by
the next run, and one channel failing never stops the others.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from monitor.http import Http
from monitor.plugins import Configurable

SENDS = ("report", "alerts")  # every daily report; or only days and hours with alerts


@dataclass(frozen=True)
class Dispatch:
    """What one send carries: the day's headline per tag, the alerts not yet sent to this
    channel, and, for a report, its folder (``None`` for alerts as they happen)."""

    day: date
    headlines: list[str]
    alerts: list[dict[str, Any]]
    folder: Path | None = None

    @property
    def subject(self) -> str:
        """Each tag's headline with its alerts: "#t: 405 posts, 24% skeptical, 40%
        supportive; 1 alert", for a mail subject or a chat message's first line."""
        by_tag: dict[str, int] = {}
        for alert in self.alerts:
            by_tag[alert["tag"]] = by_tag.get(alert["tag"], 0) + 1

        def count(n: int) -> str:
            return f"{n} alert{'s' * (n != 1)}"

        parts = []
        for headline in self.headlines:
            n = by_tag.pop(headline.split(":", 1)[0].lstrip("#"), 0)
            parts.append(headline + (f"; {count(n)}" if n else ""))
        parts += [f"#{tag}: {count(n)}" for tag, n in by_tag.items()]  # alerts as they happen
        what = "Sentiment report" if self.folder else "Alerts"
        return f"{what} {self.day}: " + " | ".join(parts)

    @property
    def report_page(self) -> Path | None:
        return self.folder / "index.html" if self.folder else None


@dataclass
class ChannelResult:
    """One channel's outcome in one run: "sent", "nothing" (nothing new for it), "skipped"
    (already sent), "disabled", or "error" with a one-line message."""

    channel: str
    status: str = "nothing"
    message: str = ""


class Channel(Configurable, ABC):
    """One way of sending reports and alerts. ``Settings`` is read from ``[deliver.<name>]``;
    secrets come only from the environment variables the settings name."""

    def __init__(self, settings: Any, http: Http, env: Mapping[str, str]) -> None:
        self.settings, self.http, self.env = settings, http, env

    @staticmethod
    @abstractmethod
    def config_problem(settings: Any) -> tuple[str, str] | None:
        """(key, what it needs) when the enabled channel's settings cannot work."""

    @abstractmethod
    def missing(self) -> str | None:
        """The environment variable this channel needs and lacks, as one line; None if ready.
        Found secrets are handed to ``http.add_secret`` so no message can show them."""

    @abstractmethod
    def send(self, dispatch: Dispatch) -> str:
        """Send it; return where it went (one line, no secret). Raise on failure."""


def report_item(day: date) -> str:
    return f"report:{day.isoformat()}"


def read_folder(folder: Path) -> Dispatch:
    """A written report folder as a dispatch (its manifest says everything)."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return Dispatch(
        date.fromisoformat(manifest["report_day"]),
        list(manifest["counts"]["headline"].values()),
        list(manifest.get("alerts", [])),
        folder,
    )


class DeliveryError(Exception):
    """A channel cannot send: the message says why, in one line."""
