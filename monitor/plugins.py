"""One mechanism for every plug-in point: a package whose modules define subclasses of one base
class, each with a ``name``. Adding a platform or a scorer is adding one file."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import fields
from typing import ClassVar, TypeVar

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


class Configurable:
    """A plug-in with a table of its own in monitor.toml (a source, a delivery channel): it
    declares its settings (``Settings``, a frozen dataclass read from ``[<section>.<name>]``),
    its part of ``monitor init``'s text (``config_snippet``) and, through its ``*_env``
    settings, the environment variables its secrets come from."""

    name: ClassVar[str]
    Settings: ClassVar[type]
    config_snippet: ClassVar[str]

    @classmethod
    def secret_envs(cls) -> tuple[str, ...]:
        """The environment variables its secrets come from by default."""
        defaults = cls.Settings()
        values = (getattr(defaults, f.name) for f in fields(defaults) if f.name.endswith("_env"))
        return tuple(v for v in values if v)
