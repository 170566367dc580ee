"""X (Twitter) API v2 recent search with a bearer token.

``GET /2/tweets/search/recent`` with ``#tag -is:retweet``, the fields and expansions that make
a tweet a full post, ``next_token`` for older pages and ``since_id`` to resume. Retweets that
slip through are skipped (the original is the post). Without ``created_at`` the time comes from
the snowflake id.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from monitor.http import AuthError, SourceError, epoch_reset
from monitor.models import Post
from monitor.sources.base import Page, Source, build_page, env_value
from monitor.text import parse_timestamp

log = logging.getLogger(__name__)

TWITTER_EPOCH_MS = 1288834974657
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


def snowflake_time(tweet_id: str) -> datetime:
    """When a tweet was posted, from its id (ids since November 2010 encode milliseconds)."""
    return datetime.fromtimestamp(((int(tweet_id) >> 22) + TWITTER_EPOCH_MS) / 1000, UTC)


def is_retweet(tweet: dict[str, Any]) -> bool:
    kinds = {r.get("type") for r in tweet.get("referenced_tweets") or []}
    return "retweeted" in kinds or tweet.get("text", "").startswith("RT @")


def tweet_to_post(tweet: dict[str, Any], tag: str | None, users: dict[str, str]) -> Post | None:
    """A tweet as a Post (None for a retweet); ``users`` maps author ids to usernames. The API
    sends ``&amp;``, ``&lt;`` and ``&gt;`` escaped: the text is unescaped."""
    if is_retweet(tweet):
        return None
    username = users.get(tweet.get("author_id", ""))
    created = tweet.get("created_at")
    hashtags = [h["tag"] for h in (tweet.get("entities") or {}).get("hashtags") or []]
    return Post(
        platform="x",
        id=tweet["id"],
        created_at=parse_timestamp(created) if created else snowflake_time(tweet["id"]),
        text=html.unescape(tweet["text"]),
        author=username,
        url=(
            f"https://x.com/{username}/status/{tweet['id']}"
            if username
            else f"https://x.com/i/web/status/{tweet['id']}"
        ),
        lang=tweet.get("lang"),
        tags=(*((tag,) if tag else ()), *hashtags),
        metrics=tweet.get("public_metrics"),
        raw=tweet,
    )


def users_of(body: dict[str, Any]) -> dict[str, str]:
    """Author ids to usernames, from a response's ``includes``."""
    return {
        u["id"]: u.get("username")
        for u in (body.get("includes") or {}).get("users") or []
        if isinstance(u, dict) and "id" in u
    }


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
