"""Email: the report itself as the message. An HTML part that is the report page (its charts
attached inline and referenced by ``cid:``, so nothing loads from anywhere), a plain-text part
(the Markdown report), and the CSVs attached; a subject carrying each tag's headline. Alerts as
they happen are a short message of the same shape.

SMTP over STARTTLS (port 587), implicit TLS (465) or plain (a relay on localhost); the server's
certificate is checked against the system's trust store. Login only when the config names the
variables holding the user and password.
"""

from __future__ import annotations

import html
import re
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from monitor.delivery.base import SENDS, Channel, DeliveryError, Dispatch
from monitor.http import NoAnswer, env_value
from monitor.tables import check

SECURITY = ("starttls", "ssl", "none")
_ALL_REPORTS = re.compile(r'\s*·?\s*<a href="\.\./index\.html">[^<]*</a>')
_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")


@dataclass(frozen=True)
class EmailSettings:
    enabled: bool = False
    host: str = "localhost"
    port: int = field(default=587, metadata=check(lambda v: 1 <= v <= 65535, "a port, 1 to 65535"))
    security: str = field(
        default="starttls", metadata=check(lambda v: v in SECURITY, " or ".join(SECURITY))
    )
    from_: str = field(
        default="monitor@localhost",
        metadata=check(_ADDRESS.match, "an address such as 'monitor@example.org'"),
    )
    to: tuple[str, ...] = field(
        default=(),
        metadata=check(
            lambda v: all(_ADDRESS.match(a) for a in v), "a list of addresses ['desk@example.org']"
        ),
    )
    # Names of the environment variables holding the SMTP login; empty: no login.
    username_env: str = ""
    password_env: str = ""
    send: str = field(default="report", metadata=check(lambda v: v in SENDS, " or ".join(SENDS)))
    timeout: float = field(default=60.0, metadata=check(lambda v: 1 <= v <= 600, "1 to 600 s"))


class EmailChannel(Channel):
    name = "email"
    Settings = EmailSettings
    config_snippet = """\
[deliver.email]
# Send each daily report by email (the HTML report with its charts inline, the Markdown as
# text, the CSVs attached). The SMTP login comes from the environment variables named here.
enabled = false
host = "smtp.example.org"
port = 587
security = "starttls"          # "starttls" | "ssl" (port 465) | "none" (a local relay)
from = "monitor@example.org"
to = ["desk@example.org"]
# username_env = "MONITOR_SMTP_USER"
# password_env = "MONITOR_SMTP_PASSWORD"
send = "report"                # "report": every daily report; "alerts": only alerts
"""

    @staticmethod
    def config_problem(settings: Any) -> tuple[str, str] | None:
        if not settings.to:
            return "to", "at least one address, such as ['desk@example.org']"
        if bool(settings.username_env) != bool(settings.password_env):
            return "password_env", "both username_env and password_env, or neither"
        return None

    def missing(self) -> str | None:
        names = [n for n in (self.settings.username_env, self.settings.password_env) if n]
        absent = [n for n in names if not env_value(self.env, n)]
        if absent:
            return f"set {' and '.join(absent)} (the SMTP login for {self.settings.host})"
        self.http.add_secret(*(env_value(self.env, n) for n in names))
        return None

    def send(self, dispatch: Dispatch) -> str:
        message = self.message(dispatch)
        s = self.settings
        where = f"{s.host}:{s.port}"
        try:
            with self._connect() as smtp:
                if s.username_env:
                    smtp.login(
                        env_value(self.env, s.username_env), env_value(self.env, s.password_env)
                    )
                refused = smtp.send_message(message)
        except smtplib.SMTPResponseException as exc:
            reply = (
                exc.smtp_error.decode("utf-8", "replace")
                if isinstance(exc.smtp_error, bytes)
                else str(exc.smtp_error)
            )
            raise DeliveryError(f"{where}: the server said {exc.smtp_code} {reply}") from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(
                f"{where}: every recipient was refused ({', '.join(exc.recipients)})"
            ) from None
        except TimeoutError:  # the rest of this run's sends wait for the next run
            raise NoAnswer(f"{where}: no answer within {s.timeout:g} s") from None
        except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
            raise DeliveryError(f"{where}: {type(exc).__name__}: {exc}") from None
        if refused:
            raise DeliveryError(f"{where}: refused {', '.join(refused)}; sent to the others")
        return f"sent to {', '.join(s.to)} through {where}"

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        if s.security == "ssl":
            return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
        smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        if s.security == "starttls":
            try:
                smtp.starttls(context=context)
            except BaseException:
                smtp.close()
                raise
        return smtp

    def message(self, dispatch: Dispatch) -> EmailMessage:
        """The email for ``dispatch``: the whole report for a report channel, else its alerts."""
        message = EmailMessage()
        message["Subject"] = dispatch.subject
        message["From"] = self.settings.from_
        message["To"] = ", ".join(self.settings.to)
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self.settings.from_.split("@")[-1])
        folder = dispatch.folder
        if folder is not None and self.settings.send == "report":
            _report_body(message, folder)
        else:
            text, page = _alerts_body(dispatch)
            message.set_content(text)
            message.add_alternative(page, subtype="html")
        return message


def _report_body(message: EmailMessage, folder: Path) -> None:
    """Text part: the Markdown report. HTML part: the report page, its images inline (by
    Content-ID) and links to the folder's other files pointing at the attachments' names."""
    page = (folder / "index.html").read_text(encoding="utf-8")
    images = sorted(p.name for p in folder.glob("*.png"))
    ids = {
        name: make_msgid(idstring=name.removesuffix(".png"), domain="monitor") for name in images
    }
    for name, content_id in ids.items():
        page = page.replace(f'src="{name}"', f'src="cid:{content_id[1:-1]}"')
    page = _ALL_REPORTS.sub("", page)  # the folder of every report is not in the mail
    message.set_content((folder / "report.md").read_text(encoding="utf-8"))
    message.add_alternative(page, subtype="html")
    html_part = message.get_payload()[1]
    for name, content_id in ids.items():
        html_part.add_related(
            (folder / name).read_bytes(), "image", "png", cid=content_id, filename=name
        )
    for csv in sorted(folder.glob("*.csv")):
        message.add_attachment(csv.read_bytes(), "text", "csv", filename=csv.name)


def _alerts_body(dispatch: Dispatch) -> tuple[str, str]:
    """Alerts as plain text and as a small HTML page: each alert's sentence and its posts."""
    lines, items = [dispatch.subject, ""], []
    for alert in dispatch.alerts:
        lines.append(f"- {alert['text']}")
        posts = []
        for post in alert["posts"]:
            lines.append(f"    {post['platform']} {post.get('author') or ''}: {post['text']}")
            link = post.get("url") or ""
            if link.startswith(("https://", "http://")):
                lines.append(f"    {link}")
                posts.append(
                    f"<li>{html.escape(post['platform'])}: {html.escape(post['text'])} "
                    f'<a href="{html.escape(link)}">link</a></li>'
                )
            else:
                posts.append(
                    f"<li>{html.escape(post['platform'])}: {html.escape(post['text'])}</li>"
                )
        items.append(f"<li>{html.escape(alert['text'])}<ul>{''.join(posts)}</ul></li>")
    if dispatch.report_page:
        lines += ["", f"The full report: {dispatch.report_page}"]
    page = (
        '<!doctype html><html><head><meta charset="utf-8"></head><body>'
        f"<h1>{html.escape(dispatch.subject)}</h1><ul>{''.join(items)}</ul></body></html>"
    )
    return "\n".join(lines) + "\n", page
