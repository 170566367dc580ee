"""Collection: walk each source's pages for each tag and store every page with its cursor.

A *walk* goes from the newest post back in time, page by page, until it reaches what the
previous walk already covered (its ``newest`` marker), or the backfill horizon on a first run.
The cursor ``{"newest": ..., "walk": {...} | None}`` is written in the same transaction as
each page's posts, so an interrupted walk resumes at the next page and nothing is lost or
stored twice; ``max_pages`` bounds the requests per source and tag in one run.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.config import Config
from monitor.errors import ConfigError
from monitor.http import Http, SourceError
from monitor.pipeline import IngestResult, ingest_batch
from monitor.scoring.base import Scorer
from monitor.sources import SOURCES
from monitor.sources.base import Page, Source
from monitor.store import Cursor, Store
from monitor.wiring import active_scorer

log = logging.getLogger(__name__)

# What a server answers to a page token it no longer accepts (malformed, expired, unknown).
REFUSED_TOKEN_STATUSES = frozenset({400, 404, 410, 422})


@dataclass
class TagResult:
    """What one (source, instance, tag) walk did in this run."""

    source: str
    instance: str
    tag: str
    pages: int = 0
    new: int = 0
    duplicate: int = 0
    gained: int = 0  # posts already stored (under another tag) that this walk tagged
    rejected: int = 0
    waited: float = 0.0
    problem: str | None = None  # the walk ended early for a reason the source's run reports

    def counts(self) -> dict[str, Any]:
        return {
            "instance": self.instance,
            "tag": self.tag,
            "pages": self.pages,
            "new": self.new,
            "duplicate": self.duplicate,
            "gained": self.gained,
            "rejected": self.rejected,
            "waited": round(self.waited, 1),
        }


@dataclass
class SourceResult:
    """One source's run: ok, error, skipped (no credentials) or disabled, and its tags."""

    source: str
    status: str = "ok"
    message: str | None = None
    tags: list[TagResult] = field(default_factory=list)


def _done(page: Page, walk: dict[str, Any], horizon: datetime) -> bool:
    return (
        page.next is None
        or page.newest is None
        or (walk["stop"] is not None and page.oldest <= walk["stop"])
        or (page.oldest_time is not None and page.oldest_time < horizon)
    )


def collect_tag(
    store: Store,
    source: Source,
    instance: str,
    tag: str,
    max_pages: int,
    horizon: datetime,
    scorer: Scorer,
    dry_run: bool = False,
    stop: threading.Event | None = None,
) -> TagResult:
    """Walk one (source, instance, tag) for up to ``max_pages`` pages, storing as it goes;
    ``stop`` ends the walk between pages (each page is stored whole or not at all)."""
    result = TagResult(source.name, instance, tag)
    waited_before = source.http.waited
    state = store.cursor(source.name, instance, tag) or {"newest": None, "walk": None}
    fresh_walk = False
    tokens: set[str] = set()  # the next-page tokens this run was given: one given twice loops
    while result.pages < max_pages and not result.problem and not (stop and stop.is_set()):
        walk = state["walk"]
        if walk is None:
            if fresh_walk:  # this run already walked to the top; nothing newer is expected
                break
            page = source.fetch(instance, tag, None, state["newest"], horizon)
            walk = {"token": page.next, "stop": state["newest"], "top": page.newest}
            fresh_walk = True
        else:
            try:
                page = source.fetch(instance, tag, walk["token"], walk["stop"], horizon)
            except SourceError as exc:
                if exc.status not in REFUSED_TOKEN_STATUSES:
                    raise
                # A saved page token can expire (X's last 7 days move on). The walk starts
                # again from the newest post: the marker it walks down to has not moved, so
                # nothing it had still to fetch is skipped.
                log.warning(
                    "%s %s #%s: the saved page token was refused (HTTP %s); walking again "
                    "from the newest post",
                    source.name,
                    instance,
                    tag,
                    exc.status,
                )
                state = {"newest": state["newest"], "walk": None}
                if not dry_run:  # forget the token even if the new walk finds nothing
                    store.write_batch([], [], [Cursor(source.name, instance, tag, state)])
                continue
            walk = {**walk, "token": page.next}
        result.pages += 1
        if walk["top"] is None:  # an empty first page: nothing new, and no cursor to move
            break
        token = json.dumps(page.next, sort_keys=True) if page.next is not None else None
        if token in tokens:
            result.problem = (
                f"{instance} #{tag}: the server gave the same next-page token twice (its pages "
                f"loop); the walk ended after page {result.pages}"
            )
        tokens.add(token)
        if _done(page, walk, horizon) or result.problem:
            state = {"newest": walk["top"], "walk": None}
        else:
            state = {"newest": state["newest"], "walk": walk}
        result.rejected += len(page.rejected)
        for rejection in page.rejected:
            log.warning("%s: rejected %s: %s", source.name, rejection.where, rejection.reason)
        if dry_run:
            known = store.existing_ids(p.key for p in page.posts)
            result.new += len({p.key for p in page.posts} - set(known))
            result.duplicate += len(page.posts) - len({p.key for p in page.posts} - set(known))
        else:
            cursor = Cursor(source.name, instance, tag, state)
            stored: IngestResult = ingest_batch(store, page.posts, scorer, [cursor])
            result.new += stored.new
            result.duplicate += stored.duplicate
            result.gained += stored.gained[tag]
        log.info(
            "%s %s #%s: page %d, %d posts",
            source.name,
            instance,
            tag,
            result.pages,
            len(page.posts),
        )
    result.waited = source.http.waited - waited_before
    return result


