"""Batches of Posts → normalise → score → store, used by import and collect alike.

Work is done in bounded batches, each stored in one transaction, so memory does not grow with
the input and an interrupted run leaves whole batches only.
"""

from __future__ import annotations

import gc
import logging
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.errors import MonitorError
from monitor.formats import read_posts
from monitor.formats.base import Delete, ImportOptions, Note, Skip
from monitor.models import Post, PrescoredPost, Rejection, Score, ScoredPost
from monitor.pool import Pending, ScoringPool, spare_cores
from monitor.scoring.base import Scorer
from monitor.text import fold_tag, hashtags, text_key

if TYPE_CHECKING:  # the store (sqlite-utils, which loads pandas) is imported by its opener
    from monitor.store import Cursor, Store

log = logging.getLogger(__name__)

# Larger batches write faster (each index page is written once per commit), and memory
# stays a few tens of MB; a crash costs the batches in flight, which the next run redoes. With
# the 64 MB page cache (store.py), 10,000 rather than 5,000 took about 1.5 s less of the import
# process's CPU per 100,000 posts, into an empty database and into one of 1,000,000.
BATCH_SIZE = 10_000
# Batches being scored while this process stores the one before them. With one, the scoring
# worker waited for the next batch about 1.3 s of a 100,000-post import (while this process
# stored the last one and read the next); with two, 0.3 s.
BATCHES_IN_FLIGHT = 2
PROGRESS_EVERY = 5000  # items between progress reports
# Input files larger than this start the scoring workers before the first batch is read: about
# 10,000 of the monitor's own records, or 1,000 tweets of a twarc2 export.
LARGE_INPUT_BYTES = 4 << 20
# Python's cycle collector runs every 700 new objects by default; an import makes millions, in
# batches that live until stored and hold no cycles (reference counting frees them).
BULK_GC_THRESHOLD = 100_000
# Rejections kept for the report back to the user; the count is always exact.
MAX_REJECTIONS_KEPT = 1000


@dataclass
class IngestResult:
    new: int = 0
    duplicate: int = 0
    rejected: int = 0
    scored: int = 0  # texts the scorer actually ran on (repeats reuse a stored score)
    gained: Counter[str] = field(default_factory=Counter)  # tag → known posts that gained it
    skipped: Counter[str] = field(default_factory=Counter)  # reason → items left out on purpose
    read: int = 0  # input items seen so far (posts, skips, rejections), for progress
    deleted: int = 0  # stored posts removed because their authors deleted them
    notes: list[str] = field(default_factory=list)  # what to tell the user about the files
    to_delete: list[tuple[str, str]] = field(default_factory=list, repr=False)
    rejections: list[Rejection] = field(default_factory=list)
    # The first and last time among the posts read (of the file in hand, for an import):
    # what an archive covers, for the charts.
    covers: list[int] = field(default_factory=list)

    def reject(self, rejection: Rejection) -> None:
        log.info("rejected %s: %s", rejection.where, rejection.reason)
        self.rejected += 1
        if len(self.rejections) < MAX_REJECTIONS_KEPT:
            self.rejections.append(rejection)

    def add(self, other: IngestResult) -> None:
        self.new += other.new
        self.duplicate += other.duplicate
        self.scored += other.scored
        self.gained.update(other.gained)
        self.skipped.update(other.skipped)
        self.read += other.read
        self.rejected += other.rejected
        room = MAX_REJECTIONS_KEPT - len(self.rejections)
        self.rejections.extend(other.rejections[:room])

    def counts(self) -> dict[str, Any]:
        return {
            "new": self.new,
            "duplicate": self.duplicate,
            "rejected": self.rejected,
            "scored": self.scored,
            "skipped": dict(self.skipped),
            "deleted": self.deleted,
        }


def normalise(post: Post) -> Post:
    """Tags folded and completed with the hashtags written in the text."""
    tags = tuple(dict.fromkeys([*(fold_tag(t) for t in post.tags), *hashtags(post.text)]))
    return post if tags == post.tags else replace(post, tags=tags)


@dataclass
class _Prepared:
    """A batch between its database look-ups and its write: what is new, what must be scored."""

    posts: int
    merged: dict[tuple[str, str], Post]
    fresh: list[Post]
    seen: list[tuple[int, Post]]
    keys: list[str]
    scores: dict[str, Score]
    to_score: dict[str, str]  # text key → text, for the scorer
    waiting: set[str]  # keys a batch before this one is still scoring


