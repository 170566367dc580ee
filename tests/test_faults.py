"""Faulty servers: retries with backoff, bounded requests, clear errors, every post once.

A local server plays a Mastodon instance that fails in the ways real ones do; the collector
runs with a fast retry policy (the same code, shorter waits) so the test stays quick."""

import json
import socket
import struct
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug import Request, Response

from monitor.collect import collect
from monitor.http import Http, Retry
from tests.conftest import mastodon_config, recorded

TAG_PATH = "/api/v1/timelines/tag/ichbinhanna"


@pytest.fixture
def config(tmp_path, httpserver):
    return mastodon_config(tmp_path, httpserver.url_for("/"), extra="max_pages = 5")


def fast_http() -> Http:
    return Http(retry=Retry(attempts=3, backoff=0.05, max_backoff=0.2), timeout=1.0)


class Faulty:
    """Answers the scripted faults in order, then the recorded page (and [] for older pages)."""

    def __init__(self, httpserver, faults: list) -> None:
        self.faults = list(faults)
        self.page, _ = recorded("mastodon", "tchncs_tag_ichbinhanna_limit5.json")
        self.requests = 0
        httpserver.expect_request(TAG_PATH).respond_with_handler(self)

    def __call__(self, request: Request) -> Response:
        self.requests += 1
        if self.faults:
            fault = self.faults.pop(0)
            if fault == "slow":
                time.sleep(1.5)  # longer than the client's timeout
            elif fault == "truncated":
                return Response(json.dumps(self.page)[:200], content_type="application/json")
            else:
                return Response("upstream trouble", status=fault)
        body = [] if "max_id" in request.args else self.page
        return Response(json.dumps(body), content_type="application/json")


def stored(store) -> int:
    return store.db.execute("SELECT count(*) FROM posts").fetchone()[0]


@pytest.mark.parametrize("faults", [[500], [502, 503], ["slow"], [503, "slow"]])
def test_transient_faults_are_retried_and_every_post_stored_once(store, config, httpserver, faults):
    server = Faulty(httpserver, faults)
    (result,) = collect(store, config, ["mastodon"], http=fast_http())
    assert result.status == "ok" and result.tags[0].new == 5
    assert stored(store) == 5
    assert server.requests == len(faults) + 1  # one try per fault, then the good answer
    assert result.tags[0].waited > 0  # backoff between tries


def test_retries_run_out_with_a_clear_error_in_runs_and_status(run, store, config, httpserver):
    server = Faulty(httpserver, [500, 502, 503, 500])
    (result,) = collect(store, config, ["mastodon"], http=fast_http())
    assert result.status == "error"
    assert "HTTP 503 (gave up after 3 attempts)" in result.message
    assert server.requests == 3  # bounded: no busy loop
    (row,) = store.runs("collect")
    assert row["status"] == "error" and "gave up after 3 attempts" in row["error"]
    assert stored(store) == 0
    status = run("--config", config.path, "--db", store.path, "status").stdout
    assert "mastodon  #ichbinhanna         error" in status and "gave up after 3" in status


def test_a_truncated_body_is_an_error_not_a_crash_and_the_next_run_recovers(
    store, config, httpserver
):
    Faulty(httpserver, ["truncated"])
    (first,) = collect(store, config, ["mastodon"], http=fast_http())
    assert first.status == "error" and "the response is not JSON" in first.message
    (second,) = collect(store, config, ["mastodon"], http=fast_http())
    assert second.status == "ok" and stored(store) == 5


def test_a_page_that_repeats_or_a_cursor_that_loops_is_bounded(store, config, httpserver):
    page, headers = recorded("mastodon", "tchncs_tag_ichbinhanna_limit5.json")
    # Every page answers with the same statuses and the same "next" link: a loop.
    httpserver.expect_request(TAG_PATH).respond_with_json(page, headers=headers)
    (result,) = collect(store, config, ["mastodon"], http=fast_http())
    assert result.status == "error"  # reported, not "ok" every run
    assert "the server gave the same next-page token twice (its pages loop)" in result.message
    assert result.tags[0].pages == 2 and len(httpserver.log) == 2  # seen at once, then stop
    assert (result.tags[0].new, result.tags[0].duplicate) == (5, 5)
    assert stored(store) == 5
    instance = httpserver.url_for("/").rstrip("/")
    assert store.cursor("mastodon", instance, "ichbinhanna")["walk"] is None  # no loop kept


