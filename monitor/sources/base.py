"""The small interface every platform source follows.

A source turns one API page into Posts and says how to ask for the next (older) page. It knows
nothing of the database: ``monitor.collect`` walks the pages, stores each page with its cursor
in one transaction, and decides when a walk is done. A new platform is one new module in this
package with a ``Source`` subclass and a settings dataclass (its item parser one module in
``monitor.platforms``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor.http import Http, SourceError
from monitor.models import Post, Rejection, label_of, rejected
from monitor.plugins import Configurable


@dataclass
class Page:
    """One API page: its posts, what was rejected, and the token for the next older page.

    ``newest``/``oldest`` are the source's own sortable markers (ids or timestamps) of the
    newest and oldest item on the page, reposts included; None on an empty page."""

    posts: list[Post] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    next: dict[str, Any] | None = None
    newest: Any = None
    oldest: Any = None
    oldest_time: datetime | None = None


class Source(Configurable, ABC):
    """One platform. Subclasses set ``name``, ``Settings`` and ``config_snippet`` and implement
    ``fetch``; the platform's items become Posts in ``monitor.platforms``."""

    def __init__(self, settings: Any, http: Http, env: Mapping[str, str]) -> None:
        self.settings = settings
        self.http = http
        self.env = env

    def missing_credentials(self) -> str | None:
        """None when the source can run; else one line saying which variables to set."""
        return None

    def instances(self) -> list[str]:
        """The servers this source collects from (each keeps its own cursors)."""
        return [self.settings.base_url]

    @abstractmethod
    def fetch(
        self,
        instance: str,
        tag: str,
        token: dict[str, Any] | None,
        since: Any,
        horizon: datetime,
    ) -> Page:
        """The newest page (token None) or the page ``token`` names. ``since`` is the marker
        the walk stops at (None on a first run), for servers that can filter by it; posts
        older than ``horizon`` are not needed."""


def build_page(
    items: list[Any],
    to_post: Callable[[Any], Post | None],
    marker: Callable[[Any], Any],  # the item's position in the walk; None: not walked
    where: Callable[[Any], str],
    next_token: dict[str, Any] | None,
) -> Page:
    """A Page from raw API items: each becomes a Post, is skipped (``to_post`` returns None,
    for reposts) or becomes a Rejection naming the item and the reason. Whatever is wrong with
    one item (a missing field, a date past the calendar, nesting too deep) is that item's
    rejection; only accepted items move the walk's markers, so a post dated 2099 cannot."""
    if not isinstance(items, list):
        raise SourceError(f"expected a list of posts, got {type(items).__name__}")
    page = Page(next=next_token)
    markers = []
    for item in items:
        try:
            post = to_post(item)
            position = marker(item)
        except Exception as exc:  # any fault in one item is that item's alone
            page.rejected.append(rejected(label_of(where, item, "an item without an id"), exc))
            continue
        if position is not None:
            markers.append(position)
        if post is not None:
            page.posts.append(post)
    if markers:
        page.newest, page.oldest = max(markers), min(markers)
    if page.posts:
        page.oldest_time = min(p.created_at for p in page.posts)
    return page
