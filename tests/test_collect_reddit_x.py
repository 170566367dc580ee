"""Reddit and X against a real local server replaying recorded responses at the real paths."""

import copy
import json
import logging

import pytest
from werkzeug import Request, Response

from monitor.collect import collect
from monitor.platforms.x import snowflake_time
from monitor.sources.x import parse_page
from monitor.store import Cursor
from tests.conftest import config_file, recorded, shared_path

REDDIT_ENV = {"REDDIT_CLIENT_ID": "client-id-abc", "REDDIT_CLIENT_SECRET": "client-secret-xyz"}
X_TOKEN = "x-bearer-token-secret-42"


@pytest.fixture
def config(tmp_path, httpserver):
    base = httpserver.url_for("/").rstrip("/")
    return config_file(
        tmp_path,
        f"""
tags = ["coronavirus"]
[collect]
backfill_days = 10000
[sources.reddit]
base_url = "{base}"
auth_url = "{base}/api/v1/access_token"
user_agent = "test:monitor:1.0 (by u/tester)"
comments = 3
[sources.x]
base_url = "{base}"
""",
    )


def serve_reddit(httpserver):
    listing, _ = recorded("reddit", "goreddit_subreddit_search_posts_2results.json")
    empty, empty_headers = recorded("reddit", "r_all_search_empty_listing.json")
    comments, _ = recorded("reddit", "goreddit_subreddit_comments_t1_listing.json")
    gone = copy.deepcopy(comments)
    gone["data"]["children"][1]["data"]["body"] = "[deleted]"  # a deleted comment among them
    httpserver.expect_request("/api/v1/access_token", method="POST").respond_with_json(
        {"access_token": "reddit-access-token-1", "token_type": "bearer", "expires_in": 86400}
    )
    search = {"q": "coronavirus", "sort": "new", "limit": "100", "raw_json": "1", "type": "link"}
    httpserver.expect_request("/search", query_string=search).respond_with_json(listing)
    httpserver.expect_request(
        "/search", query_string={**search, "after": "t3_hmwhd7"}
    ).respond_with_json(empty, headers=empty_headers)
    submission = {"kind": "Listing", "data": {"children": [listing["data"]["children"][0]]}}
    httpserver.expect_request("/comments/hybow9").respond_with_json([submission, gone])
    httpserver.expect_request("/comments/hmwhd7").respond_with_json([submission, empty])


def test_reddit_collects_submissions_and_newest_comments_once(store, config, httpserver, caplog):
    caplog.set_level(logging.DEBUG)
    serve_reddit(httpserver)
    (result,) = collect(store, config, ["reddit"], env=REDDIT_ENV)
    assert (result.status, result.message) == ("ok", None)
    assert (result.tags[0].pages, result.tags[0].new) == (2, 4)
    rows = store.db.execute(
        "SELECT id, created_at, author, url, text FROM posts ORDER BY created_at DESC"
    ).fetchall()
    assert rows == [
        (
            "t1_gq57kcs",
            "2021-03-07T21:58:06Z",
            "RyanTheKing",
            "https://www.reddit.com/r/golang/comments/lzymk9/how_i_build_web_frontends_in_go/gq57kcs/",
            "Great article, I hate when people immediately reach for something like React when the "
            "front end's requirements really don't call for it.",
        ),
        (
            "t1_gq55r0o",
            "2021-03-07T21:45:16Z",
            "deepguner",
            "https://www.reddit.com/r/golang/comments/lzymk9/how_i_build_web_frontends_in_go/gq55r0o/",
            "Nice, it\u2019s exactly what I was looking for!",
        ),
        (
            "t3_hybow9",
            "2020-07-26T18:14:24Z",
            "chocolat_ice_cream",
            "https://www.reddit.com/r/WatchPeopleDieInside/comments/hybow9/pregnancy_test/",
            "Pregnancy test",
        ),
        (
            "t3_hmwhd7",
            "2020-07-07T15:19:42Z",
            "Jeremy_Martin",
            "https://www.reddit.com/r/worldnews/comments/hmwhd7/brazilian_president_jair_bolsonaro_tests_positive/",
            "Brazilian president Jair Bolsonaro tests positive for coronavirus",
        ),
    ]
    assert {t for (t,) in store.db.execute("SELECT DISTINCT tag FROM post_tags")} == {"coronavirus"}
    token_request = next(r for r, _ in httpserver.log if r.path == "/api/v1/access_token")
    assert token_request.authorization.username == "client-id-abc"
    assert token_request.form["grant_type"] == "client_credentials"
    searches = [r for r, _ in httpserver.log if r.path == "/search"]
    assert all(r.headers["Authorization"] == "bearer reddit-access-token-1" for r in searches)
    assert all(r.headers["User-Agent"] == "test:monitor:1.0 (by u/tester)" for r in searches)
    for secret in ("client-secret-xyz", "reddit-access-token-1"):
        assert secret not in caplog.text
    assert store.cursor("reddit", config.sources["reddit"].base_url, "coronavirus") == {
        "newest": 1595787264.0,
        "walk": None,
    }

    (again,) = collect(store, config, ["reddit"], env=REDDIT_ENV)
    assert (again.tags[0].new, again.tags[0].duplicate) == (0, 2)
    assert store.db.execute("SELECT count(*) FROM posts").fetchone() == (4,)


