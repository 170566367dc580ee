"""The one HTTP layer every source uses: timeouts, a descriptive User-Agent, retries with capped
exponential backoff and jitter, rate-limit headers honoured before they hit zero, and secrets
kept out of every message. Only ``monitor.sources`` speaks HTTP."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from monitor import __version__
from monitor.errors import MonitorError

log = logging.getLogger(__name__)

USER_AGENT = f"sentiment-monitor/{__version__} (hashtag sentiment research; +https://example.org)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class SourceError(MonitorError):
    """A source failed for this run (retries exhausted, auth refused, bad payload).
    ``status`` and ``detail`` carry the HTTP status and a redacted error body, if any."""

    def __init__(self, message: str, status: int | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


class AuthError(SourceError):
    """The server refused our credentials (401/403)."""


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


class Http:
    """A shared httpx client with retries, rate-limit pacing and secret redaction."""

    def __init__(
        self,
        retry: Retry | None = None,
        timeout: float = 30.0,
        user_agent: str = USER_AGENT,
        stop: threading.Event | None = None,
    ) -> None:
        self.retry = retry or Retry()
        self.client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=10.0),
            headers={"User-Agent": user_agent, "Accept": "application/json"},
            follow_redirects=True,
        )
        # Waits end early when ``stop`` is set, so a signal never waits out a rate limit.
        self.sleep: Callable[[float], object] = stop.wait if stop else time.sleep
        self.secrets: set[str] = set()
        self.waited = 0.0  # seconds spent waiting, for the run's summary
        self.requests = 0

    def close(self) -> None:
        self.client.close()

    def add_secret(self, *values: str | None) -> None:
        """Values that must never appear in a log line or an error message."""
        self.secrets.update(v for v in values if v and len(v) >= 4)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def _wait(self, seconds: float, why: str) -> None:
        seconds = max(0.0, seconds)
        if seconds > self.retry.max_wait:
            raise SourceError(
                f"{why}: the server asks to wait {seconds:.0f} s, "
                f"more than the {self.retry.max_wait:.0f} s allowed; giving up"
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
        server's Retry-After / reset time), then SourceError."""
        what = what or f"{method} {httpx.URL(url).copy_with(query=None)}"
        for attempt in range(1, self.retry.attempts + 1):
            last = attempt == self.retry.attempts
            try:
                self.requests += 1
                response = self.client.request(
                    method, url, params=params, headers=headers, data=data, json=json, auth=auth
                )
            except httpx.TransportError as exc:
                problem = f"{what}: {type(exc).__name__}: {self.redact(str(exc)) or 'no answer'}"
                if last:
                    raise SourceError(f"{problem} (gave up after {attempt} attempts)") from None
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
                    f"limit resets at {limit.reset_at:%H:%M:%S} UTC",
                )
            return response
        raise AssertionError("unreachable")

    def get_json(self, url: str, **kwargs: Any) -> tuple[Any, httpx.Headers]:
        response = self.request("GET", url, **kwargs)
        return self.decode(response, kwargs.get("what") or url), response.headers

    def decode(self, response: httpx.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
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
        text = response.text[:300].replace("\n", " ")
        return self.redact(text)


def epoch_reset(headers: httpx.Headers, remaining: str, reset: str) -> RateLimit | None:
    """Rate limit whose reset is Unix epoch seconds (Bluesky, X)."""
    try:
        return RateLimit(
            float(headers[remaining]), datetime.fromtimestamp(float(headers[reset]), UTC)
        )
    except (KeyError, ValueError):
        return None
