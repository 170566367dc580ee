"""Bluesky posts: the API's PostView, and Jetstream's post-create events."""

from __future__ import annotations

from typing import Any

from monitor.models import Post
from monitor.text import fold_tag, parse_timestamp

POST = "app.bsky.feed.post"
_TAG_FACET = "app.bsky.richtext.facet#tag"


def _post(
    uri: str,
    record: dict[str, Any],
    handle: str,
    metrics: dict[str, Any],
    tag: str | None,
    raw: Any,
) -> Post:
    """A post record as a Post; hashtags from facets, ``record.tags`` and (later) the text."""
    facet_tags = [
        feature["tag"]
        for facet in record.get("facets") or []
        for feature in facet.get("features") or []
        if feature.get("$type") == _TAG_FACET and feature.get("tag")
    ]
    langs = record.get("langs") or []
    return Post(
        platform="bluesky",
        id=uri,
        created_at=parse_timestamp(record["createdAt"]),
        text=record.get("text") or "",
        author=handle,
        url=f"https://bsky.app/profile/{handle}/post/{uri.rsplit('/', 1)[-1]}",
        lang=langs[0] if langs else None,
        tags=tuple(
            fold_tag(t)
            for t in (*((tag,) if tag else ()), *facet_tags, *(record.get("tags") or []))
        ),
        metrics=metrics,
        raw=raw,
    )


def post_view_to_post(view: dict[str, Any], tag: str | None) -> Post:
    """A PostView (searchPosts, Zeeschuimer) as a Post."""
    metrics = {
        key: view.get(key)
        for key in ("likeCount", "repostCount", "replyCount", "quoteCount")
        if key in view
    }
    return _post(view["uri"], view["record"], view["author"]["handle"], metrics, tag, view)


def event_uri(event: dict[str, Any]) -> str:
    """The at:// uri of the post a Jetstream commit event is about."""
    return f"at://{event['did']}/{POST}/{event['commit']['rkey']}"


def create_event_to_post(event: dict[str, Any]) -> Post:
    """A Jetstream post-create event as a Post, keyed by the post's at:// uri as collected; the
    firehose names authors by DID only, so the DID stands for the handle."""
    return _post(event_uri(event), event["commit"]["record"], event["did"], {}, None, event)
