"""Platform sources, one module each; every ``Source`` subclass in this package is registered
by its ``name``, so adding a platform means adding one file."""

from __future__ import annotations

import importlib
import pkgutil

from monitor.sources.base import Source


def _discover() -> dict[str, type[Source]]:
    for module in pkgutil.iter_modules(__path__):
        if module.name not in ("base", "http"):
            importlib.import_module(f"{__name__}.{module.name}")
    return {cls.name: cls for cls in Source.__subclasses__()}


SOURCES: dict[str, type[Source]] = _discover()
