"""Delivery: the report by email to a real SMTP server on 127.0.0.1 (STARTTLS with a
certificate from a test CA, login), chat webhooks to a local HTTP server, once per channel and
day, retries, a failing channel beside a working one, alerts as they happen, and the secrets
never shown or stored."""

from __future__ import annotations

import asyncio
import contextlib
import email
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, time, timedelta
from email import policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from werkzeug import Response

from monitor.errors import ConfigError
from monitor.http import secret_forms
from monitor.store import Store
from tests.conftest import REPO, config_file, post

TAG = "witkoffukraine"
DAY = date(2025, 11, 20)
PASSWORD = "smtp-pass-Zq81!x"
HOOK_SECRET = "T000/B000/XXXXsecretXXXX"
SOURCES_OFF = "\n".join(
    f"[sources.{name}]\nenabled = false" for name in ("bluesky", "mastodon", "reddit", "x")
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """aiosmtpd handler: keeps each message; refuses the next ``refuse`` of them."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], email.message.EmailMessage]] = []
        self.refuse = 0
        self.reply = "554 5.3.4 Message too big for this mailbox"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refuse -= 1
            return self.reply
        parsed = email.message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 OK"


@pytest.fixture
def tls_ca(tmp_path, monkeypatch):
    """A test CA the client trusts (through SSL_CERT_FILE, which OpenSSL reads) and the
    server's certificate for 127.0.0.1."""
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    return ca


@pytest.fixture
def smtp(tls_ca, monkeypatch):
    """A real SMTP server on 127.0.0.1 that demands STARTTLS before a login."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_ca.issue_cert("127.0.0.1").configure_cert(context)
    logins = []

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == PASSWORD.encode()
        logins.append((auth_data.login.decode(), ok))
        return AuthResult(success=ok, handled=False)  # aiosmtpd then answers 535

    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=_free_port(),
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_require_tls=True,
    )
    controller.start()
    inbox.port, inbox.logins = controller.port, logins
    monkeypatch.setenv("MONITOR_SMTP_USER", "desk-bot")
    monkeypatch.setenv("MONITOR_SMTP_PASSWORD", PASSWORD)
    yield inbox
    controller.stop()


def day_posts() -> list[dict]:
    """Seven quiet, mixed days, then a loud, skeptical report day: a volume spike and a share
    shift on DAY."""
    records = []
    for back in range(1, 8):
        day = DAY - timedelta(days=back)
        for i in range(12):
            text = ["Great talks, good progress", "A terrible deal", "Talks resume"][i % 3]
            records.append(
                post(f"b{back}-{i}", f"{day}T{8 + i:02d}:00:00Z", f"{text} {i}", tags=[TAG])
            )
    for i in range(60):
        records.append(
            post(
                f"d{i}",
                f"{DAY}T{(i % 12) + 8:02d}:{i % 60:02d}:00Z",
                f"A terrible, shameful disaster {i}",
                tags=[TAG],
                url=f"https://example.social/@a/{i}",
            )
        )
    return records


def write_config(
    tmp_path: Path, email_port: int | None = None, webhook: str = "", mastodon: str = ""
) -> Path:
    """Sources off (or only Mastodon, at ``mastodon``), the channels asked for on."""
    sources = SOURCES_OFF
    if mastodon:
        sources = SOURCES_OFF.replace(
            "[sources.mastodon]\nenabled = false", f'[sources.mastodon]\ninstances = ["{mastodon}"]'
        )
    parts = [f'tags = ["{TAG}"]', 'database = "m.db"', sources]
    if email_port:
        parts.append(
            f"""[deliver.email]
enabled = true
host = "127.0.0.1"
port = {email_port}
security = "starttls"
from = "monitor@example.org"
to = ["desk@example.org", "editor@example.org"]
username_env = "MONITOR_SMTP_USER"
password_env = "MONITOR_SMTP_PASSWORD"
"""
        )
    if webhook:
        parts.append(f"[deliver.webhook]\nenabled = true\n{webhook}")
    path = tmp_path / "monitor.toml"
    path.write_text("\n".join(parts) + "\n")
    return path


@pytest.fixture
def loaded(run, tmp_path, write_jsonl):
    run("--db", tmp_path / "m.db", "import", write_jsonl(day_posts()))
    return tmp_path


def unix(text: str) -> str:
    """Text as written to disk: mail carries CRLF line ends and a final newline."""
    return text.replace("\r\n", "\n").rstrip("\n")


def manifest(tmp_path: Path, day: date = DAY) -> dict:
    return json.loads((tmp_path / "reports" / day.isoformat() / "manifest.json").read_text())


def our_log(caplog: pytest.LogCaptureFixture) -> str:
    """What the monitor logged (the test servers' own access logs name their paths)."""
    return "\n".join(
        r.getMessage() for r in caplog.records if r.name.startswith(("monitor", "jobs"))
    )


def everything_written(tmp_path: Path, *outputs: str) -> bytes:
    """Every byte the run left: its output, the database (and WAL), the reports."""
    blobs = [o.encode() for o in outputs]
    blobs += [p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p.name != "ca.pem"]
    return b"\n".join(blobs)


def test_the_report_by_email_over_starttls_with_login(run, loaded, smtp, caplog):
    config = write_config(loaded, email_port=smtp.port)
    out = run("-v", "--config", config, "deliver", "--date", DAY.isoformat())
    assert "deliver email    sent: sent to desk@example.org, editor@example.org" in out.stdout
    assert smtp.logins == [("desk-bot", True)]
    ((sender, recipients, message),) = smtp.messages
    assert sender == "monitor@example.org"
    assert recipients == ["desk@example.org", "editor@example.org"]
    facts = manifest(loaded)
    (headline,) = facts["counts"]["headline"].values()
    alerts = facts["alerts"]
    assert {a["kind"] for a in alerts} == {"volume", "share"}
    assert message["Subject"] == (f"Sentiment report {DAY}: {headline}; {len(alerts)} alerts")
    assert headline.startswith(f"#{TAG}: 60 posts, 100% skeptical")
    folder = loaded / "reports" / DAY.isoformat()
    text = message.get_body(("plain",)).get_content()
    assert unix(text) == unix((folder / "report.md").read_text())
    page = message.get_body(("html",)).get_content()
    assert "60 posts" in page and "100%" in page
    assert "All reports" not in page and 'href="#"' not in page  # a real link or none
    # nothing loads from anywhere: every image is an inline part, found by its Content-ID
    assert not re.search(r'src="(?!cid:)', page) and "<link" not in page
    referenced = set(re.findall(r'src="cid:([^"]+)"', page))
    inline = {
        part["Content-ID"].strip().strip("<>"): part.get_content_type()
        for part in message.walk()
        if part["Content-ID"]
    }
    charts = [name for name in facts["files"] if name.endswith(".png")]
    assert len(referenced) == len(charts) == 3 and referenced == set(inline)
    assert set(inline.values()) == {"image/png"}
    attached = {p.get_filename(): p.get_content() for p in message.iter_attachments()}
    assert set(attached) == {"daily.csv", "daily_by_platform.csv"}
    assert unix(attached["daily.csv"]) == unix((folder / "daily.csv").read_text())

    again = run("-v", "--config", config, "deliver", "--date", DAY.isoformat())
    assert "skipped: the 2025-11-20 report was sent before (--force sends it again)" in again.stdout
    assert len(smtp.messages) == 1
    run("-v", "--config", config, "deliver", "--date", DAY.isoformat(), "--force")
    assert len(smtp.messages) == 2
    leaked = everything_written(loaded, out.output, again.output, our_log(caplog))
    assert PASSWORD.encode() not in leaked


def test_a_refusing_server_is_one_line_and_the_next_run_retries(run, loaded, smtp):
    config = write_config(loaded, email_port=smtp.port)
    smtp.refuse = 1
    failed = run("--config", config, "deliver", "--date", DAY.isoformat(), ok=False)
    assert failed.exit_code == 3 and failed.stdout == ""  # as cron wants it: only the failure
    (line,) = failed.stderr.splitlines()
    assert line == (
        f"deliver email    error: 127.0.0.1:{smtp.port}: the server said 554 "
        "5.3.4 Message too big for this mailbox"
    )
    status = run("--config", config, "status").stdout
    assert "deliver email    last error" in status and "1 waiting to be retried" in status
    # the next run of any delivery (here, another day's) sends the one that failed too
    run("-v", "--config", config, "deliver", "--date", (DAY - timedelta(days=1)).isoformat())
    subjects = [m["Subject"] for _, _, m in smtp.messages]
    assert [s.split(":")[0] for s in subjects] == [
        f"Sentiment report {DAY - timedelta(days=1)}",
        f"Sentiment report {DAY}",
    ]
    assert "waiting" not in run("--config", config, "status").stdout
    (channel,) = json.loads(run("--config", config, "status", "--json").stdout)["delivery"]
    sent_at = channel["last_success"]
    assert channel == {
        "channel": "email",
        "send": "report",
        "state": "sent",
        "last_run_at": sent_at,
        "last_success": sent_at,
        "last_error": f"127.0.0.1:{smtp.port}: the server said 554 5.3.4 Message too big for "
        "this mailbox",
        "last_error_at": channel["last_error_at"],
        "waiting": [],
    }
    assert channel["last_error_at"] <= sent_at


def test_a_missing_password_variable_is_one_clear_line(run, loaded, smtp, monkeypatch):
    monkeypatch.delenv("MONITOR_SMTP_PASSWORD")
    config = write_config(loaded, email_port=smtp.port)
    failed = run("-v", "--config", config, "deliver", "--date", DAY.isoformat(), ok=False)
    assert failed.exit_code == 3
    assert (
        "deliver email    error: set MONITOR_SMTP_PASSWORD (the SMTP login for 127.0.0.1)"
        in failed.stdout
    )
    assert smtp.messages == []


@pytest.mark.parametrize("style", ["slack", "json"])
def test_webhook_alerts_retry_a_5xx_and_send_once(run, loaded, httpserver, monkeypatch, style):
    path = f"/services/{HOOK_SECRET}"
    monkeypatch.setenv("MONITOR_WEBHOOK_URL", httpserver.url_for(path))
    httpserver.expect_ordered_request(path, method="POST").respond_with_response(
        Response("upstream down", status=503, headers={"Retry-After": "0"})
    )
    httpserver.expect_ordered_request(path, method="POST").respond_with_data("ok")
    published = 'report_url = "https://intranet.example.org/reports/"' if style == "json" else ""
    config = write_config(loaded, webhook=f'style = "{style}"\nsend = "alerts"\n{published}')
    out = run("-v", "--config", config, "deliver", "--date", DAY.isoformat())
    assert "deliver webhook  sent: posted to localhost" in out.stdout
    assert len(httpserver.log) == 2  # the 503, then the retry that got through
    body = httpserver.log[1][0].get_json()
    facts = manifest(loaded)
    (headline,) = facts["counts"]["headline"].values()
    report = str(loaded / "reports" / DAY.isoformat() / "index.html")
    if style == "slack":
        (text,) = body.values()
        n = len(facts["alerts"])
        assert text.startswith(f"*Sentiment report {DAY}: {headline}; {n} alerts*")
        for alert in facts["alerts"]:
            assert f"• {alert['text']}" in text
        assert "<https://example.social/@a/" in text and text.endswith(f"Full report: {report}")
    else:
        link = f"https://intranet.example.org/reports/{DAY}/index.html"  # report_url is set
        assert body["headlines"] == [headline] and body["report"] == link
        assert [a["key"] for a in body["alerts"]] == [a["key"] for a in facts["alerts"]]
        assert body["alerts"][0]["posts"][0]["url"].startswith("https://example.social/")
    again = run("-v", "--config", config, "deliver", "--date", DAY.isoformat())
    assert "nothing new to send" in again.stdout and len(httpserver.log) == 2
    assert run("--config", config, "deliver", "--date", DAY.isoformat()).output == ""  # quiet
    assert HOOK_SECRET not in out.output + again.output
    with Store(loaded / "m.db") as store:
        assert HOOK_SECRET not in json.dumps(store.runs(limit=100))


def test_a_failing_channel_leaves_the_others_delivered_and_daily_exits_3(
    run, loaded, smtp, httpserver, monkeypatch, caplog
):
    """The mail server refuses the login (a wrong password); the webhook still gets the
    report, daily writes it and exits 3 with one line naming the failure."""
    monkeypatch.setenv("MONITOR_SMTP_PASSWORD", "wrong-" + PASSWORD)
    monkeypatch.setenv("MONITOR_WEBHOOK_URL", httpserver.url_for(f"/hooks/{HOOK_SECRET}"))
    httpserver.expect_request(f"/hooks/{HOOK_SECRET}", method="POST").respond_with_data("ok")
    httpserver.expect_request(f"/api/v1/timelines/tag/{TAG}").respond_with_json([])
    mastodon = httpserver.url_for("/").rstrip("/")
    config = write_config(
        loaded, email_port=smtp.port, webhook='send = "report"', mastodon=mastodon
    )
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    result = run("--config", config, "daily", ok=False)
    assert result.exit_code == 3
    (line,) = result.stderr.splitlines()
    assert "deliver email error:" in line and "535" in line
    posted = [r for r, _ in httpserver.log if r.method == "POST"]
    assert len(posted) == 1 and smtp.messages == []
    assert (loaded / "reports" / yesterday.isoformat() / "index.html").exists()
    leaked = everything_written(loaded, result.output, our_log(caplog))
    assert b"wrong-" + PASSWORD.encode() not in leaked and HOOK_SECRET.encode() not in leaked


def test_daily_with_no_source_enabled_warns_and_sends_nothing_unasked(
    run, loaded, httpserver, monkeypatch
):
    """An import-only setup: daily writes the report from the stored posts, warns on stderr
    (cron mails it) and sends nothing; status tells that collect ran with nothing enabled;
    'monitor deliver' sends the report when asked."""
    monkeypatch.setenv("MONITOR_WEBHOOK_URL", httpserver.url_for("/hook"))
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    config = write_config(loaded, webhook='send = "report"')
    daily = run("--config", config, "daily")
    assert daily.stderr == (
        "warning: no source is enabled (set enabled = true under [sources.NAME]): nothing was "
        "collected; the report is written from the stored posts but not sent ('monitor "
        "deliver' sends it)\n"
    )
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    assert (loaded / "reports" / yesterday.isoformat() / "index.html").exists()
    assert httpserver.log == []
    status = run("--config", config, "status").stdout
    assert "collect last ran " in status and "(nothing): no source is enabled" in status
    assert "no collect has run yet" not in status
    run("--config", config, "deliver")
    assert len(httpserver.log) == 1


def test_alerts_as_they_happen_are_sent_once_after_each_collect(
    run, tmp_path, write_jsonl, httpserver, monkeypatch
):
    """Today's spike reaches the alert channel at the first collect after it, and only then.
    The zone is one where today is at least six hours old, so the spike fits in it."""
    now = datetime.now(UTC)
    zone = ZoneInfo("UTC" if now.hour >= 6 else "Etc/GMT-12")
    today = now.astimezone(zone).date()

    def stamp(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    records = [
        post(
            f"b{back}-{i}",
            stamp(datetime.combine(today - timedelta(days=back), time(8 + i), zone)),
            ["Great talks, good progress", "A terrible deal", "Talks resume"][i % 3] + f" {i}",
            tags=[TAG],
        )
        for back in range(1, 8)
        for i in range(12)
    ]
    records += [
        post(
            f"d{i}",
            stamp(now - timedelta(minutes=4 * (i + 1))),
            f"A terrible disaster {i}",
            tags=[TAG],
        )
        for i in range(60)
    ]
    monkeypatch.setenv("MONITOR_WEBHOOK_URL", httpserver.url_for("/alerts"))
    httpserver.expect_request("/alerts", method="POST").respond_with_data("ok")
    config = write_config(tmp_path, webhook='style = "json"')
    config.write_text(f'timezone = "{zone.key}"\n' + config.read_text())
    run("--config", config, "import", write_jsonl(records))
    first = run("-v", "--config", config, "collect")
    assert "deliver webhook  sent: posted to localhost (json)" in first.stdout
    (request,) = [r for r, _ in httpserver.log]
    body = request.get_json()
    assert body["subject"].startswith(f"Alerts {today}: #{TAG}: ")
    kinds = {(a["tag"], a["kind"]) for a in body["alerts"]}
    assert (TAG, "volume") in kinds and (TAG, "share") in kinds
    assert body["report"] is None
    second = run("-v", "--config", config, "collect")
    assert "nothing new to send" in second.stdout and len(httpserver.log) == 1


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            "[deliver.email]\nenabled = true\n",
            "deliver.email.to: expected at least one address, such as ['desk@example.org']",
        ),
        (
            '[deliver.email]\nsecurity = "tls"\n',
            "deliver.email.security: expected starttls or ssl or none, got 'tls'",
        ),
        (
            '[deliver.email]\nfrom = "monitor"\n',
            "deliver.email.from: expected an address such as 'monitor@example.org', got 'monitor'",
        ),
        (
            '[deliver.email]\nenabled = true\nto = ["a@b.org"]\nusername_env = "U"\n',
            "deliver.email.password_env: expected both username_env and password_env, or neither",
        ),
        ('[deliver.webhook]\nstyle = "teams"\n', "deliver.webhook.style: expected slack or json"),
        ("[deliver.fax]\nenabled = true\n", "deliver.fax: unknown channel (expected one of: "),
    ],
)
def test_channel_tables_are_checked_naming_file_and_key(tmp_path, table, message):
    with pytest.raises(ConfigError) as error:
        config_file(tmp_path, table)
    assert str(error.value).startswith(f"{tmp_path / 'monitor.toml'}: {message}")


