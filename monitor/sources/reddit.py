"""Reddit: app-only OAuth, then ``/search`` (or ``/r/<subs>/search``) sorted by new.

A submission's text is its title plus selftext. With ``comments = N`` the newest N comments of
each new matching submission are stored too, as posts of their own under the submission's tag.
``[deleted]`` and ``[removed]`` bodies are not text and are not scored.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from monitor.http import RateLimit, SourceError, env_value
from monitor.models import Post, Rejection
from monitor.platforms.reddit import thing_to_post
from monitor.sources.base import Page, Source, build_page


@dataclass(frozen=True)
class RedditSettings:
    enabled: bool = True
    base_url: str = "https://oauth.reddit.com"
    auth_url: str = "https://www.reddit.com/api/v1/access_token"
    client_id_env: str = "REDDIT_CLIENT_ID"
    client_secret_env: str = "REDDIT_CLIENT_SECRET"
    user_agent: str = "python:sentiment-monitor:0.1 (hashtag sentiment research)"
    subreddits: tuple[str, ...] = ()
    comments: int = 0
    query: str = "{tag}"


def _rate_limit(headers: httpx.Headers) -> RateLimit | None:
    """Reddit sends the reset as seconds from now, and both numbers as float strings."""
    try:
        reset = datetime.now(UTC) + timedelta(seconds=float(headers["x-ratelimit-reset"]))
        return RateLimit(float(headers["x-ratelimit-remaining"]), reset)
    except (KeyError, ValueError, OverflowError):  # absent, or no moment in time
        return None


class Reddit(Source):
    name = "reddit"
    Settings = RedditSettings
    config_snippet = """\
[sources.reddit]
# Reddit search (app-only OAuth: a 'script' or 'web' app's id and secret, from the environment
# variables named here). subreddits = [] searches all of Reddit; comments = N also stores the
# newest N comments of each submission found. Reddit wants a unique user_agent.
enabled = true
base_url = "https://oauth.reddit.com"
auth_url = "https://www.reddit.com/api/v1/access_token"
client_id_env = "REDDIT_CLIENT_ID"
client_secret_env = "REDDIT_CLIENT_SECRET"
user_agent = "python:sentiment-monitor:0.1 (hashtag sentiment research)"
subreddits = []
comments = 0
query = "{tag}"
"""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.token: str | None = None
        self.token_expires = 0.0

    def missing_credentials(self) -> str | None:
        names = (self.settings.client_id_env, self.settings.client_secret_env)
        if all(env_value(self.env, n) for n in names):
            return None
        return f"set {names[0]} and {names[1]} (a Reddit 'script' or 'web' app) to search Reddit"

    def _authenticate(self) -> None:
        client_id = env_value(self.env, self.settings.client_id_env)
        secret = env_value(self.env, self.settings.client_secret_env)
        self.http.add_secret(client_id, secret)
        response = self.http.request(
            "POST",
            self.settings.auth_url,
            data={"grant_type": "client_credentials"},
            auth=(client_id, secret),
            headers={"User-Agent": self.settings.user_agent},
            what="reddit token",
        )
        body = self.http.decode(response, "reddit token")
        if not isinstance(body, dict) or not body.get("access_token"):
            raise SourceError(f"reddit token: no access token in the answer ({body!r:.100})")
        self.token = body["access_token"]
        self.http.add_secret(self.token)
        lifetime = body.get("expires_in")
        if not isinstance(lifetime, int | float) or not 60 < lifetime < 10**7:
            lifetime = 3600  # missing or nonsense: Reddit's documented hour
        self.token_expires = time.monotonic() + lifetime - 60

    def _get(self, path: str, params: dict[str, Any], what: str) -> Any:
        return self.http.get_json_renewing(
            f"{self.settings.base_url.rstrip('/')}{path}",
            authorization=self._authorization,
            renew=self._forget_token,  # expired or revoked: one new token, then give up
            params=params,
            rate_limit=_rate_limit,
            what=what,
        )

    def _authorization(self) -> dict[str, str]:
        if self.token is None or time.monotonic() >= self.token_expires:
            self._authenticate()
        return {"Authorization": f"bearer {self.token}", "User-Agent": self.settings.user_agent}

    def _forget_token(self) -> None:
        self.token = None

    def _comments(self, submission: Post, tag: str) -> Page:
        """The newest comments of one submission. A submission whose comments cannot be read
        (deleted, private, a malformed answer) is one rejection: it never fails the listing's
        walk, nor passes for a refused page token."""
        article = submission.id.removeprefix("t3_")
        what = f"reddit comments {article}"
        try:
            data = self._get(
                f"/comments/{article}",
                {"sort": "new", "limit": self.settings.comments, "raw_json": 1},
                what,
            )
            things = [t for t in data[1]["data"]["children"] if t.get("kind") == "t1"]
        except (SourceError, LookupError, TypeError, AttributeError) as exc:
            reason = str(exc) if isinstance(exc, SourceError) else "expected [submission, comments]"
            return Page(rejected=[Rejection(what, reason)])
        return build_page(
            things[: self.settings.comments],
            lambda t: thing_to_post(t, tag),
            lambda t: None,
            lambda t: f"reddit {t.get('data', {}).get('name', '?')}",
            None,
        )

    def fetch(
        self, instance: str, tag: str, token: dict[str, Any] | None, since: Any, horizon: datetime
    ) -> Page:
        query = self.settings.query.format(tag=tag)
        params: dict[str, Any] = {
            "q": query,
            "sort": "new",
            "limit": 100,
            "raw_json": 1,
            "type": "link",
        }
        path = "/search"
        if self.settings.subreddits:
            path = f"/r/{'+'.join(self.settings.subreddits)}/search"
            params["restrict_sr"] = 1
        if token:
            params["after"] = token["after"]
        what = f"reddit search {query!r}"
        listing = self._get(path, params, what)
        try:
            things, after = listing["data"]["children"], listing["data"].get("after")
        except (KeyError, TypeError):
            raise SourceError(f"{what}: expected a Listing") from None
        page = build_page(
            things,
            lambda t: thing_to_post(t, tag),
            lambda t: float(t["data"]["created_utc"]),
            lambda t: f"reddit {t.get('data', {}).get('name', '?')}",
            {"after": after} if after and things else None,
        )
        if self.settings.comments:
            for submission in list(page.posts):
                if since is None or submission.created_at.timestamp() > since:
                    comments = self._comments(submission, tag)
                    page.posts.extend(comments.posts)
                    page.rejected.extend(comments.rejected)
        return page
