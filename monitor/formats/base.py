"""The import format contract: an ``Importer`` recognises its records and maps each to
Posts; what it deliberately leaves out is a ``Skip`` (counted by reason), what it cannot read a
``Rejection``. Formats live one module each beside this one."""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, ClassVar

import orjson

from monitor.errors import EmptyText, InvalidPost, MonitorError
from monitor.models import Post, Rejection, label_of, rejected
from monitor.text import fold_tag, hashtags, is_valid_tag


@dataclass(frozen=True, slots=True)
class Skip:
    """Input items deliberately not imported (``count`` of them): counted by reason, not
    rejected."""

    reason: str
    count: int = 1


@dataclass(frozen=True)
class ImportOptions:
    """What fills and filters the records: ``platform``, ``tags`` and ``time`` fill records
    that have none, ``add_tags`` go on every post; ``since``/``until`` (aware datetimes),
    ``subreddits`` and ``match`` (words or hashtags, any of them, case-insensitive) skip the
    rest before anything is scored."""

    platform: str | None = None
    tags: tuple[str, ...] = ()
    time: datetime | None = None  # for records with no time (the monitor's own formats)
    add_tags: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    subreddits: frozenset[str] = frozenset()
    match: tuple[str, ...] = ()
    raw_match: re.Pattern[bytes] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for option, tags in (("--tag", self.tags), ("--add-tag", self.add_tags)):
            bad = [t for t in tags if not is_valid_tag(t)]
            if bad:
                raise MonitorError(f"{option}: {bad[0]!r} is not a hashtag")
        words = tuple(w.lower().lstrip("#") for w in self.match if w.strip("# "))
        object.__setattr__(self, "match", words)
        # The raw-line pre-filter can only trust ASCII words (JSON may escape the others).
        raw = None
        if words and all(w.isascii() for w in words):
            raw = re.compile(b"|".join(re.escape(w.encode()) for w in words))
        object.__setattr__(self, "raw_match", raw)
        object.__setattr__(self, "subreddits", frozenset(s.lower() for s in self.subreddits))

    def cannot_match(self, line: bytes) -> bool:
        """A raw line none of whose bytes spell a match word: skipped without parsing."""
        return self.raw_match is not None and self.raw_match.search(line.lower()) is None

    def keep(self, post: Post) -> str | None:
        """None to import the post, else why it is skipped."""
        if self.since and post.created_at < self.since:
            return "before --since"
        if self.until and post.created_at >= self.until:
            return "after --until"
        if self.match:
            text = post.text.lower()
            tags = {t.lower() for t in post.tags}
            if not any(w in tags or w in text for w in self.match):
                return NO_MATCH.reason
        return None


@dataclass(frozen=True, slots=True)
class Delete:
    """A post its author deleted (a firehose delete event): removed if it is stored."""

    platform: str
    id: str


@dataclass(frozen=True, slots=True)
class Damaged(Rejection):
    """The rest of a file that cannot be read (a damaged archive): what was read stands."""


@dataclass(frozen=True, slots=True)
class Note:
    """Something to tell the user once about a file; not a record."""

    text: str


Item = Post | Skip | Rejection | Delete | Note


NO_TEXT = Skip("no text (an image or video only)")


NO_MATCH = Skip("no --match word")


class Importer(ABC):
    """One file format: recognise it from its first record, and map each record to Posts."""

    name: ClassVar[str]
    title: ClassVar[str]  # one line for ``monitor import --formats``
    # "json": JSON values, a line each or one document; "csv"; "parquet": a folder or .parquet
    layout: ClassVar[str] = "json"
    rank: ClassVar[int] = 50  # detection order: specific formats first, the canonical last

    @abstractmethod
    def sniff(self, first: Any) -> bool:
        """Whether the first record (a JSON value, or a CSV header's column names) is ours."""

    @abstractmethod
    def items(self, record: Any, where: str, options: ImportOptions) -> Iterable[Item]:
        """The posts (and skips, and per-item rejections) one record holds; raise
        InvalidPost (or any error) when the whole record is unusable."""

    def notes(self, first: Any) -> list[str]:
        """What the user should know about the file once (columns it does not read, say)."""
        return []


def items_of(
    things: Iterable[Any], where: str, convert: Any, name: Any = lambda thing: ""
) -> Iterator[Item]:
    """Each of a record's things through ``convert`` (which returns a Post or a Skip); a
    thing that fails is its own rejection, named by ``name``."""
    for thing in things:
        try:
            yield convert(thing)
        except EmptyText:
            yield NO_TEXT
        except Exception as exc:  # one bad item of a page is that item's alone
            yield rejected(f"{where} {label_of(name, thing)}".rstrip(), exc)


def fill_tags(post: Post, tags: tuple[str, ...]) -> Post:
    """``--tag`` fills a post that has no tag of its own (in its data or its text)."""
    if post.tags or hashtags(post.text):
        return post
    if not tags:
        raise InvalidPost("no tags (add a tags field or give --tag)")
    return replace(post, tags=tuple(fold_tag(t) for t in tags))


def json_loads(data: bytes | str) -> Any:
    """orjson (several times the standard library on dump lines); what orjson refuses is read
    again by the standard library, which takes NaN, 1e400 and lone surrogates (the post's
    checks then drop or reject them) and words its errors for people. Errors: ValueError."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg})") from None
    except UnicodeDecodeError:
        raise ValueError("not valid UTF-8") from None
    except ValueError as exc:  # an integer of thousands of digits
        raise ValueError(f"not valid JSON ({exc})") from None
    except RecursionError:
        raise ValueError("not valid JSON (nested too deeply)") from None
