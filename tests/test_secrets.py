"""Secrets: with tokens in the environment, a full run (collect from every source, report,
status, debug logs, an HTTP error that echoes headers) leaves them nowhere."""

import base64
import json
import logging
from pathlib import Path
from urllib.parse import quote, quote_plus

from werkzeug import Request, Response

from tests.conftest import recorded

SECRETS = {
    "MASTODON_TOKEN": "mastodon-secret-AAAA1111",
    "BSKY_HANDLE": "monitor.example",
    "BSKY_APP_PASSWORD": "bsky-app-password-BBBB2222",
    "REDDIT_CLIENT_ID": "reddit-client-id-CCCC3333",
    "REDDIT_CLIENT_SECRET": "reddit-secret-DDDD4444",
    "X_BEARER_TOKEN": "x-bearer-EEEE5555",
}
ISSUED = ["bsky-access-FFFF6666", "bsky-refresh-GGGG7777", "reddit-access-HHHH8888"]


def serve_everything(httpserver) -> None:
    mastodon, _ = recorded("mastodon", "tchncs_tag_ichbinhanna_limit5.json")
    bluesky, _ = recorded("bluesky", "searchPosts_q_redistricting_2023_httptest2_hitsTotal.json")
    reddit, _ = recorded("reddit", "goreddit_subreddit_search_posts_2results.json")
    httpserver.expect_request("/api/v1/timelines/tag/ichbinhanna").respond_with_json(mastodon)
    httpserver.expect_request("/xrpc/com.atproto.server.createSession").respond_with_json(
        {"accessJwt": ISSUED[0], "refreshJwt": ISSUED[1], "handle": "monitor.example"}
    )
    httpserver.expect_request("/xrpc/app.bsky.feed.searchPosts").respond_with_json(
        {"posts": bluesky["posts"]}
    )
    httpserver.expect_request("/api/v1/access_token").respond_with_json(
        {"access_token": ISSUED[2], "expires_in": 3600}
    )
    httpserver.expect_request("/search").respond_with_json(
        {"kind": "Listing", "data": {"after": None, "children": reddit["data"]["children"]}}
    )

    def echo_headers(request: Request) -> Response:
        # A hostile or misconfigured server that echoes the request, headers and all.
        echoed = {"Authorization": request.headers.get("Authorization"), **request.headers}
        body = json.dumps({"error": "Unauthorized", "echo": echoed})
        return Response(body, status=401, content_type="application/json")

    httpserver.expect_request("/2/tweets/search/recent").respond_with_handler(echo_headers)


def test_tokens_appear_nowhere_after_a_full_run(run, tmp_path, httpserver, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    serve_everything(httpserver)
    base = httpserver.url_for("/").rstrip("/")
    Path("monitor.toml").write_text(f"""
tags = ["ichbinhanna"]
[collect]
backfill_days = 10000
[sources.mastodon]
instances = ["{base}"]
[sources.bluesky]
service = "{base}"
[sources.reddit]
base_url = "{base}"
auth_url = "{base}/api/v1/access_token"
[sources.x]
base_url = "{base}"
""")
    collected = run("-vv", "collect", ok=False)
    assert collected.exit_code == 3  # X refused: a partial failure
    assert "x search" in collected.stderr and "HTTP 401" in collected.stderr
    assert "Bearer [redacted]" in collected.stderr  # the echo carried the token; it was cut
    report = run("-vv", "report", "--date", "2022-11-08", "--summary")
    status = run("-vv", "status", "--json")

    outputs = [
        collected.stdout,
        collected.stderr,
        report.stdout,
        report.stderr,
        status.stdout,
        status.stderr,
        caplog.text,
    ]
    files = [p for p in Path(".").rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in files) and any(p.name == "index.html" for p in files)
    for secret in [*SECRETS.values(), *ISSUED]:
        if secret == SECRETS["BSKY_HANDLE"]:
            continue  # a handle is public, not a secret
        for text in outputs:
            assert secret not in text
        for path in files:
            assert secret.encode() not in path.read_bytes(), path
    (x_run,) = [r for r in json.loads(status.stdout)["sources"] if r["source"] == "x"]
    assert x_run["state"] == "error"


def test_an_auth_endpoint_that_echoes_the_request_leaks_no_form_of_the_secret(
    run, httpserver, monkeypatch
):
    """Reddit's client secret travels as base64("id:secret") in a Basic header; a token endpoint
    that echoes the request (headers, body, URL-encoded) must not get it into stderr, the runs
    table, status or the report, in any of those encodings."""
    client_id, secret = "reddit-id/ZZZZ 9999", "reddit+secret/DDDD=4444&x"
    monkeypatch.setenv("REDDIT_CLIENT_ID", client_id)
    monkeypatch.setenv("REDDIT_CLIENT_SECRET", secret)
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    forms = {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        base64.b64encode(secret.encode()).decode().rstrip("="),
        basic,
        basic.rstrip("="),
    }

    def echo(request: Request) -> Response:
        echoed = {
            "authorization": request.headers["Authorization"],
            "headers": dict(request.headers),
            "url": f"{request.url}&secret={quote_plus(secret)}",
            "base64_of_secret": base64.b64encode(secret.encode()).decode(),
        }
        return Response(json.dumps(echoed), status=401, content_type="application/json")

    httpserver.expect_request("/api/v1/access_token").respond_with_handler(echo)
    base = httpserver.url_for("/").rstrip("/")
    Path("monitor.toml").write_text(f"""
tags = ["ichbinhanna"]
[sources.reddit]
base_url = "{base}"
auth_url = "{base}/api/v1/access_token"
[sources.mastodon]
enabled = false
[sources.bluesky]
enabled = false
[sources.x]
enabled = false
""")
    collected = run("-vv", "collect", ok=False)
    assert collected.exit_code == 1 and "reddit token: HTTP 401" in collected.stderr
    assert "Basic [redacted]" in collected.stderr  # the echo arrived, and was cut
    report = run("report", "--date", "2022-11-08", "--summary")
    status = run("status", "--json")
    texts = [collected.stdout, collected.stderr, report.stdout, status.stdout]
    files = [p.read_bytes() for p in Path(".").rglob("*") if p.is_file()]
    for form in forms:
        for text in texts:
            assert form not in text
        for content in files:
            assert form.encode() not in content
