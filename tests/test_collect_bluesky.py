"""Bluesky against a real local server: login, search pages, session expiry, no secrets leaked."""

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug import Request, Response

from monitor.collect import collect
from tests.conftest import config_file, recorded

SEARCH = "/xrpc/app.bsky.feed.searchPosts"
ENV = {"BSKY_HANDLE": "monitor.example", "BSKY_APP_PASSWORD": "app-pass-word-9999"}


@pytest.fixture
def config(tmp_path, httpserver):
    return config_file(
        tmp_path,
        f"""
tags = ["redistricting"]
[collect]
backfill_days = 10000
[sources.bluesky]
service = "{httpserver.url_for("/").rstrip("/")}"
query = "{{tag}}"
""",
    )


class Server:
    """A stand-in PDS: sessions with tokens it can expire, and the recorded search page."""

    def __init__(self, httpserver, expire_after: int | None = None) -> None:
        self.page, _ = recorded(
            "bluesky", "searchPosts_q_redistricting_2023_httptest2_hitsTotal.json"
        )
        self.logins = self.refreshes = self.searches = 0
        self.access = "access-1"
        self.expired = False
        self.expire_after = expire_after
        self.search_params: list[dict] = []
        httpserver.expect_request(
            "/xrpc/com.atproto.server.createSession", method="POST"
        ).respond_with_handler(self.login)
        httpserver.expect_request(
            "/xrpc/com.atproto.server.refreshSession", method="POST"
        ).respond_with_handler(self.refresh)
        httpserver.expect_request(SEARCH).respond_with_handler(self.search)

    def _session(self) -> Response:
        body = {
            "did": "did:plc:monitor",
            "handle": "monitor.example",
            "accessJwt": self.access,
            "refreshJwt": f"refresh-{self.access}",
        }
        return Response(json.dumps(body), content_type="application/json")

    def login(self, request: Request) -> Response:
        assert request.json == {
            "identifier": ENV["BSKY_HANDLE"],
            "password": ENV["BSKY_APP_PASSWORD"],
        }
        self.logins += 1
        return self._session()

    def refresh(self, request: Request) -> Response:
        assert request.headers["Authorization"] == f"Bearer refresh-{self.access}"
        self.refreshes += 1
        self.access, self.expired = f"access-{self.refreshes + 1}", False
        return self._session()

    def search(self, request: Request) -> Response:
        if self.expired or request.headers.get("Authorization") != f"Bearer {self.access}":
            return Response(
                json.dumps({"error": "ExpiredToken", "message": "Token has expired"}),
                status=400,
                content_type="application/json",
            )
        self.searches += 1
        self.search_params.append(dict(request.args))
        if self.expire_after is not None and self.searches == self.expire_after:
            self.expired = True  # the next search finds its token expired
        last_page = request.args.get("cursor") == "25"
        body = {"posts": [], "hitsTotal": 908} if last_page else self.page
        headers = {
            "RateLimit-Limit": "3000",
            "RateLimit-Remaining": "2999",
            "RateLimit-Reset": "1700000000",
        }
        return Response(json.dumps(body), content_type="application/json", headers=headers)


def test_logs_in_collects_the_recorded_page_and_stores_each_post_once(
    store, config, httpserver, caplog
):
    caplog.set_level(logging.DEBUG)
    server = Server(httpserver)
    (result,) = collect(store, config, ["bluesky"], env=ENV)
    assert (result.status, result.message) == ("ok", None)
    assert (result.tags[0].pages, result.tags[0].new, result.tags[0].rejected) == (2, 23, 0)
    assert server.logins == 1
    assert server.search_params[0]["q"] == "redistricting"
    assert server.search_params[0]["sort"] == "latest" and server.search_params[0]["limit"] == "100"
    assert server.search_params[1]["cursor"] == "25"

    row = store.db.execute(
        "SELECT id, created_at, url, lang, author, text FROM posts WHERE id LIKE '%3kghpycppiw2n'"
    ).fetchone()
    assert row == (
        "at://did:plc:xrs7uicyfcp5qbnhnqy7kucb/app.bsky.feed.post/3kghpycppiw2n",
        "2023-12-14T00:37:20Z",
        "https://bsky.app/profile/planetcarnival.bsky.social/post/3kghpycppiw2n",
        "en",
        "planetcarnival.bsky.social",
        "I was upset last year when redistricting meant he was no longer my representative.\n\n"
        "(Athough, TBH, the district was pretty Gerrymandered...or Jerrymandered, as it were).",
    )
    no_millis = store.db.execute(
        "SELECT created_at, lang FROM posts WHERE id LIKE '%3kghckngg4a22'"
    ).fetchone()
    assert no_millis == ("2023-12-13T20:37:03Z", None)
    tags = {
        t
        for (t,) in store.db.execute(
            "SELECT tag FROM post_tags JOIN posts USING (post_id) WHERE id LIKE '%3kggsno4j7a2o'"
        )
    }
    assert tags == {"redistricting", "sanfranciscopolitics", "sfpol", "sanfrancisco"}
    assert store.cursor(
        "bluesky", config.sources["bluesky"].service.rstrip("/"), "redistricting"
    ) == {"newest": "2023-12-14T00:37:20.615000Z", "walk": None}
    for secret in (ENV["BSKY_APP_PASSWORD"], "access-1", "refresh-access-1"):
        assert secret not in caplog.text

    # Again: the search asks only for posts since the newest one and nothing new is stored.
    (again,) = collect(store, config, ["bluesky"], env=ENV)
    assert again.tags[0].new == 0
    assert server.search_params[-1]["since"] == "2023-12-14T00:37:20.615000Z"
    assert store.db.execute("SELECT count(*) FROM posts").fetchone() == (23,)


