"""monitor.toml → a typed, validated Config. Every error names the file and the key."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from monitor.delivery import CHANNELS
from monitor.errors import ConfigError
from monitor.scoring import SCORERS
from monitor.settings import Analysis, Collect, Labels, Schedule, Scoring
from monitor.sources import SOURCES
from monitor.tables import parse_table
from monitor.text import fold_tag, is_valid_tag

DEFAULT_PATH = Path("monitor.toml")
DEFAULT_TAGS = ("witkoffukraine", "diplomacydebacle")


@dataclass(frozen=True)
class Config:
    tags: tuple[str, ...] = DEFAULT_TAGS
    timezone: str = "UTC"
    database: Path = Path("data/monitor.db")
    reports_dir: Path = Path("reports")
    labels: Labels = Labels()
    collect: Collect = Collect()
    # Each registered source's settings dataclass, from [sources.<name>] or its defaults.
    sources: dict[str, Any] = field(
        default_factory=lambda: {name: cls.Settings() for name, cls in SOURCES.items()}
    )
    analysis: Analysis = Analysis()
    # Each delivery channel's settings, from [deliver.<name>] or its defaults (disabled).
    deliver: dict[str, Any] = field(
        default_factory=lambda: {name: cls.Settings() for name, cls in CHANNELS.items()}
    )
    schedule: Schedule = Schedule()
    scoring: Scoring = Scoring()
    # Word valences that replace or add to VADER's lexicon, -4 to 4 ("backfire" = -2.0).
    lexicon: dict[str, float] = field(default_factory=dict)
    # Dated events drawn on every time-series chart and listed in reports ("Politico story").
    events: dict[date, str] = field(default_factory=dict)
    # The file this came from (None: built-in defaults), for messages and relative paths.
    path: Path | None = field(default=None, metadata={"internal": True})

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def schedule_timezone(self) -> str:
        return self.schedule.timezone or self.timezone

    def public_dict(self) -> dict[str, Any]:
        """The config as plain data for manifests; it holds names of secrets, never values."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Labels | Collect | Analysis | Schedule | Scoring):
                value = asdict(value)
            elif f.name in ("sources", "deliver"):
                value = {name: asdict(settings) for name, settings in value.items()}
            elif f.name == "events":
                value = {day.isoformat(): label for day, label in value.items()}
            elif isinstance(value, Path):
                value = str(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out


def _check_zone(name: str, where: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{where}: expected an IANA time zone such as 'Europe/Berlin', got {name!r}"
        ) from None


def _validate(config: Config, file: str) -> Config:
    if not config.tags:
        raise ConfigError(f"{file}: tags: expected at least one hashtag, got []")
    for i, tag in enumerate(config.tags):
        if not is_valid_tag(tag):
            raise ConfigError(
                f"{file}: tags[{i}]: expected a hashtag of letters, digits and '_', got {tag!r}"
            )
    _check_zone(config.timezone, f"{file}: timezone")
    if config.schedule.timezone:
        _check_zone(config.schedule.timezone, f"{file}: schedule.timezone")
    sources = _plugin_tables(config.sources, SOURCES, file, "sources", "source")
    deliver = _plugin_tables(config.deliver, CHANNELS, file, "deliver", "channel")
    for name, settings in deliver.items():
        problem = CHANNELS[name].config_problem(settings) if settings.enabled else None
        if problem:
            raise ConfigError(f"{file}: deliver.{name}.{problem[0]}: expected {problem[1]}")
    if config.scoring.scorer and config.scoring.scorer not in SCORERS:
        raise ConfigError(
            f"{file}: scoring.scorer: expected one of: {', '.join(SCORERS)}, "
            f"got {config.scoring.scorer!r}"
        )
    tags = tuple(dict.fromkeys(fold_tag(t) for t in config.tags))
    return replace(
        config,
        tags=tags,
        sources=sources,
        deliver=deliver,
        lexicon=_lexicon(config.lexicon, file),
        events=_events(config.events, file),
    )


def _plugin_tables(
    tables: dict[str, Any], registry: dict[str, type], file: str, key: str, what: str
) -> dict[str, Any]:
    """Each plug-in's ``Settings`` from ``[key.<name>]`` (defaults where absent)."""
    unknown = sorted(set(tables) - set(registry))
    if unknown:
        raise ConfigError(
            f"{file}: {key}.{unknown[0]}: unknown {what} "
            f"(expected one of: {', '.join(sorted(registry))})"
        )
    parsed = {}
    for name, cls in registry.items():
        table = tables.get(name, {})
        parsed[name] = (
            table
            if isinstance(table, cls.Settings)
            else parse_table(table, cls.Settings, file, f"{key}.{name}.")
        )
    return parsed


def _events(table: dict[Any, Any], file: str) -> dict[date, str]:
    """[events] "2025-11-20" = "Politico story": a date and a short label each."""
    events = {}
    for key, label in table.items():
        where = f"{file}: events.{key}"
        try:
            day = key if isinstance(key, date) else date.fromisoformat(str(key))
        except ValueError:
            raise ConfigError(f"{where}: expected a date YYYY-MM-DD as the key") from None
        if not isinstance(label, str) or not label.strip() or len(label) > 80:
            raise ConfigError(f"{where}: expected a label of 1 to 80 characters, got {label!r}")
        events[day] = label.strip()
    return dict(sorted(events.items()))


def _lexicon(table: dict[str, Any], file: str) -> dict[str, float]:
    """[lexicon] word = valence: VADER looks words up lowercased, so a word with capitals or
    spaces would never match; say so rather than ignore it."""
    words = {}
    for word, value in table.items():
        where = f"{file}: lexicon.{word}"
        if not word or word != word.lower() or any(c.isspace() for c in word):
            raise ConfigError(f"{where}: expected a lowercase word without spaces")
        if isinstance(value, bool) or not isinstance(value, int | float) or not -4 <= value <= 4:
            raise ConfigError(f"{where}: expected a number from -4 to 4, got {value!r}")
        words[word] = float(value)
    return words


def _resolve(config: Config, base: Path) -> Config:
    """Relative paths count from the config file's folder, so cron can run from anywhere."""
    model = config.scoring.model
    if model is not None and not model.is_absolute():
        config = replace(config, scoring=replace(config.scoring, model=base / model))
    return replace(
        config,
        database=config.database if config.database.is_absolute() else base / config.database,
        reports_dir=(
            config.reports_dir if config.reports_dir.is_absolute() else base / config.reports_dir
        ),
    )


def load_config(path: Path | None = None) -> Config:
    """Read ``path``; with None, ./monitor.toml if present, else the built-in defaults."""
    if path is None:
        if not DEFAULT_PATH.exists():
            return Config()
        path = DEFAULT_PATH
    file = str(path)
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{file}: no such config file (run 'monitor init' to write one)"
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    config = parse_table(raw, Config, file)
    config = replace(_validate(config, file), path=Path(path))
    return _resolve(config, Path(path).resolve().parent)


def prepare_parent_dir(path: Path, key: str, config: Config) -> None:
    """A configured file must go in a folder that exists (a typo should not create a tree);
    the default folders (``data/``, ``reports/``) are created on first use."""
    if path.parent.is_dir():
        return
    if key in ("database", "reports_dir"):
        default = getattr(Config(), key)
        if config.path is not None:
            default = config.path.resolve().parent / default
        defaults = [default if key == "database" else default / "x"]
        if key == "reports_dir" and config.path is None:  # reports beside a --db database
            defaults.append(config.database.parent / "reports" / "x")
        if path.parent in [d.parent for d in defaults]:
            path.parent.mkdir(parents=True, exist_ok=True)
            return
    where = f"{config.path}: {key}" if config.path and not key.startswith("-") else key
    raise ConfigError(f"{where}: folder {str(path.parent)!r} does not exist")


_HEAD = """\
# monitor.toml: what the sentiment monitor tracks and where it keeps things.
# Relative paths count from this file's folder. Secrets never go here: name the environment
# variables that hold them (see [sources.*]).

# Hashtags to track, with or without '#'; matched case-insensitively.
tags = ["WitkoffUkraine", "DiplomacyDebacle"]

# IANA time zone whose midnight starts a report day.
timezone = "UTC"

# The SQLite database and the folder daily reports are written to.
database = "data/monitor.db"
reports_dir = "reports"

[labels]
# VADER compound <= -threshold is negative, >= threshold positive, anything between neutral.
threshold = 0.05
# The names readers see for the three labels.
negative = "skeptical"
neutral = "neutral"
positive = "supportive"

[scoring]
# The scorer that labels posts, one of:
{scorers}
# Left out: "calibrated" when a model is set, else "vader".
# scorer = "vader"
# model = "data/model.json"
# Daily shares: "adjusted" corrects the labels counted by the scorer's misclassification rates
# measured on your hand labels (monitor evaluate / monitor calibrate), so a day's share moves
# as far as opinion does; "count" counts the labels. Left out: adjusted when rates are known.
# shares = "adjusted"
# Languages VADER reads; posts detected in other languages are stored, counted in volume and
# searchable, but not scored ("not scored (language)", never neutral).
languages = ["en"]

[lexicon]
# Domain words: VADER valences from -4 (most negative) to 4, replacing or adding to its
# lexicon, for example:
# backfire = -2.0
# peace = 0.0

[events]
# Dated events, drawn as labelled lines on every time-series chart and listed in reports:
# "2025-11-20" = "Politico story"

[collect]
# Without a cursor, a first collect reaches back this many days...
backfill_days = 7
# ...and fetches at most this many pages per source and tag in one run.
max_pages = 10
# One request (headers to last byte) may take this many seconds, and its answer this many MB.
request_deadline = 60
max_response_mb = 8

[analysis]
# Alerts compare each day (or hour) with the previous baseline_days days.
baseline_days = 7
# Volume alert when (n - median) / max(1.4826 * MAD, sqrt(median), 1) >= volume_z.
volume_z = 3.5
# Share alert when a label's share is more than share_z standard errors from its baseline
# (its posts' sampling, and how much consecutive days of the previous four weeks differ).
share_z = 2.58
# Fewer posts than this in a period: "n too small" instead of a share, and no alerts.
min_posts = 10
# The same for shares adjusted for the scorer's measured errors ([scoring] shares) and their
# share alerts: their intervals hold less often on fewer posts (docs/shares.md).
min_posts_adjusted = 20
# Significance level for "differs beyond chance" between platforms or tags (Bonferroni).
alpha = 0.05

{sources}
{channels}
[schedule]
# 'monitor schedule' collects this often, and writes yesterday's report at report_at.
collect_every = "15m"
report_at = "07:00"
housekeeping_at = "03:30"
# timezone = "UTC"            # defaults to the top-level timezone
# A collect that finds another one running waits this long, then skips its turn.
lock_wait = "2m"
report_days = 14
# Delete raw platform payloads older than this many days (0 keeps them).
raw_retention_days = 0
"""


def _default_config_text() -> str:
    """``monitor init``'s text: the plain sections, and each plug-in's own part."""
    return _HEAD.format(
        scorers="\n".join(f'#   "{name}": {cls.title}' for name, cls in SCORERS.items()),
        sources="\n".join(cls.config_snippet for cls in SOURCES.values()),
        channels="\n".join(cls.config_snippet for cls in CHANNELS.values()),
    )


DEFAULT_CONFIG_TEXT = _default_config_text()