HOSTILE_URL = "https://evil.example/x|click here> <!channel>"


def test_slack_messages_escape_every_field_so_a_post_cannot_ping_link_or_forge_lines(
    run, tmp_path, write_jsonl, httpserver, monkeypatch
):
    """Posts whose URL tries to close Slack's link markup and ping the channel, and whose
    text carries CR/LF and a forged headline: every field arrives escaped, on its own line."""
    records = day_posts()
    for record in records:
        if record["id"].startswith("d"):
            record["url"] = HOSTILE_URL
            record["text"] += "\r\n*Sentiment report 2025-11-20: all calm* <!here>"
    run("--db", tmp_path / "m.db", "import", write_jsonl(records))
    monkeypatch.setenv("MONITOR_WEBHOOK_URL", httpserver.url_for("/hook"))
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    config = write_config(tmp_path, webhook='send = "alerts"')
    run("--config", config, "deliver", "--date", DAY.isoformat())
    (text,) = httpserver.log[0][0].get_json().values()
    assert "<!" not in text and "\r" not in text
    lines = text.split("\n")
    assert [line for line in lines if line.startswith("*")] == [lines[0]]  # one headline
    post_lines = [line for line in lines if line.startswith("    ")]
    assert post_lines and all(
        line.endswith(
            " *Sentiment report 2025-11-20: all calm* &lt;!here&gt;"
            " <https://evil.example/x%7Cclick%20here%3E%20%3C!channel%3E|link>"
        )
        for line in post_lines
    )


