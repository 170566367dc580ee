"""One mechanism for every plug-in point: a package whose modules define subclasses of one base
class, each with a ``name``. Adding a platform or a scorer is adding one file."""

from __future__ import annotations

import importlib
import pkgutil
from typing import TypeVar

T = TypeVar("T")


def discover(package: str, base: type[T]) -> dict[str, type[T]]:
    """Import every module of ``package`` and return its concrete ``base`` subclasses by
    ``name``. Modules load lightly: heavy imports belong inside the plug-ins' methods."""
    module = importlib.import_module(package)
    for info in pkgutil.iter_modules(module.__path__):
        importlib.import_module(f"{package}.{info.name}")
    found: dict[str, type[T]] = {}
    pending = list(base.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        name = cls.__dict__.get("name")
        if isinstance(name, str) and cls.__module__.startswith(f"{package}."):
            if name in found:
                raise TypeError(f"two {base.__name__} plug-ins are named {name!r}")
            found[name] = cls
    return dict(sorted(found.items()))
