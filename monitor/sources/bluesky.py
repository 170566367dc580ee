"""Bluesky: ``app.bsky.feed.searchPosts`` on the user's PDS, logged in with an app password.

Unauthenticated search was switched off in January 2025, so the source logs in with
``com.atproto.server.createSession``, refreshes the session when the access token expires (or
logs in again), and sends ``Authorization: Bearer``. Pages follow ``cursor``; when a cursor runs
out on a full page (deep paging stops near 10,000 results) the walk continues in an older time
window (``until`` = the oldest post seen).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from monitor.http import SourceError, env_value, epoch_reset
from monitor.platforms.bluesky import post_view_to_post
from monitor.sources.base import Page, Source, build_page
from monitor.text import parse_timestamp

PAGE_SIZE = 100


@dataclass(frozen=True)
class BlueskySettings:
    enabled: bool = True
    service: str = "https://bsky.social"
    handle_env: str = "BSKY_HANDLE"
    password_env: str = "BSKY_APP_PASSWORD"
    query: str = "#{tag}"


def _rate_limit(headers: httpx.Headers):
    return epoch_reset(headers, "ratelimit-remaining", "ratelimit-reset")


def iso_marker(moment: datetime) -> str:
    """A fixed-width UTC timestamp: sorts as text, and is what ``since``/``until`` take."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sort_marker(view: dict[str, Any]) -> str:
    """Where the post sits in search order: Bluesky's ``sortAt``, the earlier of the author's
    ``createdAt`` and the server's ``indexedAt``; a clock set to 2099 cannot push it ahead."""
    created = parse_timestamp(view["record"]["createdAt"])
    indexed = view.get("indexedAt")
    return iso_marker(min(created, parse_timestamp(indexed)) if indexed else created)


class Bluesky(Source):
    name = "bluesky"
    Settings = BlueskySettings
    config_snippet = """\
[sources.bluesky]
# Bluesky's post search on your PDS, logged in with an app password (not your account's);
# both come from the environment variables named here.
enabled = true
service = "https://bsky.social"
handle_env = "BSKY_HANDLE"
password_env = "BSKY_APP_PASSWORD"
query = "#{tag}"
"""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.session: dict[str, str] | None = None

    def instances(self) -> list[str]:
        return [self.settings.service.rstrip("/")]

    def missing_credentials(self) -> str | None:
        names = (self.settings.handle_env, self.settings.password_env)
        if all(env_value(self.env, n) for n in names):
            return None
        return f"set {names[0]} and {names[1]} (an app password) to search Bluesky"

    def _login(self, instance: str) -> None:
        handle = env_value(self.env, self.settings.handle_env)
        password = env_value(self.env, self.settings.password_env)
        self.http.add_secret(password)
        response = self.http.request(
            "POST",
            f"{instance}/xrpc/com.atproto.server.createSession",
            json={"identifier": handle, "password": password},
            what="bluesky login",
        )
        self._keep_session(self.http.decode(response, "bluesky login"))

    def _refresh(self, instance: str) -> None:
        """A fresh access token from the refresh token; a new login if that fails too."""
        try:
            response = self.http.request(
                "POST",
                f"{instance}/xrpc/com.atproto.server.refreshSession",
                headers={"Authorization": f"Bearer {self.session['refreshJwt']}"},
                what="bluesky session refresh",
            )
            self._keep_session(self.http.decode(response, "bluesky session refresh"))
        except SourceError:
            self._login(instance)

    def _keep_session(self, body: Any) -> None:
        if not isinstance(body, dict) or not body.get("accessJwt"):
            raise SourceError("bluesky login: the server sent no access token")
        self.session = body
        self.http.add_secret(body.get("accessJwt"), body.get("refreshJwt"))

    def _search(self, instance: str, params: dict[str, Any]) -> Any:
        if self.session is None:
            self._login(instance)
        return self.http.get_json_renewing(
            f"{instance}/xrpc/app.bsky.feed.searchPosts",
            authorization=lambda: {"Authorization": f"Bearer {self.session['accessJwt']}"},
            renew=lambda: self._refresh(instance),
            expired=lambda exc: exc.status == 401 or (exc.status == 400 and "xpired" in exc.detail),
            params=params,
            rate_limit=_rate_limit,
            what=f"bluesky search {params['q']!r}",
        )

    def fetch(
        self, instance: str, tag: str, token: dict[str, Any] | None, since: Any, horizon: datetime
    ) -> Page:
        params: dict[str, Any] = {
            "q": self.settings.query.format(tag=tag),
            "sort": "latest",
            "limit": PAGE_SIZE,
            "since": since or iso_marker(horizon),
        }
        token = token or {}
        if token.get("cursor"):
            params["cursor"] = token["cursor"]
        if token.get("until"):
            params["until"] = token["until"]
        data = self._search(instance, params)
        if not isinstance(data, dict) or not isinstance(data.get("posts"), list):
            raise SourceError(f"bluesky search {params['q']!r}: expected an object with posts")
        views = data["posts"]
        page = build_page(
            views,
            lambda v: post_view_to_post(v, tag),
            sort_marker,
            lambda v: f"bluesky {v.get('uri', '?') if isinstance(v, dict) else '?'}",
            None,
        )
        if views and data.get("cursor"):
            page.next = {"cursor": data["cursor"], "until": token.get("until")}
        elif len(views) >= PAGE_SIZE and page.oldest:
            page.next = {"cursor": None, "until": page.oldest}  # an older time window
        return page