def serve_x(httpserver):
    body, headers = recorded("x", "search_recent_query_Tweepy_2021_ja_text.json")

    def search(request: Request) -> Response:
        if "next_token" in request.args or "since_id" in request.args:
            return Response(
                json.dumps({"meta": {"result_count": 0}}), content_type="application/json"
            )
        return Response(json.dumps(body), content_type="application/json", headers=headers)

    httpserver.expect_request("/2/tweets/search/recent").respond_with_handler(search)
    return body


def test_x_collects_the_recorded_search_skipping_retweets(store, config, httpserver, caplog):
    caplog.set_level(logging.DEBUG)
    body = serve_x(httpserver)
    (result,) = collect(store, config, ["x"], env={"X_BEARER_TOKEN": X_TOKEN})
    assert (result.status, result.tags[0].pages, result.tags[0].new) == ("ok", 2, 7)
    originals = [t for t in body["data"] if not t["text"].startswith("RT @")]
    rows = store.db.execute(
        "SELECT id, created_at, url, text FROM posts ORDER BY id DESC"
    ).fetchall()
    assert [r[0] for r in rows] == [t["id"] for t in originals]
    assert rows[0][1:3] == (
        "2021-04-13T03:31:18Z",
        "https://x.com/i/web/status/1381812208733204482",
    )
    assert rows[0][3] == originals[0]["text"]
    tags = {
        t
        for (t,) in store.db.execute(
            "SELECT tag FROM post_tags JOIN posts USING (post_id) WHERE id = '1381812208733204482'"
        )
    }
    assert tags == {
        "coronavirus",
        "python",
        "tweepy",
        "丸亀製麺さんうどん弁当食べたいです",
        "サクレ白桃が食べたい",
    }
    first, second = (r for r, _ in httpserver.log)
    assert first.args["query"] == "#coronavirus -is:retweet"
    assert first.args["expansions"] == "author_id" and "start_time" in first.args
    assert second.args["next_token"] == body["meta"]["next_token"]
    assert all(r.headers["Authorization"] == f"Bearer {X_TOKEN}" for r, _ in httpserver.log)
    assert X_TOKEN not in caplog.text
    assert store.cursor("x", config.sources["x"].base_url, "coronavirus") == {
        "newest": 1381812333773733891,
        "walk": None,
    }

    (again,) = collect(store, config, ["x"], env={"X_BEARER_TOKEN": X_TOKEN})
    assert httpserver.log[-1][0].args["since_id"] == "1381812333773733891"
    assert store.db.execute("SELECT count(*) FROM posts").fetchone() == (7,)