def test_an_expired_session_mid_run_is_refreshed_once(store, config, httpserver):
    server = Server(httpserver, expire_after=1)
    (result,) = collect(store, config, ["bluesky"], env=ENV)
    assert result.status == "ok" and result.tags[0].new == 23
    assert (server.logins, server.refreshes, server.searches) == (1, 1, 2)


def test_missing_credentials_skip_the_source_with_its_message(store, config, httpserver):
    (result,) = collect(store, config, ["bluesky"], env={"BSKY_HANDLE": "someone"})
    assert (result.status, result.message) == (
        "skipped",
        "set BSKY_HANDLE and BSKY_APP_PASSWORD (an app password) to search Bluesky",
    )
    assert httpserver.log == []
    (run,) = store.runs("collect")
    assert (run["source"], run["status"]) == ("bluesky", "skipped")


def test_a_full_page_without_a_cursor_continues_in_an_older_time_window(store, config, httpserver):
    """Deep paging stops near 10,000 results: the server then answers a full page with no
    cursor, and the walk goes on with ``until`` = the oldest post seen."""
    recorded_page, _ = recorded(
        "bluesky", "searchPosts_q_redistricting_2023_httptest2_hitsTotal.json"
    )
    template = recorded_page["posts"][0]
    full_page = []
    for minute in range(100):  # 100 posts, newest first, one a minute from 12:00 back
        view = json.loads(json.dumps(template))
        view["uri"] = f"at://did:plc:window/app.bsky.feed.post/w{minute:03d}"
        moment = datetime(2023, 12, 20, 12, tzinfo=UTC) - timedelta(minutes=minute)
        view["record"]["createdAt"] = moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        view["indexedAt"] = view["record"]["createdAt"]
        full_page.append(view)
    seen: list[dict] = []

    def search(request: Request) -> Response:
        seen.append(dict(request.args))
        if "until" in request.args:  # the older window: the recorded page, and no cursor
            return Response(
                json.dumps({"posts": recorded_page["posts"]}), content_type="application/json"
            )
        return Response(json.dumps({"posts": full_page}), content_type="application/json")

    httpserver.expect_request("/xrpc/com.atproto.server.createSession").respond_with_json(
        {"accessJwt": "a", "refreshJwt": "r", "handle": "monitor.example"}
    )
    httpserver.expect_request(SEARCH).respond_with_handler(search)
    (result,) = collect(store, config, ["bluesky"], env=ENV)
    assert result.status == "ok" and result.tags[0].new == 123
    oldest = min(v["record"]["createdAt"] for v in full_page)
    assert [("until" in args, args.get("until")) for args in seen] == [
        (False, None),
        (True, oldest.replace(".000Z", ".000000Z")),
    ]


def test_a_post_dated_in_the_future_never_moves_the_cursor_ahead(store, config, httpserver):
    """An author's clock can say anything: a post claiming 2099 is rejected and a post claiming
    three hours ahead sits where the server indexed it, so the next walk asks from now."""
    server = Server(httpserver)
    now = datetime.now(UTC)
    views = server.page["posts"]
    views[0]["record"]["createdAt"] = "2099-01-01T00:00:00.000Z"
    views[1]["record"]["createdAt"] = (now + timedelta(hours=3)).isoformat()
    views[1]["indexedAt"] = now.isoformat()
    (result,) = collect(store, config, ["bluesky"], env=ENV)
    assert (result.status, result.tags[0].new, result.tags[0].rejected) == ("ok", 22, 1)
    newest = store.cursor("bluesky", config.sources["bluesky"].service.rstrip("/"), "redistricting")
    assert newest["newest"] <= datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    collect(store, config, ["bluesky"], env=ENV)
    assert server.search_params[-1]["since"] == newest["newest"]


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_the_app_password_never_follows_a_redirect_to_another_server(
    store, config, httpserver, status
):
    """httpx keeps a POST's body through a 307/308: a login redirected elsewhere would hand the
    app password to that server. The login fails instead, and the other server hears nothing."""
    elsewhere = f"http://127.0.0.1:{httpserver.port}/xrpc/com.atproto.server.createSession"
    httpserver.expect_request("/xrpc/com.atproto.server.createSession").respond_with_data(
        "", status=status, headers={"Location": elsewhere}
    )
    (result,) = collect(store, config, ["bluesky"], env=ENV)
    assert result.status == "error"
    assert "redirected to another server (127.0.0.1) with credentials; not followed" in (
        result.message
    )
    assert len(httpserver.log) == 1  # the redirect was not followed
    assert ENV["BSKY_APP_PASSWORD"] not in result.message
