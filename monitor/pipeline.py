"""Batches of Posts → normalise → score → store, used by import and collect alike.

Work is done in bounded batches, each stored in one transaction, so memory does not grow with
the input and an interrupted run leaves whole batches only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from monitor.files import read_posts
from monitor.models import Post, Rejection, Score, ScoredPost
from monitor.sentiment import label_for, score_texts, scorer_version
from monitor.store import Cursor, Store
from monitor.text import fold_tag, hashtags, text_key

log = logging.getLogger(__name__)

BATCH_SIZE = 1000
# Rejections kept for the report back to the user; the count is always exact.
MAX_REJECTIONS_KEPT = 1000


@dataclass
class IngestResult:
    new: int = 0
    duplicate: int = 0
    rejected: int = 0
    scored: int = 0  # texts VADER actually ran on (repeats reuse a stored score)
    rejections: list[Rejection] = field(default_factory=list)

    def reject(self, rejection: Rejection) -> None:
        log.info("rejected %s: %s", rejection.where, rejection.reason)
        self.rejected += 1
        if len(self.rejections) < MAX_REJECTIONS_KEPT:
            self.rejections.append(rejection)

    def add(self, other: IngestResult) -> None:
        self.new += other.new
        self.duplicate += other.duplicate
        self.scored += other.scored
        self.rejected += other.rejected
        room = MAX_REJECTIONS_KEPT - len(self.rejections)
        self.rejections.extend(other.rejections[:room])

    def counts(self) -> dict[str, int]:
        return {
            "new": self.new,
            "duplicate": self.duplicate,
            "rejected": self.rejected,
            "scored": self.scored,
        }


def normalise(post: Post) -> Post:
    """Tags folded and completed with the hashtags written in the text."""
    tags = tuple(dict.fromkeys([*(fold_tag(t) for t in post.tags), *hashtags(post.text)]))
    return post if tags == post.tags else replace(post, tags=tags)


def ingest_batch(
    store: Store,
    posts: Sequence[Post],
    cursors: Sequence[Cursor] = (),
    threshold: float = 0.05,
) -> IngestResult:
    """Store one batch of posts and the cursors that cover them, in one transaction.

    Posts already stored gain any new tags and fresh engagement counts but are not scored
    again; each distinct text is scored once, reusing scores already in the database."""
    merged: dict[tuple[str, str], Post] = {}
    for post in map(normalise, posts):
        earlier = merged.get(post.key)
        if earlier is not None:  # the same post twice in one batch: keep one, all its tags
            post = replace(post, tags=tuple(dict.fromkeys(earlier.tags + post.tags)))
        merged[post.key] = post
    existing = store.existing_ids(merged)
    fresh = [p for k, p in merged.items() if k not in existing]
    seen = [(existing[k], p) for k, p in merged.items() if k in existing]

    version = scorer_version()
    keys = [text_key(p.text) for p in fresh]
    scores: dict[str, Score] = {
        k: Score(*v, label=label_for(v[0], threshold))
        for k, v in store.known_scores(set(keys), version).items()
    }
    to_score = {k: p.text for k, p in zip(keys, fresh, strict=True) if k not in scores}
    scores.update(zip(to_score, score_texts(to_score.values(), threshold), strict=True))

    new = [ScoredPost(p, k, scores[k]) for k, p in zip(keys, fresh, strict=True)]
    inserted, present = store.write_batch(new, seen, cursors, scorer_version=version)
    return IngestResult(
        new=inserted, duplicate=present + len(posts) - len(merged), scored=len(to_score)
    )


def ingest(
    store: Store,
    items: Iterable[Post | Rejection],
    threshold: float = 0.05,
    batch_size: int = BATCH_SIZE,
) -> IngestResult:
    """Ingest a stream of Posts (and Rejections, which are counted and reported)."""
    result = IngestResult()
    batch: list[Post] = []
    for item in items:
        if isinstance(item, Rejection):
            result.reject(item)
            continue
        batch.append(item)
        if len(batch) >= batch_size:
            result.add(ingest_batch(store, batch, threshold=threshold))
            batch = []
    if batch:
        result.add(ingest_batch(store, batch, threshold=threshold))
    return result


def import_files(
    store: Store,
    paths: Sequence[Path],
    platform: str | None = None,
    tags: Sequence[str] = (),
    threshold: float = 0.05,
) -> IngestResult:
    """Import JSON Lines / CSV files of canonical records; the run is logged in the store."""
    run_id = store.start_run("import")
    result = IngestResult()
    try:
        for path in paths:
            result.add(ingest(store, read_posts(path, platform, tags), threshold))
    except BaseException as exc:
        store.finish_run(run_id, "error", result.counts(), f"{type(exc).__name__}: {exc}")
        raise
    store.finish_run(run_id, "ok", {**result.counts(), "files": [str(p) for p in paths]})
    return result


def rescore(store: Store, batch_size: int = 5000) -> int:
    """Re-score every post a different scorer version scored; returns posts updated."""
    version = scorer_version()
    updated, after = 0, 0
    while rows := store.stale_texts(version, after, batch_size):
        after = rows[-1][0]
        texts = {key: text for _, key, text in rows}
        scored = score_texts(texts.values())
        updated += store.update_scores(
            version,
            [(k, s.compound, s.pos, s.neu, s.neg) for k, s in zip(texts, scored, strict=True)],
        )
    return updated