def test_an_expired_page_token_restarts_the_walk_from_the_newest_post(
    store, config, httpserver, caplog
):
    body, headers = recorded("x", "search_recent_query_Tweepy_2021_ja_text.json")
    # X's problem body for a parameter it refuses (the documented invalid-request shape).
    refused = {
        "errors": [{"parameters": {"next_token": ["expired-token"]}, "message": "invalid"}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }

    def search(request: Request) -> Response:
        token = request.args.get("next_token")
        if token == "expired-token":
            return Response(json.dumps(refused), status=400, content_type="application/json")
        if token:
            return Response(json.dumps({"meta": {"result_count": 0}}))
        return Response(json.dumps(body), content_type="application/json", headers=headers)

    httpserver.expect_request("/2/tweets/search/recent").respond_with_handler(search)
    instance = config.sources["x"].base_url
    # An earlier run was stopped half-way through a walk, long enough ago for its token to expire.
    walk = {"token": {"next_token": "expired-token"}, "stop": None, "top": 1}
    stale = {"newest": None, "walk": walk}
    store.write_batch([], [], [Cursor("x", instance, "coronavirus", stale)])

    (result,) = collect(store, config, ["x"], env={"X_BEARER_TOKEN": X_TOKEN})
    assert (result.status, result.tags[0].new) == ("ok", 7)
    assert [r.args.get("next_token") for r, _ in httpserver.log] == [
        "expired-token",
        None,
        body["meta"]["next_token"],
    ]
    assert "the saved page token was refused (HTTP 400)" in caplog.text
    assert store.cursor("x", instance, "coronavirus") == {
        "newest": 1381812333773733891,
        "walk": None,
    }


def test_a_refused_page_token_is_forgotten_even_when_nothing_new_is_found(
    store, config, httpserver
):
    def search(request: Request) -> Response:
        if request.args.get("next_token"):
            return Response(json.dumps({"title": "Invalid Request"}), status=400)
        return Response(json.dumps({"meta": {"result_count": 0}}))

    httpserver.expect_request("/2/tweets/search/recent").respond_with_handler(search)
    instance = config.sources["x"].base_url
    walk = {"token": {"next_token": "expired-token"}, "stop": 5, "top": 9}
    store.write_batch([], [], [Cursor("x", instance, "coronavirus", {"newest": 5, "walk": walk})])
    for _ in range(2):
        (result,) = collect(store, config, ["x"], env={"X_BEARER_TOKEN": X_TOKEN})
        assert result.status == "ok"
    assert store.cursor("x", instance, "coronavirus") == {"newest": 5, "walk": None}
    # The refused token is sent once; the second run starts from the newest post at once.
    assert [r.args.get("next_token") for r, _ in httpserver.log] == ["expired-token", None, None]


def test_x_full_tweet_objects_give_authors_metrics_and_hashtags():
    path = shared_path("payloads", "x", "twarc2_tweet_lookup_withheld_errors_ru_first3lines.jsonl")
    bodies = [json.loads(line) for line in path.read_text().splitlines()]
    page = parse_page({k: v for k, v in bodies[0].items() if k != "__twarc"}, "india", "lookup")
    (post,) = page.posts
    assert (post.id, post.author, post.lang) == ("1388424788171841537", "manavjivan", "en")
    assert post.url == "https://x.com/manavjivan/status/1388424788171841537"
    assert post.created_at.isoformat() == "2021-05-01T09:27:19+00:00"
    assert post.metrics == {"retweet_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0}
    partial = parse_page(bodies[2], "x", "lookup")  # data beside a partial errors array
    assert len(partial.posts) == 1 and partial.rejected == []


def test_snowflake_time():
    assert snowflake_time("1381795944845471746").isoformat() == "2021-04-13T02:26:40.435000+00:00"


def test_one_source_failing_leaves_the_others_running(store, config, httpserver):
    serve_x(httpserver)
    httpserver.expect_request("/api/v1/access_token").respond_with_json(
        {"message": "Unauthorized", "error": 401}, status=401
    )
    results = collect(store, config, ["reddit", "x"], env={**REDDIT_ENV, "X_BEARER_TOKEN": X_TOKEN})
    assert [(r.source, r.status) for r in results] == [("reddit", "error"), ("x", "ok")]
    assert "reddit token: HTTP 401" in results[0].message
    assert store.db.execute("SELECT count(*) FROM posts").fetchone() == (7,)
    assert {(r["source"], r["status"]) for r in store.runs("collect")} == {
        ("reddit", "error"),
        ("x", "ok"),
    }


def test_reddit_searches_only_the_configured_subreddits(store, tmp_path, httpserver):
    listing, _ = recorded("reddit", "goreddit_subreddit_search_posts_2results.json")
    empty, _ = recorded("reddit", "r_all_search_empty_listing.json")
    httpserver.expect_request("/api/v1/access_token", method="POST").respond_with_json(
        {"access_token": "t", "expires_in": 3600}
    )
    httpserver.expect_request(
        "/r/worldnews+golang/search",
        query_string={
            "q": "bolsonaro",
            "sort": "new",
            "limit": "100",
            "raw_json": "1",
            "type": "link",
            "restrict_sr": "1",
        },
    ).respond_with_json(listing)
    httpserver.expect_request("/r/worldnews+golang/search").respond_with_json(empty)
    base = httpserver.url_for("/").rstrip("/")
    config = config_file(
        tmp_path,
        f"""
tags = ["bolsonaro"]
[collect]
backfill_days = 10000
[sources.reddit]
base_url = "{base}"
auth_url = "{base}/api/v1/access_token"
subreddits = ["worldnews", "golang"]
""",
    )
    (result,) = collect(store, config, ["reddit"], env=REDDIT_ENV)
    assert (result.status, result.tags[0].new) == ("ok", 2)


def test_comments_that_cannot_be_read_skip_that_submission_not_the_walk(store, config, httpserver):
    """A 404 (deleted) or 403 (private) on one submission's comments is one rejection; it is
    not a refused page token (which would restart the walk) nor the source's failure."""
    listing, _ = recorded("reddit", "goreddit_subreddit_search_posts_2results.json")
    empty, _ = recorded("reddit", "r_all_search_empty_listing.json")
    httpserver.expect_request("/api/v1/access_token", method="POST").respond_with_json(
        {"access_token": "reddit-access-token-1", "expires_in": 86400}
    )
    search = {"q": "coronavirus", "sort": "new", "limit": "100", "raw_json": "1", "type": "link"}
    httpserver.expect_request("/search", query_string=search).respond_with_json(listing)
    httpserver.expect_request(
        "/search", query_string={**search, "after": "t3_hmwhd7"}
    ).respond_with_json(empty)
    httpserver.expect_request("/comments/hybow9").respond_with_json({"error": 404}, status=404)
    httpserver.expect_request("/comments/hmwhd7").respond_with_json({"error": 403}, status=403)
    one_page = config_file(
        config.path.parent,
        config.path.read_text().replace(
            "backfill_days = 10000", "backfill_days = 10000\nmax_pages = 1"
        ),
    )

    (first,) = collect(store, one_page, ["reddit"], env=REDDIT_ENV)
    assert (first.status, first.tags[0].new, first.tags[0].rejected) == ("ok", 2, 2)
    walk = store.cursor("reddit", config.sources["reddit"].base_url, "coronavirus")["walk"]
    assert walk["token"] == {"after": "t3_hmwhd7"}
    (second,) = collect(store, one_page, ["reddit"], env=REDDIT_ENV)
    assert second.status == "ok"
    searches = [r.args.get("after") for r, _ in httpserver.log if r.path == "/search"]
    assert searches == [None, "t3_hmwhd7"]  # resumed where it stopped, not restarted
    assert store.cursor("reddit", config.sources["reddit"].base_url, "coronavirus")["walk"] is None