class HeldInbox(Inbox):
    """Holds each message's DATA until ``release`` is set; ``arrived`` is set when one
    arrives, so a test knows a send is under way."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived, self.release = threading.Event(), threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.arrived.set()
        while not self.release.is_set():
            await asyncio.sleep(0.01)
        return await super().handle_DATA(server, session, envelope)


def test_two_delivers_at_once_send_the_report_once(run, loaded, tls_ca, monkeypatch):
    """A second ``deliver`` that starts while the first is mid-send finds the report claimed
    and sends nothing; the first completes: one mail."""
    inbox = HeldInbox()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_ca.issue_cert("127.0.0.1").configure_cert(context)
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port(), tls_context=context)
    controller.start()
    try:
        config = write_config(loaded, email_port=controller.port)
        config.write_text(
            config.read_text()
            .replace('username_env = "MONITOR_SMTP_USER"\n', "")
            .replace('password_env = "MONITOR_SMTP_PASSWORD"\n', "")
        )
        first = subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", config, "deliver", "--date", str(DAY)],
            env={**os.environ, "PYTHONPATH": str(REPO)},
            cwd=loaded,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert inbox.arrived.wait(120), first.communicate()
        second = run("-v", "--config", config, "deliver", "--date", DAY.isoformat())
        assert second.stdout == "deliver email    skipped: another run is sending it now\n"
        inbox.release.set()
        assert first.wait() == 0, first.stderr.read()
    finally:
        inbox.release.set()
        controller.stop()
    assert len(inbox.messages) == 1
    with Store(loaded / "m.db") as store:
        assert store.delivery_status("email", f"report:{DAY}") == "sent"


def test_a_redirect_that_would_turn_the_post_into_a_get_is_a_failure_retried_later(
    run, loaded, httpserver, monkeypatch
):
    monkeypatch.setenv("MONITOR_WEBHOOK_URL", httpserver.url_for("/hook"))
    httpserver.expect_ordered_request("/hook", method="POST").respond_with_response(
        Response("", status=302, headers={"Location": "/elsewhere"})
    )
    for _ in range(2):
        httpserver.expect_ordered_request("/hook", method="POST").respond_with_data("ok")
    config = write_config(loaded, webhook='send = "report"')
    failed = run("--config", config, "deliver", "--date", DAY.isoformat(), ok=False)
    assert failed.exit_code == 3
    assert "redirected with HTTP 302, which turns the POST into a GET; not followed" in (
        failed.stderr
    )
    assert [r.method for r, _ in httpserver.log] == ["POST"]  # never followed
    with Store(loaded / "m.db") as store:
        assert store.delivery_status("webhook", f"report:{DAY}") == "failed"
    run("--config", config, "deliver", "--date", (DAY - timedelta(days=1)).isoformat())
    assert [r.method for r, _ in httpserver.log] == ["POST"] * 3  # that day, and the retry
    with Store(loaded / "m.db") as store:
        assert store.delivery_status("webhook", f"report:{DAY}") == "sent"


class Silent:
    """A server that reads requests and never answers; counts the requests it got."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.requests = 0
        self.held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.held.append(connection)
            connection.settimeout(30)
            with contextlib.suppress(OSError):
                if connection.recv(65536).startswith(b"POST"):
                    self.requests += 1

    def close(self) -> None:
        self.socket.close()
        for connection in self.held:
            connection.close()


