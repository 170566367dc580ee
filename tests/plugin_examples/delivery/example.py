"""Example channel: appends each dispatch's subject line to a file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.delivery.base import Channel, Dispatch


@dataclass(frozen=True)
class FileSettings:
    enabled: bool = False
    path: str = "sent.txt"
    send: str = "report"


class FileChannel(Channel):
    name = "file"
    Settings = FileSettings
    config_snippet = """\
[deliver.file]
# Append each report's subject line to a file.
enabled = false
path = "sent.txt"
"""

    @staticmethod
    def config_problem(settings: Any) -> tuple[str, str] | None:
        return None if settings.path else ("path", "a file name")

    def missing(self) -> str | None:
        return None

    def send(self, dispatch: Dispatch) -> str:
        with Path(self.settings.path).open("a", encoding="utf-8") as out:
            out.write(dispatch.subject + "\n")
        return self.settings.path
