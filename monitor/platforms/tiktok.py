"""TikTok videos, as Zeeschuimer captures hold them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from monitor.models import Post


def video_to_post(data: dict[str, Any]) -> Post:
    """A TikTok video item as a Post: its description is the text."""
    author = (data.get("author") or {}).get("uniqueId")
    tags = [c["title"] for c in data.get("challenges") or [] if c.get("title")]
    tags += [t["hashtagName"] for t in data.get("textExtra") or [] if t.get("hashtagName")]
    return Post(
        platform="tiktok",
        id=str(data["id"]),
        created_at=datetime.fromtimestamp(int(data["createTime"]), UTC),
        text=data.get("desc") or "",
        author=author,
        url=f"https://www.tiktok.com/@{author}/video/{data['id']}",
        tags=tuple(dict.fromkeys(tags)),
        metrics=data.get("stats"),
        raw=data,
    )
