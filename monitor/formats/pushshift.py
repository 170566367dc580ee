"""Reddit dumps (Pushshift, Arctic Shift: ``RC_*`` comments and ``RS_*`` submissions, one JSON
object a line, often ``.zst``), every era, read by ``platforms.reddit.dump_line_to_post``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from monitor.formats.base import Importer, ImportOptions, Item, Skip, fill_tags
from monitor.platforms.reddit import dump_line_to_post


class Pushshift(Importer):
    name = "reddit-dump"
    title = "Reddit dumps (Pushshift, Arctic Shift RC_/RS_ NDJSON, .zst): comments, submissions"
    rank = 10

    def sniff(self, first: Any) -> bool:
        return (
            isinstance(first, dict)
            and "subreddit" in first
            and "created_utc" in first
            and ("body" in first or "title" in first)
        )

    def items(self, record: Any, where: str, options: ImportOptions) -> Iterator[Item]:
        if options.subreddits and str(record.get("subreddit", "")).lower() not in (
            options.subreddits
        ):
            yield Skip("not in --subreddit")
            return
        post = dump_line_to_post(record)
        yield Skip("deleted or removed") if post is None else fill_tags(post, options.tags)
