"""Zeeschuimer captures (the NDJSON 4CAT imports): X posts through the X collector's
``tweet_to_post`` (the capture's GraphQL tweet rewritten as an API v2 tweet), and TikTok
videos (their description is the text)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from monitor.formats import Importer, ImportOptions, Item, Skip, fill_tags
from monitor.formats.twarc2 import tweet_item
from monitor.models import Post

_X_METRICS = {
    "like_count": "favorite_count",
    "retweet_count": "retweet_count",
    "reply_count": "reply_count",
    "quote_count": "quote_count",
    "bookmark_count": "bookmark_count",
}


def _x(data: dict[str, Any], options: ImportOptions) -> Item:
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
    return tweet_item(v2, {"author": screen_name}, options)


def _tiktok(data: dict[str, Any], options: ImportOptions) -> Item:
    author = (data.get("author") or {}).get("uniqueId")
    tags = [c["title"] for c in data.get("challenges") or [] if c.get("title")]
    tags += [t["hashtagName"] for t in data.get("textExtra") or [] if t.get("hashtagName")]
    post = Post(
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
    return fill_tags(post, options.tags)


class Zeeschuimer(Importer):
    name = "zeeschuimer"
    title = "Zeeschuimer NDJSON captures (the file 4CAT imports): X and TikTok"
    rank = 10

    def sniff(self, first: Any) -> bool:
        return isinstance(first, dict) and {"item_id", "source_platform", "data"} <= first.keys()

    def items(self, record: Any, where: str, options: ImportOptions) -> Iterator[Item]:
        platform = str(record.get("source_platform", ""))
        if platform in ("twitter.com", "x.com"):
            yield _x(record["data"], options)
        elif platform == "tiktok.com":
            yield _tiktok(record["data"], options)
        else:
            yield Skip(f"{platform or 'unknown'} capture (not read yet)")
