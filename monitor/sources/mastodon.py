"""Mastodon (and servers speaking its API): the hashtag timeline of one or more instances.

``GET /api/v1/timelines/tag/:tag?limit=40``; older pages through the Link header's ``max_id``;
``since_id`` on the first page of a walk so the server sends only what is new. A post is keyed
by its canonical ``uri``, so the same post seen through two instances is stored once. A reblog
stores its original, once; the reblog itself is not a second post.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx

from monitor.errors import InvalidPost
from monitor.http import AuthError, RateLimit, SourceError, env_value
from monitor.platforms.mastodon import status_to_post
from monitor.sources.base import Page, Source, build_page
from monitor.text import parse_timestamp

# Status ids are numeric strings on Mastodon and fixed-width strings elsewhere: padding makes
# both sort as text.
_MARKER_WIDTH = 24


@dataclass(frozen=True)
class MastodonSettings:
    enabled: bool = True
    instances: tuple[str, ...] = ("https://mastodon.social",)
    token_env: str = "MASTODON_TOKEN"


def _rate_limit(headers: httpx.Headers) -> RateLimit | None:
    try:
        return RateLimit(
            float(headers["x-ratelimit-remaining"]), parse_timestamp(headers["x-ratelimit-reset"])
        )
    except (KeyError, ValueError, InvalidPost):
        return None


def _marker(status: dict[str, Any]) -> str:
    return str(status["id"]).rjust(_MARKER_WIDTH, "0")


class Mastodon(Source):
    name = "mastodon"
    Settings = MastodonSettings
    config_snippet = """\
[sources.mastodon]
# Hashtag timelines of these servers; a post seen on two is stored once. A token is optional
# on most servers; it comes from the environment variable named here.
enabled = true
instances = ["https://mastodon.social"]
token_env = "MASTODON_TOKEN"
"""

    def instances(self) -> list[str]:
        return [url.rstrip("/") for url in self.settings.instances]

    def fetch(
        self, instance: str, tag: str, token: dict[str, Any] | None, since: Any, horizon: datetime
    ) -> Page:
        params: dict[str, Any] = {"limit": 40}
        if token:
            params["max_id"] = token["max_id"]
        if since:
            params["since_id"] = since.lstrip("0")
        secret = env_value(self.env, self.settings.token_env)
        self.http.add_secret(secret)
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        what = f"mastodon {instance} #{tag}"
        try:
            response = self.http.request(
                "GET",
                f"{instance}/api/v1/timelines/tag/{quote(tag)}",
                params=params,
                headers=headers,
                rate_limit=_rate_limit,
                what=what,
            )
        except AuthError as exc:
            hint = (
                "the token was refused"
                if secret
                else f"this instance needs a token: set {self.settings.token_env}"
            )
            raise AuthError(f"{exc} ({hint})") from None
        statuses = self.http.decode(response, what)
        if not isinstance(statuses, list):
            raise SourceError(f"{what}: expected a list of statuses, got {type(statuses).__name__}")
        older = response.links.get("next", {}).get("url")
        try:
            max_id = parse_qs(urlsplit(older).query).get("max_id", [None])[0] if older else None
        except ValueError:
            raise SourceError(
                f"{what}: the Link header's next page is no URL: {older!r:.200}"
            ) from None
        return build_page(
            statuses,
            lambda s: status_to_post(s, tag, instance),
            _marker,
            lambda s: f"{what} status {s.get('id') if isinstance(s, dict) else '?'}",
            {"max_id": max_id} if max_id and statuses else None,
        )