def collect(
    store: Store,
    config: Config,
    sources: Sequence[str] | None = None,
    tags: Sequence[str] | None = None,
    max_pages: int | None = None,
    dry_run: bool = False,
    env: Mapping[str, str] | None = None,
    http: Http | None = None,
    stop: threading.Event | None = None,
) -> list[SourceResult]:
    """Collect new posts for every tag from every enabled source; one source failing never
    stops the others. Each source's run is recorded in the runs table. Setting ``stop`` ends
    the run after the page in flight (and cuts short any rate-limit wait)."""
    env = os.environ if env is None else env
    names = list(sources) if sources else sorted(SOURCES)
    unknown = [n for n in names if n not in SOURCES]
    if unknown:
        raise ConfigError(
            f"--source: unknown source {unknown[0]!r} "
            f"(expected one of: {', '.join(sorted(SOURCES))})"
        )
    tags = list(tags) if tags else list(config.tags)
    max_pages = max_pages or config.collect.max_pages
    horizon = datetime.now(UTC) - timedelta(days=config.collect.backfill_days)
    scorer = active_scorer(config)
    own_http = http is None
    http = http or Http(
        stop=stop,
        deadline=config.collect.request_deadline,
        max_bytes=int(config.collect.max_response_mb * 2**20),
    )
    results = []
    try:
        for name in names:
            settings = config.sources[name]
            result = SourceResult(name)
            results.append(result)
            if not settings.enabled:
                result.status = "disabled"
                continue
            source = SOURCES[name](settings, http, env)
            missing = source.missing_credentials()
            if missing:
                result.status, result.message = "skipped", missing
                log.info("%s: skipped: %s", name, missing)
                if not dry_run:
                    run_id = store.start_run("collect", name)
                    store.finish_run(run_id, "skipped", {}, missing)
                continue
            run_id = None if dry_run else store.start_run("collect", name)
            try:
                for instance in source.instances():
                    for tag in tags:
                        if stop and stop.is_set():
                            break
                        result.tags.append(
                            collect_tag(
                                store,
                                source,
                                instance,
                                tag,
                                max_pages,
                                horizon,
                                scorer,
                                dry_run,
                                stop,
                            )
                        )
            except SourceError as exc:
                result.status, result.message = "error", http.redact(str(exc))
                log.warning("%s: %s", name, result.message)
            except Exception as exc:  # a fault nobody foresaw is this source's error, not all's
                result.status = "error"
                result.message = http.redact(f"unexpected {type(exc).__name__}: {exc}")[:500]
                log.warning("%s: %s", name, result.message)
                log.debug("%s: %s", name, http.redact(traceback.format_exc()))
            problems = [t.problem for t in result.tags if t.problem]
            if problems and result.status == "ok":
                result.status, result.message = "error", "; ".join(problems)
            if stop and stop.is_set() and result.status == "ok":
                result.status = "interrupted"
                result.message = "stopped by a signal after a whole page; the next run resumes"
            if run_id is not None:
                store.finish_run(
                    run_id,
                    result.status,
                    {"tags": [t.counts() for t in result.tags]},
                    result.message,
                )
    finally:
        if own_http:
            http.close()
    return results


PARTIAL_FAILURE = 3


def exit_status(results: Sequence[SourceResult]) -> int:
    """0 when no source failed; 3 when some failed and some ran; 1 when all that ran failed."""
    failed = sum(r.status == "error" for r in results)
    ran = sum(r.status in ("ok", "error") for r in results)
    if not failed:
        return 0
    return 1 if failed == ran else PARTIAL_FAILURE