def test_a_webhook_that_never_answers_gets_one_post_per_run(run, loaded, monkeypatch):
    """The endpoint takes the request and never answers: one POST, recorded failed; the
    other day waiting in that run is not tried; the next run tries once more."""
    silent = Silent()
    try:
        monkeypatch.setenv("MONITOR_WEBHOOK_URL", f"http://127.0.0.1:{silent.port}/hook")
        config = write_config(loaded, webhook='send = "report"')
        config.write_text(config.read_text() + "[collect]\nrequest_deadline = 2\n")
        earlier = (DAY - timedelta(days=1)).isoformat()
        first = run("--config", config, "deliver", "--date", earlier, ok=False)
        assert first.exit_code == 3 and silent.requests == 1
        assert "no complete answer within the 2 s deadline" in first.stderr
        second = run("--config", config, "deliver", "--date", DAY.isoformat(), ok=False)
        assert second.exit_code == 3 and silent.requests == 2  # one POST, not one per day
        with Store(loaded / "m.db") as store:
            assert sorted(store.failed_deliveries("webhook")) == [
                f"report:{earlier}",
                f"report:{DAY}",
            ]
            (row,) = store.db.execute(
                "SELECT error FROM deliveries WHERE item = ?", (f"report:{earlier}",)
            ).fetchall()
            assert row[0].startswith("not tried this run: the send before it got no answer")
    finally:
        silent.close()


