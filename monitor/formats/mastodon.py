"""Mastodon: a JSON array of API statuses (as Mastodon.py or rtoot save them; one status a
line works too) through ``platforms.mastodon.status_to_post``, and an account archive's
``outbox.json`` (ActivityPub) through ``platforms.mastodon.create_activity_to_post``: its
public and unlisted posts, keyed by the status uri as the collector keys them. Boosts and
followers-only or direct posts are skipped."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from monitor.formats.base import Importer, ImportOptions, Item, Skip, fill_tags, items_of
from monitor.models import Post
from monitor.platforms.mastodon import create_activity_to_post, status_to_post


def _is_status(value: Any) -> bool:
    return isinstance(value, dict) and {"uri", "account", "content", "created_at"} <= value.keys()


def _status(status: dict[str, Any], options: ImportOptions) -> Post:
    home = f"https://{urlsplit(status['uri']).hostname}"  # names local accounts' server
    return fill_tags(status_to_post(status, None, home), options.tags)


class MastodonStatuses(Importer):
    name = "mastodon-statuses"
    title = "Mastodon API statuses: a JSON array (Mastodon.py, rtoot), or one status a line"
    rank = 10

    def sniff(self, first: Any) -> bool:
        return _is_status(first) or (
            isinstance(first, list) and bool(first) and _is_status(first[0])
        )

    def items(self, record: Any, where: str, options: ImportOptions) -> Iterator[Item]:
        statuses = record if isinstance(record, list) else [record]
        yield from items_of(
            statuses,
            where,
            lambda s: _status(s, options),
            lambda s: f"status {s.get('uri') or s.get('id')}",
        )


def _activity(activity: dict[str, Any], options: ImportOptions) -> Item:
    kind = activity.get("type")
    if kind != "Create":
        return Skip("boost" if kind == "Announce" else f"{kind} activity")
    post = create_activity_to_post(activity)
    return Skip("followers-only or direct") if post is None else fill_tags(post, options.tags)


class MastodonOutbox(Importer):
    name = "mastodon-outbox"
    title = "Mastodon account archive outbox.json: public and unlisted posts"
    rank = 10

    def sniff(self, first: Any) -> bool:
        return isinstance(first, dict) and isinstance(first.get("orderedItems"), list)

    def items(self, record: Any, where: str, options: ImportOptions) -> Iterator[Item]:
        yield from items_of(
            record["orderedItems"],
            where,
            lambda a: _activity(a, options),
            lambda a: f"activity {a.get('id')}",
        )
