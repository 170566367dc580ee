"""Importing files is a source too: JSON Lines or CSV of canonical post records → Posts.

A record: ``{"platform", "id", "created_at", "text", "author"?, "url"?, "lang"?, "tags"?,
"metrics"?}``. In CSV, ``tags`` is ';'-separated and ``metrics`` is JSON. A record that
cannot become a Post becomes a Rejection naming its file, line and reason.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from monitor.errors import InvalidPost, MonitorError
from monitor.models import Post, Rejection
from monitor.text import PLATFORM_ALIASES, fold_tag, hashtags, is_valid_tag, parse_timestamp

# A CSV field longer than any post (texts over 100,000 characters are rejected anyway): past
# this the csv module stops with an error, which becomes that record's rejection.
csv.field_size_limit(1_000_000)
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv"}
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


def record_to_post(record: Any, platform: str | None = None, tags: Sequence[str] = ()) -> Post:
    """One canonical record as a Post; ``platform`` and ``tags`` fill in missing fields."""
    if not isinstance(record, Mapping):
        raise InvalidPost("not a JSON object")
    post_platform = record.get("platform") or platform
    if not isinstance(post_platform, str) or not post_platform.strip():
        raise InvalidPost("missing platform (give --platform)")
    post_platform = post_platform.strip().lower()
    post_platform = PLATFORM_ALIASES.get(post_platform, post_platform)
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
        created_at=parse_timestamp(record.get("created_at")),
        text=text,
        tags=tuple(post_tags),
        metrics=metrics or None,
        **{name: _optional_str(record, name) for name in _OPTIONAL},
    )


def _jsonl_records(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                line = raw.decode("utf-8").removeprefix("\ufeff")
            except UnicodeDecodeError:
                yield number, InvalidPost("not valid UTF-8")
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, InvalidPost(f"not valid JSON ({exc.msg})")
            except ValueError as exc:  # an integer of thousands of digits
                yield number, InvalidPost(f"not valid JSON ({exc})")
            except RecursionError:
                yield number, InvalidPost("not valid JSON (nested too deeply)")


def _csv_records(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open(newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
        reader = csv.DictReader(handle)
        start = 2
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # a field over the size limit: that record only
                yield start, InvalidPost(f"not valid CSV ({exc})")
                start = reader.line_num + 1
                continue
            values = [v for v in row.values() if isinstance(v, str)]
            end = reader.line_num
            if end > start and _holds_records(values, len(reader.fieldnames or ())):
                yield (
                    start,
                    InvalidPost(
                        f"a quote opened on line {start} runs to line {end}: lines {start + 1}-{end} "
                        "(records of their own, by the look of them) are inside this one and were "
                        "not imported; fix the quote"
                    ),
                )
            elif any(any("\udc80" <= ch <= "\udcff" for ch in v) for v in values):
                yield start, InvalidPost("not valid UTF-8")
            elif None in row:
                yield start, InvalidPost("more fields than the header names")
            else:
                yield start, row
            start = reader.line_num + 1


def _holds_records(values: list[str], columns: int) -> bool:
    """Whether a line inside a record's multi-line fields reads as a whole record of its own
    (as many fields as the header): the sign of a quote left open."""
    inner = (line for v in values if "\n" in v for line in v.split("\n")[1:] if line.strip())
    return any(len(next(csv.reader([line]), [])) >= columns > 1 for line in inner)


def read_posts(
    path: Path, platform: str | None = None, tags: Sequence[str] = ()
) -> Iterator[Post | Rejection]:
    """Stream a file's records as Posts, or as Rejections naming the line and the reason."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise MonitorError(f"{path}: unknown file type (expected {', '.join(FORMATS)})")
    if not path.is_file():
        raise MonitorError(f"{path}: no such file")
    records = _jsonl_records(path) if kind == "jsonl" else _csv_records(path)
    for number, record in records:
        try:
            if isinstance(record, InvalidPost):
                raise record
            yield record_to_post(record, platform, tags)
        except InvalidPost as exc:
            yield Rejection(f"{path}:{number}", str(exc))
