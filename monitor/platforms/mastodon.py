"""Mastodon statuses, as the API and exports hold them."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from monitor.models import Post
from monitor.text import html_to_text, parse_timestamp


def status_text(content: str | None, warning: str | None) -> str:
    """A status's plain text, its content warning first (the reader sees both)."""
    text = html_to_text(content or "")
    return f"{warning}\n\n{text}".strip() if warning else text


def status_to_post(status: dict[str, Any], tag: str | None, instance: str) -> Post:
    """A status (or the original of a reblog) as a Post keyed by its canonical uri."""
    original = status.get("reblog") or status
    text = status_text(original.get("content"), original.get("spoiler_text"))
    account = original.get("account") or {}
    author = account.get("acct")
    if author and "@" not in author:  # a local account: name its home server
        author = f"{author}@{urlsplit(instance).hostname}"
    return Post(
        platform="mastodon",
        id=original["uri"],
        created_at=parse_timestamp(original["created_at"]),
        text=text,
        author=author,
        url=original.get("url") or original["uri"],
        lang=original.get("language"),
        tags=(*((tag,) if tag else ()), *(t["name"] for t in original.get("tags") or [])),
        metrics={
            "replies": original.get("replies_count"),
            "reblogs": original.get("reblogs_count"),
            "favourites": original.get("favourites_count"),
        },
        raw=status,
    )
