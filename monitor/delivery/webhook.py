"""Chat webhooks: the headline per tag, the alerts with their numbers and the posts behind
them, and where the full report is. ``style = "slack"`` posts ``{"text": ...}`` (Slack,
Mattermost, Rocket.Chat and Teams' incoming webhooks take it); ``style = "json"`` posts the
structured dispatch for your own automation.

The URL is a secret (whoever holds it can post to the channel): it comes only from the
environment variable the config names, and goes through the project's one HTTP layer
(deadline, size cap, retries on 5xx and 429, redaction of the URL in every message).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from monitor.delivery.base import SENDS, Channel, Dispatch
from monitor.http import env_value
from monitor.tables import check

STYLES = ("slack", "json")
POSTS_PER_ALERT = 3


@dataclass(frozen=True)
class WebhookSettings:
    enabled: bool = False
    # The environment variable holding the webhook's URL.
    url_env: str = "MONITOR_WEBHOOK_URL"
    style: str = field(default="slack", metadata=check(lambda v: v in STYLES, " or ".join(STYLES)))
    send: str = field(default="alerts", metadata=check(lambda v: v in SENDS, " or ".join(SENDS)))
    # Where a web server publishes the reports folder ("https://intranet.example.org/reports/"):
    # messages then link each report; empty: they name its path on this machine.
    report_url: str = field(
        default="",
        metadata=check(lambda v: v.startswith(("https://", "http://")), "an http(s) URL"),
    )


class WebhookChannel(Channel):
    name = "webhook"
    Settings = WebhookSettings
    config_snippet = """\
[deliver.webhook]
# Post alerts as they happen (after each collect) to a chat webhook; its URL is a secret and
# comes from the environment variable named here.
enabled = false
url_env = "MONITOR_WEBHOOK_URL"
style = "slack"                # "slack" ({"text": ...}: Slack, Mattermost, Teams) | "json"
send = "alerts"
# Where a web server publishes reports_dir, so messages link the report (else: its path here).
# report_url = "https://intranet.example.org/reports/"
"""

    @staticmethod
    def config_problem(settings: Any) -> tuple[str, str] | None:
        return None

    def missing(self) -> str | None:
        url = env_value(self.env, self.settings.url_env)
        if not url:
            return f"set {self.settings.url_env} (the webhook's URL)"
        parts = urlsplit(url)
        self.http.add_secret(url, parts.path, parts.query)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            return f"{self.settings.url_env} is not an http(s) URL"
        return None

    def send(self, dispatch: Dispatch) -> str:
        url = env_value(self.env, self.settings.url_env)
        report = _report_link(dispatch, self.settings.report_url)
        payload = (
            _json(dispatch, report)
            if self.settings.style == "json"
            else {"text": _text(dispatch, report)}
        )
        self.http.request("POST", url, json=payload, what="webhook")
        host = urlsplit(url).hostname
        return f"posted to {host} ({self.settings.style})"


def _report_link(dispatch: Dispatch, base: str) -> str | None:
    """Where the full report is: under ``report_url`` when set, else its path here."""
    if dispatch.report_page is None:
        return None
    if base:
        return f"{base.rstrip('/')}/{dispatch.day.isoformat()}/index.html"
    return str(dispatch.report_page)


def _json(dispatch: Dispatch, report: str | None) -> dict[str, Any]:
    return {
        "day": dispatch.day.isoformat(),
        "subject": dispatch.subject,
        "headlines": dispatch.headlines,
        "alerts": dispatch.alerts,
        "report": report,
    }


def _text(dispatch: Dispatch, report: str | None) -> str:
    """The message as chat shows it: headlines, each alert with its top posts, the report.
    Every field is escaped and kept to one line, so a post can neither ping the channel
    (``<!channel>``), nor link where it likes, nor forge a line of the message."""
    lines = [f"*{_plain(dispatch.subject)}*"]
    for alert in dispatch.alerts:
        lines.append(f"• {_plain(alert['text'])}")
        for post in alert["posts"][:POSTS_PER_ALERT]:
            text = _plain(post["text"])
            text = text if len(text) <= 200 else text[:199] + "…"
            link = post.get("url") or ""
            link = f" <{_link(link)}|link>" if link.startswith(("https://", "http://")) else ""
            lines.append(f"    {_plain(post['platform'])}: {text}{link}")
    if report:
        lines.append(f"Full report: {_link(report) if '://' in report else _plain(report)}")
    return "\n".join(lines)


def _plain(text: str) -> str:
    """Text on one line with Slack's control characters escaped (it reads &, < and > as
    markup)."""
    text = " ".join(str(text).split())
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(url: str) -> str:
    """A URL as a Slack link target: anything that could end the link (``|``, ``>``,
    spaces) or open markup percent-encoded, then ``&`` escaped."""
    return _plain(quote(url, safe=URL_SAFE))


URL_SAFE = "/:?#[]@!$&'()*+,;=%-._~"  # RFC 3986's reserved and unreserved characters
