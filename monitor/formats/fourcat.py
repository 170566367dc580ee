"""4CAT CSV exports: ``id, thread_id, author, body, timestamp`` and per-platform columns. 4CAT
writes ``timestamp`` as ``YYYY-MM-DD HH:MM:SS`` without an offset; it is read as UTC (what 4CAT
means for most platforms), as ``monitor import --formats`` and the README say. The platform is
not in the file: give ``--platform``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from monitor.errors import InvalidPost
from monitor.formats.base import Importer, ImportOptions, Item, fill_tags
from monitor.models import Post
from monitor.text import fold_platform, parse_timestamp


def _time(record: dict[str, Any]) -> datetime:
    if record.get("created_at"):  # Bluesky exports carry an ISO time with its offset
        return parse_timestamp(record["created_at"])
    try:
        return datetime.strptime(record["timestamp"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except (KeyError, TypeError, ValueError):
        raise InvalidPost(
            f"timestamp {record.get('timestamp')!r} is not YYYY-MM-DD HH:MM:SS"
        ) from None


class FourCat(Importer):
    name = "4cat-csv"
    title = "4CAT CSV export (id, thread_id, author, body, timestamp; times read as UTC)"
    layout = "csv"
    rank = 20

    def sniff(self, first: Any) -> bool:
        return {"id", "thread_id", "author", "body", "timestamp"} <= set(first)

    def items(self, record: Any, where: str, options: ImportOptions) -> Iterator[Item]:
        if not options.platform:
            raise InvalidPost("a 4CAT export does not name its platform: give --platform")
        platform = fold_platform(options.platform)
        tags = record.get("hashtags") or record.get("tags") or ""
        metrics = {
            key.removesuffix("_count"): int(value)
            for key, value in record.items()
            if key and key.endswith("_count") and (value or "").isdigit()
        }
        languages = (record.get("languages") or "").split(",")
        post = Post(
            platform=platform,
            id=record["id"],
            created_at=_time(record),
            text=record.get("body") or "",
            author=record.get("author") or None,
            url=record.get("link") or record.get("url") or None,
            lang=languages[0].strip() if languages[0].strip() not in ("", "N/A") else None,
            tags=tuple(t.strip().lstrip("#") for t in tags.split(",") if t.strip()),
            metrics=metrics or None,
        )
        yield fill_tags(post, options.tags)