def test_no_verbosity_shows_the_webhook_url_or_its_token(loaded, httpserver):
    """-vv: httpx's own request lines and every debug line, the webhook secret in none."""
    httpserver.expect_request(f"/services/{HOOK_SECRET}", method="POST").respond_with_data("ok")
    config = write_config(loaded, webhook='send = "report"')
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "-vv", "--config", config, "deliver", "--date", str(DAY)],
        env={
            **os.environ,
            "PYTHONPATH": str(REPO),
            "MONITOR_WEBHOOK_URL": httpserver.url_for(f"/services/{HOOK_SECRET}"),
        },
        cwd=loaded,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "HTTP Request: POST" in done.stderr  # httpx did log the request
    assert not [form for form in secret_forms(HOOK_SECRET) if form in done.stdout + done.stderr]


def test_an_smtp_reply_with_terminal_escapes_is_neutralised_where_shown_or_stored(
    run, loaded, smtp
):
    smtp.refuse = 1
    smtp.reply = "554 \x1b]0;owned\x07\x1b[2J mailbox full"
    config = write_config(loaded, email_port=smtp.port)
    failed = run("--config", config, "deliver", "--date", DAY.isoformat(), ok=False)
    status = run("--config", config, "status").stdout
    with Store(loaded / "m.db") as store:
        stored = json.dumps(store.runs(limit=10)) + str(
            store.db.execute("SELECT error FROM deliveries").fetchall()
        )
    for shown in (failed.stderr, status, stored):
        assert "mailbox full" in shown
        assert "\x1b" not in shown and "\x07" not in shown and "\\u001b" not in shown
