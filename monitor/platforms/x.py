"""X (Twitter) API v2 tweets, as the API and twarc2 files hold them."""

from __future__ import annotations

import html
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from monitor.models import Post
from monitor.text import parse_timestamp

TWITTER_EPOCH_MS = 1288834974657


def snowflake_time(tweet_id: str) -> datetime:
    """When a tweet was posted, from its id (ids since November 2010 encode milliseconds)."""
    return datetime.fromtimestamp(((int(tweet_id) >> 22) + TWITTER_EPOCH_MS) / 1000, UTC)


def is_retweet(tweet: dict[str, Any]) -> bool:
    kinds = {r.get("type") for r in tweet.get("referenced_tweets") or []}
    return "retweeted" in kinds or tweet.get("text", "").startswith("RT @")


def tweet_to_post(tweet: dict[str, Any], tag: str | None, users: dict[str, str]) -> Post | None:
    """A tweet as a Post (None for a retweet); ``users`` maps author ids to usernames. The API
    sends ``&amp;``, ``&lt;`` and ``&gt;`` escaped: the text is unescaped."""
    if is_retweet(tweet):
        return None
    username = users.get(tweet.get("author_id", ""))
    created = tweet.get("created_at")
    hashtags = [h["tag"] for h in (tweet.get("entities") or {}).get("hashtags") or []]
    return Post(
        platform="x",
        id=tweet["id"],
        created_at=parse_timestamp(created) if created else snowflake_time(tweet["id"]),
        text=html.unescape(tweet["text"]),
        author=username,
        url=(
            f"https://x.com/{username}/status/{tweet['id']}"
            if username
            else f"https://x.com/i/web/status/{tweet['id']}"
        ),
        lang=tweet.get("lang"),
        tags=(*((tag,) if tag else ()), *hashtags),
        metrics=tweet.get("public_metrics"),
        raw=tweet,
    )


def users_of(body: dict[str, Any]) -> dict[str, str]:
    """Author ids to usernames, from a response's ``includes``."""
    return {
        u["id"]: u.get("username")
        for u in (body.get("includes") or {}).get("users") or []
        if isinstance(u, dict) and "id" in u
    }


_X_METRICS = {
    "like_count": "favorite_count",
    "retweet_count": "retweet_count",
    "reply_count": "reply_count",
    "quote_count": "quote_count",
    "bookmark_count": "bookmark_count",
}


def graphql_tweet_to_post(data: dict[str, Any]) -> Post | None:
    """A tweet as X's web GraphQL holds it (Zeeschuimer captures) as a Post, through
    ``tweet_to_post``; None for a retweet. The raw payload is the capture's tweet."""
    tweet = data.get("tweet") or data  # "TweetWithVisibilityResults" wraps the tweet
    legacy = tweet["legacy"]
    user = tweet["core"]["user_results"]["result"]
    screen_name = (user.get("legacy") or {}).get("screen_name") or (user.get("core") or {}).get(
        "screen_name"
    )
    note = (((tweet.get("note_tweet") or {}).get("note_tweet_results") or {}).get("result")) or {}
    created = datetime.strptime(legacy["created_at"], "%a %b %d %H:%M:%S %z %Y")
    metrics = {ours: legacy[theirs] for ours, theirs in _X_METRICS.items() if theirs in legacy}
    views = (tweet.get("views") or {}).get("count")
    if isinstance(views, str) and views.isdigit():
        metrics["impression_count"] = int(views)
    v2 = {
        "id": tweet["rest_id"],
        "created_at": created.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "text": note.get("text") or legacy["full_text"],
        "author_id": "author",
        "lang": legacy.get("lang"),
        "entities": {"hashtags": [{"tag": h["text"]} for h in legacy["entities"]["hashtags"]]},
        "public_metrics": metrics,
        "referenced_tweets": [{"type": "retweeted"}]
        if legacy.get("retweeted_status_result")
        else [],
    }
    post = tweet_to_post(v2, None, {"author": screen_name})
    return None if post is None else replace(post, raw=data)
