"""One fault server, a mode per way a platform has failed us: whatever one source's server does,
``monitor collect`` ends without a traceback, in bounded time and memory, with that source's
error recorded, no run left ``running``, and the other source's posts stored.

Mastodon is the faulty source (it runs first); Reddit, answering normally, is the other one.
Each run is a real ``monitor collect`` process, so its exit status and peak memory are its own."""

import functools
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from werkzeug import Request, Response

from tests.conftest import REPO, recorded

TAG_PATH = "/api/v1/timelines/tag/ichbinhanna"
REDDIT_ENV = {"REDDIT_CLIENT_ID": "fault-client-id", "REDDIT_CLIENT_SECRET": "fault-secret-1234"}
MB = 2**20


@functools.cache
def gzip_bomb(expanded: int) -> bytes:
    """``expanded`` bytes of zeros, gzip-compressed (about a thousandth of the size)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(MB)
    return b"".join(packer.compress(chunk) for _ in range(expanded // MB)) + packer.flush()


def mastodon_page() -> list:
    return recorded("mastodon", "tchncs_tag_ichbinhanna_limit5.json")[0]


def trickle(request: Request) -> Response:
    def one_byte_at_a_time():
        yield b"["
        for _ in range(240):  # a minute of this, if the client waited
            time.sleep(0.25)
            yield b" "

    return Response(one_byte_at_a_time(), content_type="application/json")


def endless(request: Request) -> Response:
    chunk = b" " * 65536
    return Response((chunk for _ in range(1024)), content_type="application/json")  # 64 MB


def with_status(created_at: str | None):
    """The recorded page, one status dated ``created_at`` (None: the page as recorded)."""

    def handler(request: Request) -> Response:
        if "max_id" in request.args:
            return Response("[]", content_type="application/json")
        page = mastodon_page()
        if created_at is not None:
            page[2]["created_at"] = created_at
        return Response(json.dumps(page), content_type="application/json")

    return handler


def bad_next_link(request: Request) -> Response:
    link = f'<http://[::1{TAG_PATH}?max_id=1>; rel="next"'
    return Response(
        json.dumps(mastodon_page()), content_type="application/json", headers={"Link": link}
    )


MODES = {
    # name: (handler, what the error says; None when the source succeeds with a rejection)
    "redirect loop": (
        lambda r: Response("", status=302, headers={"Location": TAG_PATH}),
        "TooManyRedirects",
    ),
    "gzip header, plain body": (
        lambda r: Response(
            "not gzip at all", content_type="application/json", headers={"Content-Encoding": "gzip"}
        ),
        "the body does not decode",
    ),
    "JSON nested 200,000 deep": (
        lambda r: Response("[" * 200_000 + "]" * 200_000, content_type="application/json"),
        "the response is not JSON",
    ),
    "next link that is no URL": (bad_next_link, "the Link header's next page is no URL"),
    "a byte every quarter second": (trickle, "within the 2 s deadline"),
    "64 MB answer": (endless, "larger than 1 MB; not read"),
    "gzip bomb (512 MB of zeros)": (
        lambda r: Response(
            gzip_bomb(512 * MB),
            content_type="application/json",
            headers={"Content-Encoding": "gzip"},
        ),
        "larger than 1 MB; not read",
    ),
    "status dated 9999-12-31T23:59:59-01:00": (
        with_status("9999-12-31T23:59:59-01:00"),
        None,
    ),
    "status dated 2099": (with_status("2099-01-01T00:00:00Z"), None),
}


def serve_reddit(httpserver) -> None:
    listing, _ = recorded("reddit", "goreddit_subreddit_search_posts_2results.json")
    httpserver.expect_request("/api/v1/access_token").respond_with_json(
        {"access_token": "fault-access-token", "expires_in": None}  # null: an hour, not a crash
    )
    httpserver.expect_request("/search").respond_with_json(
        {"kind": "Listing", "data": {"after": None, "children": listing["data"]["children"]}}
    )


def server_url(httpserver) -> str:
    return httpserver.url_for("/").rstrip("/")


def write_config(tmp_path: Path, base: str) -> Path:
    path = tmp_path / "monitor.toml"
    path.write_text(f"""
