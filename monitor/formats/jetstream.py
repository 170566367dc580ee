"""Bluesky Jetstream events (one JSON event a line, as the firehose relay sends them). Post
creates are read by ``platforms.bluesky.create_event_to_post``; a post delete removes the post
if it is stored; likes, follows and other events are skipped, counted by kind."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from monitor.formats.base import Delete, Importer, ImportOptions, Item, Skip, fill_tags
from monitor.platforms.bluesky import POST, create_event_to_post, event_uri


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
        if commit.get("operation") == "delete":
            yield Delete("bluesky", event_uri(record))
            return
        if commit.get("operation") != "create":
            yield Skip(f"post {commit.get('operation')} event")
            return
        yield fill_tags(create_event_to_post(record), options.tags)
