"""The canonical records every step shares: a Post flows in, a Score is attached to it."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.errors import EmptyText, InvalidPost
from monitor.text import PLATFORM, rounded_id

# Posts older than this predate every platform we collect from; such dates are data errors.
EARLIEST_POST = datetime(2005, 6, 1, tzinfo=UTC)  # Reddit, the oldest, opened in June 2005
# Clocks drift; a post a little in the future is accepted, a day ahead is a data error.
FUTURE_TOLERANCE = timedelta(days=1)

LABELS = ("negative", "neutral", "positive")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Engagement counts beyond this are not counts (and their sums would overflow SQLite's integers).
MAX_COUNT = 2**53
# Longer than any platform allows (Reddit's 40,000 is the largest): such a text is not a post.
MAX_TEXT_CHARS = 100_000


def counts(metrics: Any) -> dict[str, int | float] | None:
    """Engagement counts as a flat object of finite numbers; anything else in it (NaN,
    Infinity, 1e400, nested values, strings) is dropped at the door, so no report ever sums
    it. Not an object at all is an invalid post."""
    if not isinstance(metrics, dict):
        raise InvalidPost("metrics must be an object")
    kept = {
        str(name): value
        for name, value in metrics.items()
        if isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and abs(value) < MAX_COUNT
    }
    return kept or None


@dataclass(frozen=True, slots=True)
class Post:
    """One post on one platform, normalised. ``id`` is unique within ``platform``."""

    platform: str
    id: str
    created_at: datetime
    text: str
    author: str | None = None
    url: str | None = None
    lang: str | None = None
    tags: tuple[str, ...] = ()
    metrics: dict[str, Any] | None = None
    raw: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.platform or not isinstance(self.platform, str):
            raise InvalidPost("missing platform")
        if not PLATFORM.fullmatch(self.platform):
            raise InvalidPost(
                f"platform {self.platform[:40]!r} is not a name (lowercase letters, digits, "
                "'_' and '-')"
            )
        if not self.id or not isinstance(self.id, str):
            raise InvalidPost("missing id")
        if rounded := rounded_id(self.id):
            raise InvalidPost(rounded)
        if not isinstance(self.created_at, datetime) or self.created_at.tzinfo is None:
            raise InvalidPost("created_at must be a datetime with a UTC offset")
        if self.created_at < EARLIEST_POST:
            raise InvalidPost(
                f"created_at {self.created_at.isoformat()} is before {EARLIEST_POST:%Y-%m-%d}"
            )
        if self.created_at > datetime.now(UTC) + FUTURE_TOLERANCE:
            raise InvalidPost(f"created_at {self.created_at.isoformat()} is in the future")
        if not isinstance(self.text, str):
            raise InvalidPost("text must be a string")
        if not self.text.strip():
            raise EmptyText("empty text")
        if len(self.text) > MAX_TEXT_CHARS:
            raise InvalidPost(f"text longer than {MAX_TEXT_CHARS} characters")
        for name in ("platform", "id", "text", "author", "url", "lang"):
            value = getattr(self, name)  # an ASCII string cannot hold one: no search needed
            if isinstance(value, str) and not value.isascii() and _SURROGATE.search(value):
                raise InvalidPost(f"{name} is not valid Unicode (a lone surrogate)")
        if self.metrics is not None:
            object.__setattr__(self, "metrics", counts(self.metrics))

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.id)


@dataclass(frozen=True, slots=True)
class Score:
    """What a scorer says of one text: its detected language and, when the scorer reads that
    language, the label and VADER-style numbers (compound -1..1, pos, neu, neg). A text in a
    language the scorer does not read has no label and no numbers: not scored, not neutral."""

    language: str
    label: str | None = None
    compound: float | None = None
    pos: float | None = None
    neu: float | None = None
    neg: float | None = None

    def values(
        self,
    ) -> tuple[str, str | None, float | None, float | None, float | None, float | None]:
        """The fields in order, for SQL (``dataclasses.astuple`` deep-copies: 50x slower)."""
        return (self.language, self.label, self.compound, self.pos, self.neu, self.neg)

    def __reduce__(self) -> tuple[type[Score], tuple]:
        """Pickled as its values: scores come back from the scoring workers 10,000 at a time,
        and the default pickling of a slotted dataclass takes twice as long each way."""
        return (Score, self.values())


@dataclass(frozen=True, slots=True)
class ScoredPost:
    """A new post ready to store: its dedupe key and its score travel with it."""

    post: Post
    text_key: str
    score: Score


@dataclass(frozen=True)
class PrescoredPost(Post):
    """A post read back with the score a scorer gave it elsewhere (a backfill's Parquet):
    stored with that score when ``version`` is the active scorer's, else scored again."""

    score: Score | None = None
    version: str = ""


@dataclass(frozen=True, slots=True)
class Rejection:
    """An input record that could not become a Post: where it was and why."""

    where: str
    reason: str


def rejected(where: str, exc: Exception) -> Rejection:
    """One item that failed, as its rejection: an ``InvalidPost`` in its own words, any other
    fault (a missing field, a date past the calendar, nesting too deep) by its type; one item's
    fault is never its batch's."""
    reason = str(exc) if isinstance(exc, InvalidPost) else f"{type(exc).__name__}: {exc}"
    return Rejection(where, reason[:300])


def label_of(name: Callable[[Any], Any], item: Any, default: str = "") -> str:
    """What ``name`` calls an item, for its rejection; an item too broken to name is still
    rejected, under ``default``."""
    try:
        return str(name(item))
    except Exception:
        return default
