"""twarc2 files from X's API v2: raw pages (``twarc2 search``/``stream``: one response a line),
flattened tweets (``twarc2 flatten``: one tweet a line) and twarc-csv's CSV (``twarc2 csv``).
All three go through ``platforms.x.tweet_to_post``; retweets are skipped, as there."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from monitor.formats.base import Importer, ImportOptions, Item, Skip, fill_tags, items_of
from monitor.platforms.x import tweet_to_post, users_of


def tweet_item(tweet: dict[str, Any], users: dict[str, str], options: ImportOptions) -> Item:
    """An API v2 tweet through ``platforms.x``: a Post, or a Skip for a retweet."""
    post = tweet_to_post(tweet, None, users)
    return Skip("retweet") if post is None else fill_tags(post, options.tags)


def _tweet_id(tweet: Any) -> str:
    return f"tweet {tweet.get('id', '?')}"


class Twarc2Pages(Importer):
    name = "twarc2"
    title = "twarc2 raw JSONL: one API response a line (search pages, or stream matches)"
    rank = 10

    def sniff(self, first: Any) -> bool:
        return (
            isinstance(first, dict)
            and "data" in first
            and bool({"includes", "meta", "__twarc", "matching_rules"} & first.keys())
        )

    def items(self, record: Any, where: str, options: ImportOptions) -> Iterator[Item]:
        tweets = record.get("data") or []
        if isinstance(tweets, dict):  # stream output: one tweet a line
            tweets = [tweets]
        users = users_of(record)
        for error in record.get("errors") or []:
            yield Skip(f"API error in the page ({error.get('title') or 'unnamed'})")
        yield from items_of(tweets, where, lambda t: tweet_item(t, users, options), _tweet_id)


class Twarc2Flat(Importer):
    name = "twarc2-flat"
    title = "twarc2 flattened JSONL (twarc2 flatten): one tweet a line, author inlined"
    rank = 10

    def sniff(self, first: Any) -> bool:
        return (
            isinstance(first, dict)
            and {"id", "text", "author_id"} <= first.keys()
            and isinstance(first.get("author"), dict)
        )

    def items(self, record: Any, where: str, options: ImportOptions) -> Iterator[Item]:
        author = record.get("author") or {}
        users = {record["author_id"]: author.get("username")}
        yield tweet_item(record, users, options)


_METRICS = ("retweet_count", "reply_count", "like_count", "quote_count", "impression_count")


class TwarcCsv(Importer):
    name = "twarc-csv"
    title = "twarc-csv CSV (twarc2 csv): one tweet a row, columns like author.username"
    layout = "csv"
    rank = 10

    def sniff(self, first: Any) -> bool:
        return {"id", "text", "author.username", "referenced_tweets.retweeted.id"} <= set(first)

    def items(self, record: Any, where: str, options: ImportOptions) -> Iterator[Item]:
        tags = json.loads(record.get("entities.hashtags") or "[]")
        tweet = {
            "id": record["id"],
            "created_at": record["created_at"],
            # twarc-csv writes line breaks as the two characters \\n.
            "text": record["text"].replace("\\n", "\n"),
            "author_id": record.get("author_id"),
            "lang": record.get("lang") or None,
            "entities": {"hashtags": [{"tag": t.lstrip("#")} for t in tags]},
            "public_metrics": {
                m: int(record[f"public_metrics.{m}"])
                for m in _METRICS
                if (record.get(f"public_metrics.{m}") or "").isdigit()
            },
            "referenced_tweets": (
                [{"type": "retweeted"}] if record.get("referenced_tweets.retweeted.id") else []
            ),
        }
        yield tweet_item(tweet, {record.get("author_id"): record.get("author.username")}, options)
