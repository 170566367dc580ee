"""Unattended running: the scheduler daemon, cron one-shots, the collect lock, exit statuses."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from werkzeug import Request, Response

from jobs.lock import lock_path
from tests.conftest import REPO, recorded

TAG_PATH = "/api/v1/timelines/tag/ichbinhanna"


@pytest.fixture
def mastodon(httpserver):
    """A Mastodon instance serving the recorded tag page once; ``delay`` slows each answer."""
    body, _ = recorded("mastodon", "tchncs_tag_ichbinhanna_limit5.json")
    state = {"delay": 0.0}

    def handler(request: Request) -> Response:
        time.sleep(state["delay"])
        newer_or_older = "since_id" in request.args or "max_id" in request.args
        return Response(
            "[]" if newer_or_older else json.dumps(body), content_type="application/json"
        )

    httpserver.expect_request(TAG_PATH).respond_with_handler(handler)
    return state


def write_config(tmp_path: Path, httpserver, schedule: str = "", x: bool = False) -> Path:
    path = tmp_path / "monitor.toml"
    path.write_text(f"""
tags = ["ichbinhanna"]
database = "m.db"
reports_dir = "reports"
[collect]
backfill_days = 10000
[sources.mastodon]
instances = ["{httpserver.url_for("/").rstrip("/")}"]
[sources.bluesky]
enabled = false
[sources.reddit]
enabled = false
[sources.x]
enabled = {str(x).lower()}
base_url = "{httpserver.url_for("/").rstrip("/")}"
[schedule]
lock_wait = "0s"
{schedule}
""")
    return path


def monitor(config: Path, *args: str, **popen) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}  # credentials cleared by conftest
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(config), *args],
        cwd=config.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def query(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def wait_for(condition, timeout: float = 60, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except sqlite3.OperationalError:  # the daemon has not created its tables yet
            value = None
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out waiting")


def test_scheduler_collects_reports_and_stops_cleanly_on_sigterm(tmp_path, httpserver, mastodon):
    now = datetime.now(UTC)
    if now.strftime("%H:%M") >= "23:59":  # keep the report time on today's clock
        time.sleep(70)
        now = datetime.now(UTC)
    report_at = (now + timedelta(seconds=6)).strftime("%H:%M:%S")
    config = write_config(
        tmp_path, httpserver, f'collect_every = "2s"\nreport_at = "{report_at}"\ntimezone = "UTC"'
    )
    daemon = monitor(config, "schedule")
    db = tmp_path / "m.db"
    try:
        wait_for(
            lambda: (
                db.exists()
                and len(query(db, "SELECT 1 FROM runs WHERE job = 'collect' AND status = 'ok'"))
                >= 2
            )
        )
        wait_for(lambda: query(db, "SELECT 1 FROM runs WHERE job = 'report' AND status = 'ok'"))
    finally:
        daemon.send_signal(signal.SIGTERM)
        out, err = daemon.communicate(timeout=60)
    assert daemon.returncode == 0, err
    assert "stopping after the work in hand" in err and "scheduler: stopped cleanly" in err
    assert "collect: started" in err and "report: finished" in err
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "SELECT count(*), count(DISTINCT id) FROM posts") == [(5, 5)]
    assert query(db, "SELECT count(*) FROM runs WHERE status = 'running'") == [(0,)]
    yesterday = (now - timedelta(days=1)).date().isoformat()
    assert (tmp_path / "reports" / yesterday / "index.html").is_file()


@pytest.fixture
def endless_walk(tmp_path, httpserver) -> Path:
    """A Mastodon tag whose walk goes on for 50 slow pages: the config collecting it."""
    body, _ = recorded("mastodon", "tchncs_tag_ichbinhanna_limit5.json")
    base = httpserver.url_for("/").rstrip("/")

    def endless(request: Request) -> Response:
        time.sleep(0.5)
        older = int(request.args.get("max_id", "10000")) - 1
        link = f'<{base}{TAG_PATH}?max_id={older}>; rel="next"'
        return Response(json.dumps(body), content_type="application/json", headers={"Link": link})

    httpserver.expect_request(TAG_PATH).respond_with_handler(endless)
    config = write_config(tmp_path, httpserver, 'collect_every = "1h"')
    config.write_text(
        config.read_text().replace("backfill_days = 10000", "backfill_days = 10000\nmax_pages = 50")
    )
    return config


def assert_walk_interrupted(db: Path) -> None:
    """The collect is recorded interrupted after whole pages, and the next run resumes it."""
    assert query(db, "SELECT status, error FROM runs WHERE job = 'collect'") == [
        ("interrupted", "stopped by a signal after a whole page; the next run resumes")
    ]
    assert query(db, "SELECT count(*) FROM runs WHERE status = 'running'") == [(0,)]
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "SELECT count(*) FROM posts") == [(5,)]
    (cursor,) = query(db, "SELECT value FROM cursors")
    assert json.loads(cursor[0])["walk"] is not None


def test_sigterm_stops_a_long_walk_after_the_page_in_flight(tmp_path, httpserver, endless_walk):
    """A walk of up to 50 slow pages: SIGTERM during the third ends it after that page is
    stored, well before systemd's kill, with the run recorded and the database whole."""
    daemon = monitor(endless_walk, "schedule")
    try:
        wait_for(lambda: len(httpserver.log) >= 3, timeout=60, step=0.05)
    finally:
        daemon.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        _, err = daemon.communicate(timeout=60)
    assert daemon.returncode == 0, err
    assert time.monotonic() - signalled < 10
    assert len(httpserver.log) <= 4  # the page in flight, perhaps the next; never 50
    assert_walk_interrupted(tmp_path / "m.db")