def merge(posts: Iterable[Post]) -> dict[tuple[str, str], Post]:
    """A batch's posts normalised, by key: the same post twice is one, with all its tags."""
    merged: dict[tuple[str, str], Post] = {}
    for post in map(normalise, posts):
        earlier = merged.get(post.key)
        if earlier is not None:
            post = replace(post, tags=tuple(dict.fromkeys(earlier.tags + post.tags)))
        merged[post.key] = post
    return merged


def _prepare(
    store: Store,
    posts: Sequence[Post],
    version: str,
    in_flight: set[str] = frozenset(),
) -> _Prepared:
    merged = merge(posts)
    existing = store.existing_ids(merged)
    fresh = [p for k, p in merged.items() if k not in existing]
    seen = [(existing[k], p) for k, p in merged.items() if k in existing]
    keys = [text_key(p.text) for p in fresh]
    scores = {  # scores read back with the posts (a backfill's), when the scorer is the same
        k: p.score
        for k, p in zip(keys, fresh, strict=True)
        if isinstance(p, PrescoredPost) and p.version == version and p.score is not None
    }
    scores |= store.known_scores(set(keys) - in_flight - set(scores), version)
    waiting = {k for k in keys if k in in_flight and k not in scores}
    to_score = {
        k: p.text for k, p in zip(keys, fresh, strict=True) if k not in scores and k not in waiting
    }
    return _Prepared(len(posts), merged, fresh, seen, keys, scores, to_score, waiting)


def _commit(
    store: Store,
    batch: _Prepared,
    scored: list[Score],
    cursors: Sequence[Cursor],
    version: str,
) -> IngestResult:
    new_scores = dict(zip(batch.to_score, scored, strict=True))
    batch.scores.update(new_scores)
    # Texts an earlier batch in flight was scoring: stored by now (batches are stored in order).
    batch.scores.update(store.known_scores(batch.waiting, version))
    new = [ScoredPost(p, k, batch.scores[k]) for k, p in zip(batch.keys, batch.fresh, strict=True)]
    inserted, present, gained = store.write_batch(
        new, batch.seen, cursors, scorer_version=version, new_scores=new_scores.items()
    )
    return IngestResult(
        new=inserted,
        duplicate=present + batch.posts - len(batch.merged),
        scored=len(new_scores),
        gained=gained,
    )


def ingest_batch(
    store: Store,
    posts: Sequence[Post],
    scorer: Scorer,
    cursors: Sequence[Cursor] = (),
) -> IngestResult:
    """Store one batch of posts and the cursors that cover them, in one transaction.

    Posts already stored gain any new tags and fresh engagement counts but are not scored
    again; each distinct text is scored once, reusing scores already in the database."""
    version = scorer.version
    batch = _prepare(store, posts, version)
    scored = scorer.score(list(batch.to_score.values()))
    return _commit(store, batch, scored, cursors, version)


def ingest(
    store: Store,
    items: Iterable[Post | Skip | Rejection | Delete | Note],
    scorer: Scorer,
    batch_size: int = BATCH_SIZE,
    pool: ScoringPool | None = None,
    result: IngestResult | None = None,
    progress: Callable[[IngestResult], object] | None = None,
) -> IngestResult:
    """Ingest a stream of Posts (and Skips and Rejections, which are counted) into ``result``
    (a new one if None); ``progress`` is told of the running counts every few thousand items.

    Two batches are in flight: while the scorer (a process pool, once the input is large)
    scores batches k-1 and k, this process reads batch k+1 and stores batch k-2, so the
    workers always have the next batch at hand. A text that a batch in flight is already
    scoring is not scored again."""
    version, result = scorer.version, result or IngestResult()
    pending: deque[tuple[_Prepared, Pending]] = deque()
    # This process parses and stores about as fast as one core allows, so the other cores
    # score: on two cores, one worker imports 6% faster than two (three busy processes).
    own = ScoringPool(scorer, spare_cores()) if pool is None else nullcontext(pool)

    def store_oldest() -> None:
        oldest, scores = pending.popleft()
        result.add(_commit(store, oldest, scores(), (), version))

    with own as active:
        for posts in batches(items, batch_size, result, progress):
            in_flight = {key for earlier, _ in pending for key in earlier.to_score}
            batch = _prepare(store, posts, version, in_flight)
            pending.append((batch, active.submit(list(batch.to_score.values()))))
            if len(pending) > BATCHES_IN_FLIGHT:
                store_oldest()
        while pending:
            store_oldest()
    if result.to_delete:
        result.deleted += store.delete_posts(result.to_delete)
        result.to_delete.clear()
    return result


