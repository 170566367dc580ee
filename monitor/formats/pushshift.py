"""Reddit dumps (Pushshift, Arctic Shift: ``RC_*`` comments and ``RS_*`` submissions, one JSON
object a line, often ``.zst``). Every era is read: ``created_utc`` as an int, a float or a
string; ``name`` and ``permalink`` filled in where old lines lack them; HTML entities decoded.
The line then goes through the Reddit collector's ``thing_to_post``."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

from monitor.formats import Importer, ImportOptions, Item, Skip, fill_tags
from monitor.sources.reddit import thing_to_post


def _thing(line: dict[str, Any]) -> dict[str, Any]:
    """A dump line as the API's ``{"kind", "data"}`` thing."""
    kind = "t1" if "body" in line else "t3"
    data = dict(line)
    data["created_utc"] = float(str(line["created_utc"]))
    data["name"] = line.get("name") or f"{kind}_{line['id']}"
    if not line.get("permalink"):
        article = str(line.get("link_id") or line["id"]).removeprefix("t3_")
        tail = f"_/{line['id']}/" if kind == "t1" else ""
        data["permalink"] = f"/r/{line.get('subreddit')}/comments/{article}/{tail}"
    for key in ("body", "title", "selftext"):
        if isinstance(line.get(key), str):
            data[key] = html.unescape(line[key])
    return {"kind": kind, "data": data}


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
        post = thing_to_post(_thing(record), None)
        yield Skip("deleted or removed") if post is None else fill_tags(post, options.tags)
