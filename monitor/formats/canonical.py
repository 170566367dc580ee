"""The monitor's own records, JSON Lines or CSV (what ``monitor export`` and the demo write).

A record: ``{"platform", "id", "created_at", "text", "author"?, "url"?, "lang"?, "tags"?,
"metrics"?}``. In CSV, ``tags`` is ';'-separated and ``metrics`` is JSON.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from monitor.errors import InvalidPost
from monitor.formats.base import Importer, ImportOptions
from monitor.models import Post
from monitor.text import fold_platform, fold_tag, hashtags, is_valid_tag, parse_timestamp

_OPTIONAL = ("author", "url", "lang")


def _optional_str(record: Mapping[str, Any], name: str) -> str | None:
    value = record.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidPost(f"{name} must be a string, got {type(value).__name__}")
    return value


def _tags(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = value.split(";")
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise InvalidPost("tags must be a list of strings")
    tags = [t for t in value if t.strip()]
    bad = [t for t in tags if not is_valid_tag(t)]
    if bad:
        raise InvalidPost(f"tag {bad[0]!r} is not a hashtag")
    return [fold_tag(t) for t in tags]


FIELDS = ("platform", "id", "created_at", "text", "author", "url", "lang", "tags", "metrics")
# Column names people give the same fields (matched without case, spaces or underscores).
ALIASES = {
    "createdat": "created_at",
    "date": "created_at",
    "datetime": "created_at",
    "time": "created_at",
    "timestamp": "created_at",
    "published": "created_at",
    "body": "text",
    "content": "text",
    "message": "text",
    "postid": "id",
    "user": "author",
    "username": "author",
    "link": "url",
    "language": "lang",
    "hashtags": "tags",
}


@functools.cache  # once per header, not once a cell
def field_name(column: str) -> str:
    """A column's canonical field: ``Platform``, ``ID``, ``Date``, ``Body`` are understood."""
    key = column.strip().lower().replace(" ", "").replace("_", "")
    return ALIASES.get(key) or next((f for f in FIELDS if f.replace("_", "") == key), column)


def _created_at(value: Any):
    """ISO 8601 with an offset, or Unix epoch seconds or milliseconds (a number or digits)."""
    if isinstance(value, bool):
        value = None
    if isinstance(value, str) and value.strip().replace(".", "", 1).isdigit():
        value = float(value)
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value  # past 5138 AD in seconds: ms
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise InvalidPost(f"created_at {value!r} is not a time") from None
    return parse_timestamp(value)


def record_to_post(
    record: Any,
    platform: str | None = None,
    tags: Sequence[str] = (),
    time: datetime | None = None,
) -> Post:
    """One canonical record as a Post; ``platform``, ``tags`` and ``time`` fill in missing
    fields (a labelled spreadsheet has no time: the user names one)."""
    if not isinstance(record, Mapping):
        raise InvalidPost("not a JSON object")
    post_platform = record.get("platform") or platform
    if not isinstance(post_platform, str) or not post_platform.strip():
        raise InvalidPost("missing platform (give --platform)")
    post_platform = fold_platform(post_platform)
    post_id = record.get("id")
    if isinstance(post_id, int) and not isinstance(post_id, bool):
        post_id = str(post_id)
    if not isinstance(post_id, str) or not post_id.strip():
        raise InvalidPost("missing id")
    text = record.get("text")
    if not isinstance(text, str):
        raise InvalidPost("missing text" if text is None else "text must be a string")
    post_tags = _tags(record.get("tags")) or [fold_tag(t) for t in tags]
    if not post_tags and not hashtags(text):
        raise InvalidPost("no tags (add a tags field or give --tag)")
    metrics = record.get("metrics")
    if isinstance(metrics, str) and metrics:
        try:
            metrics = json.loads(metrics)
        except json.JSONDecodeError:
            raise InvalidPost("metrics is not JSON") from None
    return Post(
        platform=post_platform,
        id=post_id.strip(),
        created_at=time
        if time is not None and record.get("created_at") in (None, "")
        else _created_at(record.get("created_at")),
        text=text,
        tags=tuple(post_tags),
        metrics=metrics or None,
        **{name: _optional_str(record, name) for name in _OPTIONAL},
    )


class CanonicalJson(Importer):
    name = "canonical"
    title = "the monitor's own records, JSON Lines: platform, id, created_at, text, tags..."
    rank = 90

    def sniff(self, first: Any) -> bool:
        return isinstance(first, Mapping)

    def items(self, record: Any, where: str, options: ImportOptions) -> Iterator[Post]:
        yield record_to_post(record, options.platform, options.tags, options.time)


class CanonicalCsv(Importer):
    name = "canonical-csv"
    title = "the monitor's own records, CSV (Platform, ID, Date, Text... understood; , or ;)"
    layout = "csv"
    rank = 90

    def sniff(self, first: Any) -> bool:
        return {"id", "text"} <= {field_name(c) for c in first if c}

    def items(self, record: Any, where: str, options: ImportOptions) -> Iterator[Post]:
        fields = {field_name(k): v for k, v in record.items() if k}
        yield record_to_post(fields, options.platform, options.tags, options.time)

    def notes(self, first: Any) -> list[str]:
        ignored = [c for c in first if c and field_name(c) not in FIELDS]
        return [f"columns ignored: {', '.join(ignored)}"] if ignored else []
