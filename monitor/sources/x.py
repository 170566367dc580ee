"""X (Twitter) API v2 recent search with a bearer token.

``GET /2/tweets/search/recent`` with ``#tag -is:retweet``, the fields and expansions that make
a tweet a full post, ``next_token`` for older pages and ``since_id`` to resume. Retweets that
slip through are skipped (the original is the post). Without ``created_at`` the time comes from
the snowflake id.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from monitor.http import AuthError, SourceError, env_value, epoch_reset
from monitor.platforms.x import tweet_to_post, users_of
from monitor.sources.base import Page, Source, build_page

log = logging.getLogger(__name__)

RECENT_SEARCH_DAYS = 7
TWEET_FIELDS = "created_at,lang,public_metrics,entities,author_id,conversation_id,referenced_tweets"


@dataclass(frozen=True)
class XSettings:
    enabled: bool = True
    base_url: str = "https://api.x.com"
    token_env: str = "X_BEARER_TOKEN"
    query: str = "#{tag} -is:retweet"


def _rate_limit(headers: httpx.Headers):
    return epoch_reset(headers, "x-rate-limit-remaining", "x-rate-limit-reset")


def parse_page(body: Any, tag: str, what: str) -> Page:
    """A search (or lookup) response as a Page; a partial ``errors`` array is logged."""
    try:
        for error in body.get("errors") or []:
            log.warning("%s: the API reports: %s", what, error.get("detail") or error.get("title"))
        users = users_of(body)
        tweets = body.get("data") or []
        next_token = (body.get("meta") or {}).get("next_token")
    except (AttributeError, TypeError) as exc:
        raise SourceError(
            f"{what}: the response is not shaped like a search answer ({exc})"
        ) from None
    return build_page(
        tweets,
        lambda t: tweet_to_post(t, tag, users),
        lambda t: int(t["id"]),
        lambda t: f"x tweet {t.get('id', '?') if isinstance(t, dict) else '?'}",
        {"next_token": next_token} if next_token and tweets else None,
    )


class X(Source):
    name = "x"
    Settings = XSettings
    config_snippet = """\
[sources.x]
# X API v2 recent search (the last 7 days) with a bearer token from the variable named here.
enabled = true
base_url = "https://api.x.com"
token_env = "X_BEARER_TOKEN"
query = "#{tag} -is:retweet"
"""

    def missing_credentials(self) -> str | None:
        if env_value(self.env, self.settings.token_env):
            return None
        return f"set {self.settings.token_env} (an app bearer token) to search X"

    def fetch(
        self, instance: str, tag: str, token: dict[str, Any] | None, since: Any, horizon: datetime
    ) -> Page:
        secret = env_value(self.env, self.settings.token_env)
        self.http.add_secret(secret)
        query = self.settings.query.format(tag=tag)
        params: dict[str, Any] = {
            "query": query,
            "max_results": 100,
            "tweet.fields": TWEET_FIELDS,
            "expansions": "author_id",
            "user.fields": "username",
        }
        if since:
            params["since_id"] = str(since)
        else:  # recent search reaches back 7 days at most
            earliest = datetime.now(UTC) - timedelta(days=RECENT_SEARCH_DAYS, minutes=-1)
            params["start_time"] = max(horizon, earliest).strftime("%Y-%m-%dT%H:%M:%SZ")
        if token:
            params["next_token"] = token["next_token"]
        what = f"x search {query!r}"
        try:
            body, _ = self.http.get_json(
                f"{instance.rstrip('/')}/2/tweets/search/recent",
                params=params,
                headers={"Authorization": f"Bearer {secret}"},
                rate_limit=_rate_limit,
                what=what,
            )
        except AuthError as exc:
            raise AuthError(
                f"{exc} (check {self.settings.token_env})", exc.status, exc.detail
            ) from None
        return parse_page(body, tag, what)
