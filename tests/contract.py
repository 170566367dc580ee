"""The plug-in contract, checked on whatever plug-ins are registered: the project's own
(tests/test_scoring.py) and the test-only examples dropped into a copy (tests/test_plugins.py)."""

from __future__ import annotations

import tomllib
from dataclasses import fields

from monitor.config import DEFAULT_CONFIG_TEXT
from monitor.delivery import CHANNELS
from monitor.errors import ConfigError
from monitor.formats import IMPORTERS
from monitor.scoring import SCORERS
from monitor.settings import Labels, Scoring
from monitor.sources import SOURCES
from monitor.tables import parse_table


def _own_table(cls: type, section: str, name: str):
    """The plug-in's snippet: in the default config text, and valid settings for it."""
    assert cls.config_snippet in DEFAULT_CONFIG_TEXT
    table = tomllib.loads(cls.config_snippet)[section][name]
    return parse_table(table, cls.Settings, "snippet", f"{section}.{name}.")


def check_contract() -> dict[str, list[str]]:
    """Assert every registered plug-in keeps its contract; the names checked, by kind."""
    for name, cls in SOURCES.items():
        assert cls.name == name
        settings = parse_table({}, cls.Settings, "monitor.toml", f"sources.{name}.")
        assert settings == cls.Settings() and "enabled" in {f.name for f in fields(settings)}
        _own_table(cls, "sources", name)
        assert all(isinstance(v, str) and v.isupper() for v in cls.secret_envs())
    for name, cls in SCORERS.items():
        try:
            scorer = cls.from_settings(Scoring(), Labels(), {}, "monitor.toml")
        except ConfigError as exc:  # a scorer that needs a file says which key names it
            assert "monitor.toml: scoring." in str(exc)
        else:
            assert scorer.name == name and scorer.languages
            again = cls.from_settings(Scoring(), Labels(), {}, "elsewhere.toml")
            assert scorer.version == again.version and scorer.version.startswith(f"{name}-")
        assert f'#   "{name}": {cls.title}' in DEFAULT_CONFIG_TEXT
    for name, cls in IMPORTERS.items():
        assert cls.name == name and cls.title and cls.layout in ("json", "csv", "parquet")
    for name, cls in CHANNELS.items():  # a table each, off by default
        assert cls.name == name
        settings = parse_table({}, cls.Settings, "monitor.toml", f"deliver.{name}.")
        assert settings == cls.Settings() and settings.enabled is False
        assert _own_table(cls, "deliver", name).enabled is False
    return {
        "sources": list(SOURCES),
        "scorers": list(SCORERS),
        "import formats": list(IMPORTERS),
        "delivery channels": list(CHANNELS),
    }
