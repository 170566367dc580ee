"""Mastodon against a real local server replaying recorded responses at the real paths."""

import json
import logging
import zlib
from dataclasses import replace
from pathlib import Path

import pytest

from monitor.collect import collect
from monitor.health import collection_health
from monitor.store import Store
from tests.conftest import mastodon_config, recorded

TAG_PATH = "/api/v1/timelines/tag/ichbinhanna"
TOKEN = "mastodon-secret-token-123"
FIRST_PAGE_OLDEST = "109302022145662723"  # max_id in the recorded Link header's rel="next"
SECOND_PAGE_OLDEST = "109308975511366427"


@pytest.fixture
def config(tmp_path, httpserver):
    return mastodon_config(tmp_path, httpserver.url_for("/"), tag="IchBinHanna")


def serve_recorded_walk(httpserver):
    tag_body, tag_headers = recorded("mastodon", "tchncs_tag_ichbinhanna_limit5.json")
    home_body, home_headers = recorded("mastodon", "tchncs_home_timeline_reblogs_limit5.json")
    httpserver.expect_request(TAG_PATH, query_string={"limit": "40"}).respond_with_json(
        tag_body, headers=tag_headers
    )
    # The next page: the recorded reblogs page (same Status entity), then the end of the feed.
    httpserver.expect_request(
        TAG_PATH, query_string={"limit": "40", "max_id": FIRST_PAGE_OLDEST}
    ).respond_with_json(home_body, headers=home_headers)
    httpserver.expect_request(
        TAG_PATH, query_string={"limit": "40", "max_id": SECOND_PAGE_OLDEST}
    ).respond_with_json([])


def test_collects_the_recorded_pages_exactly_once(store, config, httpserver, caplog):
    caplog.set_level(logging.DEBUG)
    serve_recorded_walk(httpserver)
    (result,) = collect(store, config, ["mastodon"], env={"MASTODON_TOKEN": TOKEN})
    assert result.status == "ok"
    (tag,) = result.tags
    assert (tag.pages, tag.new, tag.duplicate, tag.rejected) == (3, 10, 0, 0)

    rows = store.db.execute(
        "SELECT id, created_at, url, lang, author, text FROM posts ORDER BY created_at DESC"
    ).fetchall()
    ids = [r[0] for r in rows]
    assert ids[:3] == [
        "https://sciences.social/users/JulianBrigstocke/statuses/109309073216177910",
        "https://fosstodon.org/users/HeidiSeibold/statuses/109309046562394338",
        "https://mastodon.social/users/ingorohlfing/statuses/109308975349237048",
    ]
    assert "https://mastodon.social/users/amreibahr/statuses/109307661613791619" in ids
    assert len(set(ids)) == 10  # three reblogs stored as their three originals, once each
    first = next(r for r in rows if r[0].endswith("/109307661613791619"))
    assert first[1:5] == (
        "2022-11-08T10:15:51Z",
        "https://mastodon.social/@amreibahr/109307661613791619",
        "de",
        "amreibahr@mastodon.social",
    )
    assert first[5].startswith("Ich habe es satt, mich ständig bewähren zu müssen.")
    assert "#IchBinHanna hat so einen Tag" in first[5]
    assert all("<" not in r[5] and "&gt;" not in r[5] for r in rows)
    heidi = next(r for r in rows if "HeidiSeibold" in r[0])
    assert heidi[5].startswith(">200 followers in a day")
    reblogged = next(r for r in rows if "JulianBrigstocke" in r[0])
    assert reblogged[3] == "en" and reblogged[2].startswith("https://sciences.social/@")

    tags = dict(
        store.db.execute(
            "SELECT p.id, group_concat(t.tag) FROM posts p JOIN post_tags t USING (post_id)"
            " GROUP BY p.post_id"
        ).fetchall()
    )
    assert set(tags[first[0]].split(",")) == {"ichbinhanna"}
    cathleen = next(i for i in ids if "CathleenSarti" in i)
    assert {"ichbinhanna", "introduction", "earlymodern", "needforchocolate"} <= set(
        tags[cathleen].split(",")
    )

    cursor = store.cursor(
        "mastodon", config.sources["mastodon"].instances[0].rstrip("/"), "ichbinhanna"
    )
    assert cursor == {"newest": "109307661655991184".rjust(24, "0"), "walk": None}
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r, _ in httpserver.log)
    assert TOKEN not in caplog.text

    # The second run asks only for what is newer than the cursor and stores nothing.
    httpserver.clear()
    httpserver.expect_request(
        TAG_PATH, query_string={"limit": "40", "since_id": "109307661655991184"}
    ).respond_with_json([])
    (again,) = collect(store, config, ["mastodon"], env={"MASTODON_TOKEN": TOKEN})
    assert (again.status, again.tags[0].pages, again.tags[0].new) == ("ok", 1, 0)
    assert store.db.execute("SELECT count(*) FROM posts").fetchone() == (10,)
    runs = store.runs("collect")
    assert [(r["source"], r["status"]) for r in runs] == [("mastodon", "ok"), ("mastodon", "ok")]