def batches(
    items: Iterable[Post | Skip | Rejection | Delete | Note],
    size: int,
    result: IngestResult,
    progress: Callable[[IngestResult], object] | None = None,
) -> Iterator[list[Post]]:
    """Posts in lists of ``size``; Skips and Rejections are counted in ``result``."""
    batch: list[Post] = []
    told = 0
    for item in items:
        result.read += item.count if isinstance(item, Skip) else 1
        if progress and result.read - told >= PROGRESS_EVERY:
            told = result.read
            progress(result)
        if isinstance(item, Rejection):
            result.reject(item)
            continue
        if isinstance(item, Skip):
            result.skipped[item.reason] += item.count
            continue
        if isinstance(item, Note):
            result.notes.append(item.text)
            continue
        if isinstance(item, Delete):  # done once every post before it is stored
            result.to_delete.append((item.platform, item.id))
            continue
        batch.append(item)
        moment = int(item.created_at.timestamp())
        if not result.covers:
            result.covers = [moment, moment]
        elif not result.covers[0] <= moment <= result.covers[1]:
            result.covers = [min(result.covers[0], moment), max(result.covers[1], moment)]
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@contextmanager
def import_scoring(scorer: Scorer, paths: Sequence[Path]) -> Iterator[ScoringPool]:
    """The scoring for an import of ``paths``: its pool, with the workers started at once when
    the files pass 4 MB (each loads its models meanwhile; entered before the store is opened,
    as the CLI does, they start before sqlite-utils and pandas load, about half a second
    earlier here), and fewer passes of the cycle collector, restored after.

    Objects alive before it (every loaded module's) are frozen out of the collector's passes,
    and it runs every 100,000 new objects: in an import of 100,000 posts its passes took
    1.7-1.9 s of the import process's time, 0.05 s with this. The workers inherit it."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(BULK_GC_THRESHOLD, *threshold[1:])
    try:
        with ScoringPool(scorer, spare_cores()) as pool:
            if sum(path.stat().st_size for path in paths if path.is_file()) > LARGE_INPUT_BYTES:
                pool.start()
            yield pool
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def import_files(
    store: Store,
    paths: Sequence[Path],
    scorer: Scorer,
    options: ImportOptions | None = None,
    format_name: str | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[IngestResult], object] | None = None,
    pool: ScoringPool | None = None,
) -> IngestResult:
    """Import files in any known format (``monitor.formats``), recognised from their content
    unless ``format_name`` is given; the run is logged in the store. ``progress`` is told of
    the running counts every few thousand records (the CLI draws a progress bar with it).
    ``pool``: the ``import_scoring`` already entered for these files, if any."""
    run_id = store.start_run("import")
    result = IngestResult()
    covers = []  # each file's [first, last, name]: two archives months apart leave a gap
    try:
        with nullcontext(pool) if pool else import_scoring(scorer, paths) as active:
            for path in paths:
                items = read_posts(path, options, format_name)
                result.covers = []
                ingest(store, items, scorer, batch_size, active, result, progress)
                covers += [[*result.covers, Path(path).name]] if result.covers else []
    except BaseException as exc:
        with suppress(MonitorError):  # a full disk may refuse this too; the error says why
            store.finish_run(run_id, "error", result.counts(), f"{type(exc).__name__}: {exc}")
        raise
    counts = {**result.counts(), "files": [str(p) for p in paths], "covers": covers}
    store.finish_run(run_id, "ok", counts)
    return result


def rescore(
    store: Store, scorer: Scorer, batch_size: int = 5000, pool: ScoringPool | None = None
) -> int:
    """Re-score every post another scorer version scored; returns posts updated. Each
    distinct text is scored once (or found among the scores this version already gave) and
    its score set on every post that has it. One batch is scored while the last is stored."""
    version, updated, after = scorer.version, 0, 0
    pending: _Rescoring | None = None
    with ScoringPool(scorer) if pool is None else nullcontext(pool) as active:
        while True:
            rows = store.stale_texts(version, after, batch_size)
            submitted = None
            if rows:
                after = rows[-1][0]
                texts = {key: text for _, key, text in rows}
                known = store.known_scores(texts, version)
                missing = [key for key in texts if key not in known]
                wait = active.submit([texts[key] for key in missing])
                submitted = _Rescoring(rows, known, missing, wait)
            if pending:
                updated += pending.store(store, version)
            if not rows:
                return updated
            pending = submitted


@dataclass
class _Rescoring:
    """A batch of stale posts whose missing scores are being computed."""

    rows: list[tuple[int, str, str]]  # post_id, text key, text
    known: dict[str, Score]
    missing: list[str]
    wait: Pending

    def store(self, store: Store, version: str) -> int:
        new = dict(zip(self.missing, self.wait(), strict=True))
        scores = {**self.known, **new}
        posts = [(post_id, scores[key]) for post_id, key, _ in self.rows]
        return store.update_scores(version, posts, new.items())
