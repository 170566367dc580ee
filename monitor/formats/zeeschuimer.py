"""Zeeschuimer captures (the NDJSON 4CAT imports): X posts (``platforms.x``) and TikTok
videos (``platforms.tiktok``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from monitor.formats.base import Importer, ImportOptions, Item, Skip, fill_tags
from monitor.platforms.tiktok import video_to_post
from monitor.platforms.x import graphql_tweet_to_post


class Zeeschuimer(Importer):
    name = "zeeschuimer"
    title = "Zeeschuimer NDJSON captures (the file 4CAT imports): X and TikTok"
    rank = 10

    def sniff(self, first: Any) -> bool:
        return isinstance(first, dict) and {"item_id", "source_platform", "data"} <= first.keys()

    def items(self, record: Any, where: str, options: ImportOptions) -> Iterator[Item]:
        platform = str(record.get("source_platform", ""))
        if platform in ("twitter.com", "x.com"):
            post = graphql_tweet_to_post(record["data"])
            yield Skip("retweet") if post is None else fill_tags(post, options.tags)
        elif platform == "tiktok.com":
            yield fill_tags(video_to_post(record["data"]), options.tags)
        else:
            yield Skip(f"{platform or 'unknown'} capture (not read yet)")
