"""TOML table → frozen dataclass, with errors that name the file and the dotted key.

The config, each source and the scheduler declare their settings as dataclasses; this one
parser checks them all, so every setting gets the same clear errors.
"""

from __future__ import annotations

import types
import typing
from dataclasses import fields
from pathlib import Path
from typing import Any

from monitor.errors import ConfigError


def check(test: typing.Callable[[Any], bool], expected: str) -> dict[str, Any]:
    """Field metadata: a value test and the words that say what was expected."""
    return {"check": (test, expected)}


def _type_name(tp: Any) -> str:
    return {int: "an integer", float: "a number", str: "a string", bool: "true or false"}.get(
        tp, "a list of strings" if typing.get_origin(tp) is tuple else "a table"
    )


def _coerce(value: Any, tp: Any, where: str) -> Any:
    """``value`` as type ``tp``, or a ConfigError that says what was expected."""
    origin = typing.get_origin(tp)
    ok = True
    if tp is bool:
        ok = isinstance(value, bool)
    elif tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif tp is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif tp is str or tp is Path:
        ok = isinstance(value, str) and bool(value.strip())
        value = Path(value) if ok and tp is Path else value
    elif origin is tuple:
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        value = tuple(value) if ok else value
    elif origin is dict or tp is dict:
        ok = isinstance(value, dict)
    elif origin is typing.Union or origin is types.UnionType:
        return _coerce(value, next(a for a in typing.get_args(tp) if a is not type(None)), where)
    if not ok:
        raise ConfigError(f"{where}: expected {_type_name(tp)}, got {value!r}")
    return value


def parse_table(raw: Any, cls: type, file: str, prefix: str = "") -> Any:
    """Build dataclass ``cls`` from a TOML table: unknown keys, wrong types and values that
    fail a field's check are errors naming ``file`` and the dotted key."""
    where = prefix.rstrip(".") or "top level"
    if not isinstance(raw, dict):
        raise ConfigError(f"{file}: {where}: expected a table, got {raw!r}")
    hints = typing.get_type_hints(cls)
    # A field named like a Python keyword ("from_") is written without its underscore.
    known = {f.name.removesuffix("_"): f for f in fields(cls) if not f.metadata.get("internal")}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ConfigError(
            f"{file}: {prefix}{unknown[0]}: unknown key (expected one of: {', '.join(known)})"
        )
    values = {}
    for name, value in raw.items():
        key = f"{file}: {prefix}{name}"
        attribute = known[name].name
        sub = hints[attribute]
        if isinstance(sub, type) and hasattr(sub, "__dataclass_fields__"):
            values[attribute] = parse_table(value, sub, file, f"{prefix}{name}.")
            continue
        values[attribute] = _coerce(value, sub, key)
        test, expected = known[name].metadata.get("check", (None, None))
        if test is not None and not test(values[attribute]):
            raise ConfigError(f"{key}: expected {expected}, got {value!r}")
    return cls(**values)