def test_an_empty_page_ends_the_walk(store, config, httpserver):
    httpserver.expect_request(TAG_PATH).respond_with_json([])
    (result,) = collect(store, config, ["mastodon"], http=fast_http())
    assert (result.status, result.tags[0].pages, result.tags[0].new) == ("ok", 1, 0)
    assert store.cursor("mastodon", httpserver.url_for("/").rstrip("/"), "ichbinhanna") is None


def test_429_without_retry_after_waits_for_the_rate_limit_reset(store, config, httpserver):
    reset_at = datetime.now(UTC) + timedelta(seconds=1.5)
    reset = reset_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    httpserver.expect_oneshot_request(TAG_PATH).respond_with_json(
        {"error": "Too many requests"},
        status=429,
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
    )
    Faulty(httpserver, [])
    (result,) = collect(store, config, ["mastodon"], http=fast_http())
    assert result.status == "ok" and stored(store) == 5
    assert 0.8 < result.tags[0].waited < 2.5  # waited for the reset, not a blind backoff (<0.2 s)


class ResettingServer:
    """A raw TCP server on 127.0.0.1 that resets the first ``resets`` connections (RST, via
    SO_LINGER 0), then answers each request with the recorded tag page."""

    def __init__(self, resets: int) -> None:
        self.resets, self.connections = resets, 0
        self.body = json.dumps(recorded("mastodon", "tchncs_tag_ichbinhanna_limit5.json")[0])
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                if self.connections <= self.resets:
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    continue
                request = conn.recv(65536).decode("latin-1")
                body = "[]" if "max_id=" in request.split("\r\n", 1)[0] else self.body
                conn.sendall(
                    (
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        f"Content-Length: {len(body.encode())}\r\nConnection: close\r\n\r\n"
                    ).encode()
                    + body.encode()
                )

    def close(self) -> None:
        self.sock.close()


def test_connection_resets_are_retried(store, tmp_path):
    server = ResettingServer(resets=2)
    try:
        config = mastodon_config(tmp_path, server.url)
        (result,) = collect(store, config, ["mastodon"], http=fast_http())
    finally:
        server.close()
    assert result.status == "ok" and stored(store) == 5
    assert server.connections == 3  # two resets, one good answer


class TricklingServer:
    """A raw TCP server on 127.0.0.1 that sends its status line and headers one byte at a time,
    each byte well inside the client's read timeout: only a total deadline can end it."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            conn.recv(65536)
            try:
                for byte in b"HTTP/1.1 200 OK\r\nX-Padding: " + b"a" * 600:
                    conn.sendall(bytes([byte]))
                    time.sleep(0.1)
            except OSError:  # the client hung up, as it should
                return

    def close(self) -> None:
        self.sock.close()


def test_headers_trickled_a_byte_at_a_time_end_at_the_deadline(store, tmp_path):
    server = TricklingServer()
    try:
        config = mastodon_config(tmp_path, server.url)
        http = Http(retry=Retry(attempts=3, backoff=0.05), timeout=1.0, deadline=1.5)
        started = time.monotonic()
        (result,) = collect(store, config, ["mastodon"], http=http)
    finally:
        server.close()
    assert result.status == "error"
    assert result.message.endswith("no complete answer within the 1.5 s deadline")
    assert time.monotonic() - started < 10  # one attempt: a deadline is not retried


def test_a_rate_limit_reset_a_month_away_gives_up_naming_the_date(store, config, httpserver):
    reset_at = (datetime.now(UTC) + timedelta(days=30)).replace(second=30, microsecond=0)
    httpserver.expect_request(TAG_PATH).respond_with_json(
        {"error": "Too many requests"},
        status=429,
        headers={
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset_at.isoformat().replace("+00:00", "Z"),
        },
    )
    (result,) = collect(store, config, ["mastodon"], http=fast_http())
    assert result.status == "error" and len(httpserver.log) == 1
    assert f"(until {reset_at:%Y-%m-%d %H:%M} UTC), more than the 900 s allowed" in result.message
