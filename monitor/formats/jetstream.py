"""Bluesky Jetstream events (one JSON event a line, as the firehose relay sends them). Post
creates go through the Bluesky collector's ``post_view_to_post`` (keyed by the post's at://
uri, as collected); the firehose names authors by DID only, so the DID stands for the handle.
A post delete removes the post if it is stored; likes, follows and other events are skipped,
counted by kind."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from monitor.formats import Delete, Importer, ImportOptions, Item, Skip, fill_tags
from monitor.sources.bluesky import post_view_to_post

POST = "app.bsky.feed.post"


class Jetstream(Importer):
    name = "jetstream"
    title = "Bluesky Jetstream events JSONL: post creates (and deletes); other events skipped"
    rank = 10

    def sniff(self, first: Any) -> bool:
        return isinstance(first, dict) and {"did", "time_us", "kind"} <= first.keys()

    def items(self, record: Any, where: str, options: ImportOptions) -> Iterator[Item]:
        commit = record.get("commit") or {}
        collection = commit.get("collection", record.get("kind"))
        if record.get("kind") != "commit" or collection != POST:
            yield Skip(f"{collection} event")
            return
        uri = f"at://{record['did']}/{POST}/{commit['rkey']}"
        if commit.get("operation") == "delete":
            yield Delete("bluesky", uri)
            return
        if commit.get("operation") != "create":
            yield Skip(f"post {commit.get('operation')} event")
            return
        view = {
            "uri": uri,
            "record": commit["record"],
            "author": {"handle": record["did"]},
        }
        yield fill_tags(post_view_to_post(view, None), options.tags)
