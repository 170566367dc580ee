"""Example platform: items {"example_id", "at", "text", "tags"}."""

from __future__ import annotations

from typing import Any

from monitor.models import Post
from monitor.text import parse_timestamp


def item_to_post(item: dict[str, Any]) -> Post:
    return Post(
        platform="example",
        id=str(item["example_id"]),
        created_at=parse_timestamp(item["at"]),
        text=item["text"],
        tags=tuple(item.get("tags") or ()),
        raw=item,
    )
