"""The one HTTP layer every source uses: timeouts, a total deadline and a size cap per request,
a descriptive User-Agent, retries with capped exponential backoff and jitter, rate-limit headers
honoured before they hit zero, redirects that never carry credentials to another server, and
secrets kept out of every message in every encoding. Only ``monitor.sources`` speaks HTTP."""

from __future__ import annotations

import base64
import contextvars
import json as jsonlib
import logging
import random
import threading
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, quote_plus

import httpcore
import httpx

from monitor import __version__
from monitor.errors import MonitorError

log = logging.getLogger(__name__)

USER_AGENT = f"sentiment-monitor/{__version__} (hashtag sentiment research; +https://example.org)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
DEFAULT_DEADLINE = 60.0  # seconds for one request, headers to last byte
DEFAULT_MAX_BYTES = 8 * 2**20  # an API page is kilobytes; a body past this is not one

# When the request in flight on this thread must be over (time.monotonic()); None: no deadline.
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("deadline", default=None)


class SourceError(MonitorError):
    """A source failed for this run (retries exhausted, auth refused, bad payload).
    ``status`` and ``detail`` carry the HTTP status and a redacted error body, if any."""

    def __init__(self, message: str, status: int | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


class AuthError(SourceError):
    """The server refused our credentials (401/403)."""


class NoAnswer(SourceError):
    """No complete answer (a timeout, a dropped connection, the deadline): a request that
    may have reached the server is not sent again in this run."""


# Methods a server may get twice without harm: only these are sent again after a request that
# may have arrived got no answer (a webhook POST would post its message twice).
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
# Every secret any Http was given: log records (the libraries' own too: httpx logs each
# request's URL) are redacted of them all by RedactSecrets.
_KNOWN_SECRETS: set[str] = set()


def redact(text: str, secrets: set[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "[redacted]")
    return text


class RedactSecrets(logging.Filter):
    """A handler filter that takes every known secret out of every record it passes, message
    and traceback, whichever library logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not _KNOWN_SECRETS:
            return True
        message = record.getMessage()
        clean = redact(message, _KNOWN_SECRETS)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, _KNOWN_SECRETS)
        return True


@dataclass(frozen=True)
class RateLimit:
    """What a response says of the rate limit: calls left and when the window resets."""

    remaining: float
    reset_at: datetime


@dataclass
class Retry:
    """Retry policy: attempts, backoff and the longest wait we accept before giving up."""

    attempts: int = 5
    backoff: float = 1.0
    max_backoff: float = 60.0
    max_wait: float = 900.0  # a rate-limit wait longer than this ends the source's run
    low_water: float = 1  # slow down (wait for the reset) when this few calls remain


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write waits at most until the request's deadline, so a
    server trickling a byte a second (which resets an ordinary read timeout) is cut off."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self.inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, _clip(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, _clip(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        timeout = _clip(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self.inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


class _DeadlineBackend(httpcore.SyncBackend):
    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        timeout = _clip(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            super().connect_tcp(host, port, timeout, local_address, socket_options)
        )


def _clip(timeout: float | None, expired: type[Exception]) -> float | None:
    """The smaller of ``timeout`` and the time left before the deadline."""
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise expired("the request's deadline has passed")
    return left if timeout is None else min(timeout, left)


def _inflater(what: str, encoding: str) -> Any:
    """A zlib decompressor for the body's Content-Encoding; None for an uncompressed body."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip", "deflate"):
        return zlib.decompressobj(zlib.MAX_WBITS | 32)  # 32: a gzip or a zlib header
    raise SourceError(f"{what}: the answer is compressed as {encoding!r}, which was not asked for")


def secret_forms(secret: str) -> set[str]:
    """The ways a secret travels in a request (raw, URL-encoded, JSON-escaped, base64): a server
    that echoes the request must not get any of them into a message."""
    forms = {secret, quote(secret, safe=""), quote_plus(secret), jsonlib.dumps(secret)[1:-1]}
    forms.add(base64.b64encode(secret.encode()).decode().rstrip("="))
    return forms


class Http:
    """A shared httpx client with retries, rate-limit pacing and secret redaction."""

    def __init__(
        self,
        retry: Retry | None = None,
        timeout: float = 30.0,
        user_agent: str = USER_AGENT,
        stop: threading.Event | None = None,
        deadline: float = DEFAULT_DEADLINE,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.retry = retry or Retry()
        self.deadline, self.max_bytes = deadline, max_bytes
        transport = httpx.HTTPTransport()
        # httpx offers no total deadline; its connection pool's network layer is where one fits.
        transport._pool._network_backend = _DeadlineBackend()
        self.client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=10.0),
            headers={
                "User-Agent": user_agent,
                "Accept": "application/json",
                "Accept-Encoding": "gzip, deflate",  # what _read_capped decompresses
            },
            follow_redirects=True,
            event_hooks={"response": [self._refuse_unsafe_redirect]},
        )
        # Waits end early when ``stop`` is set, so a signal never waits out a rate limit.
        self.sleep: Callable[[float], object] = stop.wait if stop else time.sleep
        self.secrets: set[str] = set()
        self.waited = 0.0  # seconds spent waiting, for the run's summary
        self.requests = 0

    def close(self) -> None:
        self.client.close()

    def add_secret(self, *values: str | None) -> None:
        """Values that must never appear in a log line or an error message, in any form."""
        for value in values:
            if value and len(value) >= 4:
                self.secrets.update(secret_forms(value))
                _KNOWN_SECRETS.update(secret_forms(value))

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)

    def _refuse_unsafe_redirect(self, response: httpx.Response) -> None:
        """Follow a redirect only where it cannot leak nor lose the request: never from https
        to http, never to another server for a request that carries credentials (httpx keeps
        the body of a redirected POST, such as a login's password), and never one that turns
        a POST into a GET (301-303: the body is dropped, and the GET's answer would pass for
        the POST's)."""
        if not response.has_redirect_location:
            return
        source = response.request.url
        target = source.join(response.headers["Location"])
        method = response.request.method
        if source.scheme == "https" and target.scheme != "https":
            problem = "from https to http"
        elif (target.scheme, target.host, target.port) != (
            source.scheme,
            source.host,
            source.port,
        ) and (method not in ("GET", "HEAD") or "authorization" in response.request.headers):
            problem = f"to another server ({target.host}) with credentials"
        elif method not in ("GET", "HEAD") and response.status_code in (301, 302, 303):
            problem = f"with HTTP {response.status_code}, which turns the {method} into a GET"
        else:
            return
        raise SourceError(
            f"{source.copy_with(query=None)}: redirected {problem}; not followed",
            response.status_code,
        )

    def _wait(self, seconds: float, why: str) -> None:
        seconds = max(0.0, seconds)
        if seconds > self.retry.max_wait:
            until = datetime.now(UTC) + timedelta(seconds=min(seconds, 1e10))
            raise SourceError(
                f"{why}: the server asks to wait {seconds:.0f} s (until "
                f"{until:%Y-%m-%d %H:%M} UTC), more than the {self.retry.max_wait:.0f} s "
                "allowed; giving up"
            )
        if seconds >= 1:
            log.info("%s: waiting %.1f s", why, seconds)
        self.sleep(seconds)
        self.waited += seconds

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        json: Any = None,
        auth: tuple[str, str] | None = None,
        rate_limit: Callable[[httpx.Headers], RateLimit | None] | None = None,
        what: str = "",
    ) -> httpx.Response:
        """One call with retries. 2xx: the response. 401/403: AuthError. Other 4xx:
        SourceError. 429, 5xx, timeouts and dropped connections: retried with backoff (or the
        server's Retry-After / reset time), then SourceError (NoAnswer when none came). A
        request that is not IDEMPOTENT is sent again only when it surely did not arrive (no
        connection); after a timeout it is NoAnswer at once. What retrying cannot cure (the
        deadline passed, a body over the size cap, a redirect loop, a body that does not
        decode) is a SourceError at once."""
        what = what or f"{method} {httpx.URL(url).copy_with(query=None)}"
        if auth:  # the Basic header's base64 of "id:secret" is a secret of its own
            self.add_secret(f"{auth[0]}:{auth[1]}")
        for attempt in range(1, self.retry.attempts + 1):
            last = attempt == self.retry.attempts
            try:
                self.requests += 1
                response = self._send(
                    what,
                    self.client.build_request(
                        method, url, params=params, headers=headers, data=data, json=json
                    ),
                    auth,
                )
            except httpx.TransportError as exc:
                problem = f"{what}: {type(exc).__name__}: {self.redact(str(exc)) or 'no answer'}"
                if last:
                    raise NoAnswer(f"{problem} (gave up after {attempt} attempts)") from None
                unsent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                if method not in IDEMPOTENT and not unsent:
                    raise NoAnswer(
                        f"{problem} (a {method} that may have arrived is not sent again this run)"
                    ) from None
                self._wait(self._backoff(attempt), f"{problem}; retry {attempt}")
                continue
            limit = rate_limit(response.headers) if rate_limit else None
            if response.status_code in RETRY_STATUSES:
                problem = f"{what}: HTTP {response.status_code}"
                if last:
                    raise SourceError(f"{problem} (gave up after {attempt} attempts)")
                self._wait(
                    self._retry_after(response, limit, attempt), f"{problem}; retry {attempt}"
                )
                continue
            if response.is_error:
                detail = self._detail(response)
                error = AuthError if response.status_code in (401, 403) else SourceError
                raise error(
                    f"{what}: HTTP {response.status_code} {detail}", response.status_code, detail
                )
            if limit is not None and limit.remaining <= self.retry.low_water:
                until = (limit.reset_at - datetime.now(UTC)).total_seconds()
                self._wait(
                    until,
                    f"{what}: {limit.remaining:g} calls left before the rate "
                    f"limit resets at {limit.reset_at:%Y-%m-%d %H:%M:%S} UTC",
                )
            return response
        raise AssertionError("unreachable")

    def _send(
        self, what: str, request: httpx.Request, auth: tuple[str, str] | None
    ) -> httpx.Response:
        """Send and read the body within the deadline and the size cap."""
        token = _deadline.set(time.monotonic() + self.deadline)
        try:
            response = self.client.send(request, auth=auth, stream=True)
            try:
                body = self._read_capped(what, response)
            finally:
                response.close()
        except httpx.TransportError:
            if _deadline.get() <= time.monotonic():
                raise NoAnswer(
                    f"{what}: no complete answer within the {self.deadline:g} s deadline"
                ) from None
            raise
        except httpx.HTTPError as exc:  # redirect loops, bodies that do not decode: not retried
            raise SourceError(f"{what}: {type(exc).__name__}: {self.redact(str(exc))}") from None
        finally:
            _deadline.reset(token)
        headers = response.headers.copy()
        headers.pop("content-encoding", None)  # the body below is decoded already
        return httpx.Response(
            response.status_code, headers=headers, content=body, request=response.request
        )

    def _read_capped(self, what: str, response: httpx.Response) -> bytes:
        """The body, decompressed here (not by httpx) so that no step inflates more than the
        cap: a gzip bomb stops at ``max_bytes`` plus one, whatever its ratio."""
        declared = response.headers.get("content-length", "")
        chunks, size = [], int(declared) if declared.isdigit() else 0
        inflater = _inflater(what, response.headers.get("content-encoding", ""))
        if size <= self.max_bytes or inflater is not None:
            size = 0
            for raw in response.iter_raw():
                pending = raw
                while pending and size <= self.max_bytes:
                    if inflater is None:
                        data, pending = pending, b""
                    else:
                        try:
                            data = inflater.decompress(pending, self.max_bytes + 1 - size)
                        except zlib.error as exc:
                            raise SourceError(f"{what}: the body does not decode ({exc})") from None
                        pending = inflater.unconsumed_tail
                    size += len(data)
                    chunks.append(data)
                if size > self.max_bytes:
                    break
        if size > self.max_bytes:
            raise SourceError(
                f"{what}: the answer is larger than {self.max_bytes / 2**20:g} MB; not read"
            )
        return b"".join(chunks)

    def get_json(self, url: str, **kwargs: Any) -> tuple[Any, httpx.Headers]:
        response = self.request("GET", url, **kwargs)
        return self.decode(response, kwargs.get("what") or url), response.headers

    def get_json_renewing(
        self,
        url: str,
        authorization: Callable[[], dict[str, str]],
        renew: Callable[[], None],
        expired: Callable[[SourceError], bool] = lambda exc: isinstance(exc, AuthError),
        **kwargs: Any,
    ) -> Any:
        """GET JSON with credentials that expire (OAuth tokens, sessions): ``authorization``
        gives the headers for each try; a refusal that ``expired`` recognises renews them once
        (``renew``) and tries again; a second refusal is the source's error."""
        for attempt in (1, 2):
            try:
                return self.get_json(url, headers=authorization(), **kwargs)[0]
            except SourceError as exc:
                if attempt == 2 or not expired(exc):
                    raise
                renew()
        raise AssertionError("unreachable")

    def decode(self, response: httpx.Response, what: str) -> Any:
        try:
            return response.json()
        except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
            raise SourceError(
                f"{self.redact(what)}: the response is not JSON ({len(response.content)} bytes)"
            ) from None

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.retry.max_backoff, self.retry.backoff * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)  # jitter spreads retries from many clients

    def _retry_after(
        self, response: httpx.Response, limit: RateLimit | None, attempt: int
    ) -> float:
        header = response.headers.get("Retry-After")
        if header:
            try:
                return float(header)
            except ValueError:
                try:
                    return (parsedate_to_datetime(header) - datetime.now(UTC)).total_seconds()
                except (TypeError, ValueError):
                    pass
        if response.status_code == 429 and limit is not None:
            return (limit.reset_at - datetime.now(UTC)).total_seconds()
        return self._backoff(attempt)

    def _detail(self, response: httpx.Response) -> str:
        """A short, redacted reason from an error body (never the request's headers)."""
        # Redacted before it is cut: a secret straddling the cut must not leave its first half.
        return self.redact(response.text[:10_000])[:300].replace("\n", " ")


def epoch_reset(headers: httpx.Headers, remaining: str, reset: str) -> RateLimit | None:
    """Rate limit whose reset is Unix epoch seconds (Bluesky, X)."""
    try:
        return RateLimit(
            float(headers[remaining]), datetime.fromtimestamp(float(headers[reset]), UTC)
        )
    except (KeyError, ValueError, OverflowError, OSError):  # absent, or no moment in time
        return None


def env_value(env: Mapping[str, str], name: str) -> str | None:
    """A secret from the environment variable ``name`` (blank counts as unset)."""
    value = env.get(name, "").strip()
    return value or None
