"""Platform sources, one module each; every ``Source`` subclass in this package is registered
by its ``name``, so adding a platform means adding one file."""

from __future__ import annotations

from monitor.plugins import discover
from monitor.sources.base import Source

SOURCES: dict[str, type[Source]] = discover(__name__, Source)