def test_sigterm_stops_a_daily_run_after_its_step_writing_no_report(
    tmp_path, httpserver, endless_walk
):
    """cron's one-shot: SIGTERM during the collect's third page ends the collect after that
    page; no report is started, the run is recorded interrupted, and the exit status is the
    signal's (143), with one line saying so."""
    daily = monitor(endless_walk, "daily")
    try:
        wait_for(lambda: len(httpserver.log) >= 3, timeout=60, step=0.05)
    finally:
        daily.send_signal(signal.SIGTERM)
        _, err = daily.communicate(timeout=60)
    assert daily.returncode == 143, err
    assert err.splitlines()[-1] == (
        "SIGTERM: stopped after the step in hand (no report written); the next run picks up"
    )
    assert len(httpserver.log) <= 4
    assert_walk_interrupted(tmp_path / "m.db")
    assert query(tmp_path / "m.db", "SELECT count(*) FROM runs WHERE job = 'report'") == [(0,)]
    assert not (tmp_path / "reports").exists()


def test_two_collects_started_together_never_both_collect(tmp_path, httpserver, mastodon):
    mastodon["delay"] = 3.0
    config = write_config(tmp_path, httpserver)
    first, second = monitor(config, "collect"), monitor(config, "collect")
    outcomes = sorted((p.wait(timeout=60), p.stderr.read()) for p in (first, second))
    assert [code for code, _ in outcomes] == [0, 4], outcomes
    assert "another collect is running" in outcomes[1][1]
    db = tmp_path / "m.db"
    assert query(db, "SELECT count(*), count(DISTINCT id) FROM posts") == [(5, 5)]
    assert query(db, "SELECT source, status FROM runs WHERE job = 'collect' ORDER BY status") == [
        ("mastodon", "ok"),
        (None, "skipped"),
    ]
    assert len(httpserver.log) == 1  # only one of them asked the server


def test_a_collect_killed_with_sigkill_leaves_a_lock_the_next_run_takes(
    tmp_path, httpserver, mastodon
):
    mastodon["delay"] = 5.0
    config = write_config(tmp_path, httpserver)
    victim = monitor(config, "collect")
    lock = lock_path(tmp_path / "m.db")
    wait_for(lambda: lock.exists() and lock.read_text() == str(victim.pid))
    time.sleep(0.5)  # let it reach the server
    victim.kill()
    victim.wait(timeout=10)
    mastodon["delay"] = 0.0
    rerun = monitor(config, "collect", "--summary")
    out, err = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, err
    assert out == "collect: 5 new, 0 duplicates, 0 rejected\n"
    assert query(tmp_path / "m.db", "SELECT status FROM runs ORDER BY run_id") == [
        ("interrupted",),
        ("ok",),
    ]


@pytest.mark.parametrize(
    ("mastodon_ok", "x_enabled", "status"),
    [(True, False, 0), (True, True, 3), (False, False, 1)],
    ids=["success", "partial-failure", "total-failure"],
)
def test_daily_exit_status_and_the_report_is_always_written(
    run, tmp_path, httpserver, monkeypatch, mastodon_ok, x_enabled, status
):
    if mastodon_ok:
        body, _ = recorded("mastodon", "tchncs_tag_ichbinhanna_limit5.json")
        httpserver.expect_request(TAG_PATH).respond_with_json(body)
    else:
        httpserver.expect_request(TAG_PATH).respond_with_json({"error": "no"}, status=401)
    httpserver.expect_request("/2/tweets/search/recent").respond_with_json(
        {"title": "Unauthorized", "status": 401}, status=401
    )
    monkeypatch.setenv("X_BEARER_TOKEN", "x-token-for-daily-test")
    config = write_config(tmp_path, httpserver, x=x_enabled)
    result = run("--config", config, "daily", ok=False)
    assert result.exit_code == status
    assert result.stdout == ""  # quiet: cron mails only when something is wrong
    if status:
        assert len(result.stderr.splitlines()) == 1 and "HTTP 401" in result.stderr
    reports = list((tmp_path / "reports").glob("*/index.html"))
    assert len(reports) == 1
    assert "Collection health" in reports[0].read_text()


def test_status_shows_health_cursor_and_next_runs(run, tmp_path, httpserver, mastodon):
    config = write_config(tmp_path, httpserver)
    run("--config", config, "collect")
    text = run("--config", config, "status").stdout
    assert "mastodon  #ichbinhanna         ok" in text
    assert "cursor " + httpserver.url_for("/").rstrip("/") in text
    as_json = json.loads(run("--config", config, "status", "--json").stdout)
    (row,) = [r for r in as_json["sources"] if r["source"] == "mastodon"]
    assert (row["state"], row["posts_24h"], row["warning"]) == ("ok", 5, None)
    assert set(as_json["next_runs"]) == {"collect", "report", "housekeeping"}


def test_housekeeping_deletes_raw_payloads_past_retention(run, tmp_path, httpserver, mastodon):
    config = write_config(tmp_path, httpserver, "raw_retention_days = 30")
    run("--config", config, "collect")
    from jobs.tasks import housekeeping_job
    from monitor.config import load_config

    counts = housekeeping_job(load_config(config))
    assert counts["raw_deleted"] == 5  # the recorded posts are from 2022
    assert query(tmp_path / "m.db", "SELECT count(*) FROM raw_posts") == [(0,)]