tags = ["ichbinhanna"]
database = "m.db"
[collect]
backfill_days = 10000
request_deadline = 2
max_response_mb = 1
[sources.mastodon]
instances = ["{base}"]
[sources.reddit]
base_url = "{base}"
auth_url = "{base}/api/v1/access_token"
[sources.bluesky]
enabled = false
[sources.x]
enabled = false
""")
    return path


def collect_process(config: Path) -> tuple[int, str, float, float]:
    """Run ``monitor -v collect``: exit status, its output, seconds, and peak memory in MB (the
    process's own high-water mark, read from /proc while it runs: a forked child's rusage would
    count the test runner's memory too)."""
    output = config.parent / "output.txt"
    env = {**os.environ, "PYTHONPATH": str(REPO), **REDDIT_ENV}
    started, peak_kb = time.monotonic(), 0
    with output.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", str(config), "-v", "collect"],
            cwd=config.parent,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        status = Path(f"/proc/{process.pid}/status")
        while process.poll() is None:
            try:
                high_water = re.search(r"VmHWM:\s+(\d+) kB", status.read_text())
            except OSError:  # it has just exited
                break
            if high_water:
                peak_kb = max(peak_kb, int(high_water[1]))
            time.sleep(0.02)
        process.wait()
    return process.returncode, output.read_text(), time.monotonic() - started, peak_kb / 1024


# What a faulty server may add to a collect's peak memory: the modes here add at most about
# 15 MB (the peak is the language models', loaded after Mastodon's answer is gone); the gzip
# bomb inflated, or any answer kept until scoring, would add hundreds.
FAULT_MARGIN_MB = 40


@pytest.fixture(scope="session")
def normal_mb(make_httpserver, tmp_path_factory) -> float:
    """Peak memory of the same collect with both servers answering normally, measured once:
    the baseline a faulty server is held to, whatever the language models take here (py3langid's
    alone about 100 MB) and whatever this machine's libraries allocate."""
    make_httpserver.expect_request(TAG_PATH).respond_with_handler(with_status(None))
    serve_reddit(make_httpserver)
    config = write_config(tmp_path_factory.mktemp("normal"), server_url(make_httpserver))
    status, output, _, peak_mb = collect_process(config)
    make_httpserver.clear()
    assert status == 0, output
    return peak_mb


@pytest.mark.parametrize("mode", list(MODES))
def test_a_faulty_server_fails_only_its_own_source(tmp_path, httpserver, normal_mb, mode):
    handler, error = MODES[mode]
    if "bomb" in mode:
        gzip_bomb(512 * MB)  # built once, before the server must answer
    httpserver.expect_request(TAG_PATH).respond_with_handler(handler)
    serve_reddit(httpserver)
    config = write_config(tmp_path, server_url(httpserver))

    status, output, seconds, peak_mb = collect_process(config)

    assert "Traceback" not in output, output
    assert seconds < 30 and peak_mb < normal_mb + FAULT_MARGIN_MB, (seconds, peak_mb, normal_mb)
    with sqlite3.connect(tmp_path / "m.db") as db:
        runs = dict(db.execute("SELECT source, status || ': ' || coalesce(error, '') FROM runs"))
        platforms = dict(db.execute("SELECT platform, count(*) FROM posts GROUP BY platform"))
    assert runs["reddit"] == "ok: " and platforms["reddit"] == 2  # the other source ran
    if error is None:  # one bad status: rejected, the rest of its page stored
        assert status == 0 and runs["mastodon"] == "ok: "
        assert platforms["mastodon"] == 4
        assert "1 rejected" in output and "rejected mastodon" in output
    else:
        assert status == 3
        assert runs["mastodon"].startswith("error: ") and error in runs["mastodon"], runs
        assert error in output


def test_an_oversized_answer_is_not_fetched_again(tmp_path, httpserver):
    httpserver.expect_request(TAG_PATH).respond_with_handler(endless)
    serve_reddit(httpserver)
    status, _, _, _ = collect_process(write_config(tmp_path, server_url(httpserver)))
    assert status == 3
    assert sum(r.path == TAG_PATH for r, _ in httpserver.log) == 1  # a retry cannot cure it