def test_max_pages_stops_a_walk_and_the_next_run_resumes_it(store, config, httpserver):
    serve_recorded_walk(httpserver)
    (first,) = collect(store, config, ["mastodon"], max_pages=1)
    assert (first.tags[0].pages, first.tags[0].new) == (1, 5)
    instance = config.sources["mastodon"].instances[0].rstrip("/")
    assert store.cursor("mastodon", instance, "ichbinhanna")["walk"]["token"] == {
        "max_id": FIRST_PAGE_OLDEST
    }
    # Resumes at page 2, finishes the walk, then checks once for anything newer.
    httpserver.expect_request(
        TAG_PATH, query_string={"limit": "40", "since_id": "109307661655991184"}
    ).respond_with_json([])
    (second,) = collect(store, config, ["mastodon"])
    assert (second.status, second.tags[0].pages, second.tags[0].new) == ("ok", 3, 5)
    assert store.db.execute("SELECT count(*) FROM posts").fetchone() == (10,)


def test_401_is_reported_clearly_and_says_which_variable_to_set(store, config, httpserver):
    httpserver.expect_request(TAG_PATH).respond_with_json(
        {"error": "This API requires an authenticated user"}, status=401
    )
    (result,) = collect(store, config, ["mastodon"], env={})
    assert result.status == "error"
    assert "HTTP 401" in result.message and "set MASTODON_TOKEN" in result.message
    (run,) = store.runs("collect")
    assert run["status"] == "error" and "set MASTODON_TOKEN" in run["error"]


def test_429_with_retry_after_is_honoured_then_succeeds(store, config, httpserver):
    httpserver.expect_oneshot_request(TAG_PATH).respond_with_json(
        {"error": "Too many requests"}, status=429, headers={"Retry-After": "1"}
    )
    httpserver.expect_request(TAG_PATH).respond_with_json([])
    (result,) = collect(store, config, ["mastodon"])
    assert result.status == "ok"
    assert result.tags[0].waited == pytest.approx(1.0)
    assert len(httpserver.log) == 2


def test_two_instances_store_a_post_once_and_keep_its_raw_payload(store, tmp_path, httpserver):
    body, headers = recorded("mastodon", "tchncs_tag_ichbinhanna_limit5.json")
    for prefix in ("/one", "/two"):
        httpserver.expect_request(prefix + TAG_PATH).respond_with_json(body)
    base = httpserver.url_for("/").rstrip("/")
    config = mastodon_config(tmp_path, f"{base}/one", f"{base}/two")
    (result,) = collect(store, config, ["mastodon"])
    assert [(t.instance.rsplit("/", 1)[1], t.new, t.duplicate) for t in result.tags] == [
        ("one", 5, 0),
        ("two", 0, 5),
    ]
    assert store.db.execute("SELECT count(*) FROM posts").fetchone() == (5,)
    raw = store.db.execute(
        "SELECT raw FROM raw_posts JOIN posts USING (post_id) WHERE posts.id LIKE '%amreibahr%'"
    ).fetchone()[0]
    assert json.loads(zlib.decompress(raw)) == body[0]  # re-parsable without re-collecting


def test_cli_collect_prints_each_source_and_tag(run, tmp_path, httpserver):
    serve_recorded_walk(httpserver)
    Path("monitor.toml").write_text(f"""
tags = ["IchBinHanna"]
[collect]
backfill_days = 10000
[sources.mastodon]
instances = ["{httpserver.url_for("/").rstrip("/")}"]
""")
    dry = run("-v", "collect", "--source", "mastodon", "--source", "x", "--dry-run")
    instance = httpserver.url_for("/").rstrip("/")
    assert dry.stdout == (
        f"mastodon  {instance}  #ichbinhanna: 3 pages, 10 new, 0 duplicates (0 newly tagged), "
        "0 rejected, "
        "waited 0 s\n"
        "x         skipped: set X_BEARER_TOKEN (an app bearer token) to search X\n"
    )
    with Store(Path("data/monitor.db")) as store:  # the dry run stored nothing
        assert store.db.execute("SELECT count(*) FROM posts").fetchone() == (0,)
        assert store.cursor("mastodon", instance, "ichbinhanna") is None
    real = run("-v", "collect", "--source", "mastodon")
    assert real.stdout == (
        f"mastodon  {instance}  #ichbinhanna: 3 pages, 10 new, 0 duplicates (0 newly tagged), "
        "0 rejected, "
        "waited 0 s\n"
    )


def test_health_counts_posts_a_walk_tagged_even_when_another_tag_stored_them(
    store, tmp_path, httpserver
):
    """The same five statuses answer both tags: the second walk stores nothing new but tags
    five posts, and health counts them for its tag instead of warning of no posts."""
    page, _ = recorded("mastodon", "tchncs_tag_ichbinhanna_limit5.json")
    for tag in ("ichbinhanna", "wisskomm"):
        httpserver.expect_request(f"/api/v1/timelines/tag/{tag}").respond_with_json(page)
    config = mastodon_config(tmp_path, httpserver.url_for("/"), extra="max_pages = 1")
    config = replace(config, tags=("ichbinhanna", "wisskomm"))
    (result,) = collect(store, config, ["mastodon"])
    first, second = result.tags
    assert (first.new, first.gained) == (5, 0)
    assert (second.new, second.duplicate, second.gained) == (0, 5, 5)
    health = {h.tag: h for h in collection_health(store, config) if h.source == "mastodon"}
    assert health["wisskomm"].posts_24h == health["ichbinhanna"].posts_24h == 5
    assert health["wisskomm"].warning is None
    (again,) = collect(store, config, ["mastodon"])
    assert [t.gained for t in again.tags] == [0, 0]  # already tagged: nothing gained twice
