"""Reddit submissions (t3) and comments (t1): the API's things, and dump lines (Pushshift,
Arctic Shift) of every era."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

from monitor.models import Post

GONE = frozenset({"[deleted]", "[removed]"})
WEB = "https://www.reddit.com"


def _text(*parts: str | None) -> str:
    return "\n\n".join(p.strip() for p in parts if p and p.strip() and p.strip() not in GONE)


def _post(kind: str, data: dict[str, Any], tag: str | None, raw: Any) -> Post | None:
    if kind == "t3":
        text = _text(data.get("title"), data.get("selftext"))
    else:
        text = _text(data.get("body"))
        if not text:
            return None
    return Post(
        platform="reddit",
        id=data["name"],
        created_at=datetime.fromtimestamp(float(data["created_utc"]), UTC),
        text=text,
        author=None if data.get("author") in GONE else data.get("author"),
        url=WEB + data["permalink"],
        tags=(tag,) if tag else (),
        metrics={
            key: data[key] for key in ("score", "num_comments", "upvote_ratio") if key in data
        },
        raw=raw,
    )


def thing_to_post(thing: dict[str, Any], tag: str | None) -> Post | None:
    """An API t3 submission or t1 comment as a Post; None for a comment whose body is gone."""
    return _post(thing["kind"], thing["data"], tag, thing)


def dump_line_to_post(line: dict[str, Any]) -> Post | None:
    """A dump line as a Post: ``created_utc`` as an int, a float or a string; ``name`` and
    ``permalink`` filled in where old lines lack them; HTML entities decoded."""
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
    return _post(kind, data, None, line)
