"""Mastodon statuses, as the API and exports hold them, and ActivityPub ``Create`` activities, as
an account archive's outbox holds them."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from monitor.models import Post
from monitor.text import html_to_text, parse_timestamp

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


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


def _author(actor: str) -> str | None:
    """``https://host/users/name`` → ``name@host``."""
    parts = urlsplit(actor)
    name = parts.path.rstrip("/").rsplit("/", 1)[-1]
    return f"{name}@{parts.hostname}" if name and parts.hostname else None


def create_activity_to_post(activity: dict[str, Any]) -> Post | None:
    """A ``Create`` activity's status as a Post keyed by its uri, as the collector keys it;
    None when it was not public or unlisted. The raw payload is the activity."""
    status = activity["object"]
    audience = [*(status.get("to") or []), *(status.get("cc") or [])]
    if PUBLIC not in audience:
        return None
    languages = list(status.get("contentMap") or {})
    return Post(
        platform="mastodon",
        id=status["id"],
        created_at=parse_timestamp(status.get("published") or activity["published"]),
        text=status_text(status.get("content"), status.get("summary")),
        author=_author(activity.get("actor") or status.get("attributedTo") or ""),
        url=status.get("url") or status["id"],
        lang=languages[0] if languages else None,
        tags=tuple(
            t["name"].lstrip("#")
            for t in status.get("tag") or []
            if isinstance(t, dict) and t.get("type") == "Hashtag" and t.get("name")
        ),
        raw=activity,
    )
