"""Scoring in a pool of worker processes for an input known, or proved, to be large."""

from __future__ import annotations

import multiprocessing
import multiprocessing.pool
import os
from dataclasses import dataclass, field

from monitor.models import Score
from monitor.scoring.base import Scorer

# Below this many texts a process pool costs more (start-up, lexicon load) than it saves.
POOL_AFTER = 4000


def spare_cores() -> int:
    """Worker processes for a caller that keeps one core busy itself (import parses and
    stores as fast as one core allows): one fewer than the cores, none on one core."""
    return (os.cpu_count() or 1) - 1


def _score_chunk(task: tuple[Scorer, list[str]]) -> list[Score]:
    scorer, texts = task
    return scorer.score(texts)


@dataclass
class Pending:
    """Scores on their way: calling it returns them, waiting for the workers if need be."""

    chunks: multiprocessing.pool.AsyncResult | None = None  # the workers' answer
    scores: list[Score] = field(default_factory=list)  # or the scores, computed here

    def ready(self) -> bool:
        """Whether calling would return at once."""
        return self.chunks is None or self.chunks.ready()

    def __call__(self) -> list[Score]:
        if self.chunks is None:
            return self.scores
        return [score for chunk in self.chunks.get() for score in chunk]


class ScoringPool:
    """Scores batches of texts with ``scorer`` in this process, or, once the input has proved
    large (or ``start`` says it will be), in a pool of worker processes started once and kept
    for the rest of the input.

    ``workers`` is the pool's size (0: always in this process; default: one per core).
    ``submit`` returns at once with the ``Pending`` scores, so the caller can parse and store
    one batch while the workers score the next."""

    def __init__(
        self, scorer: Scorer, workers: int | None = None, pool_after: int = POOL_AFTER
    ) -> None:
        cores = os.cpu_count() or 1
        self.scorer = scorer
        self.workers = (cores if cores > 1 else 0) if workers is None else workers
        self.pool_after = pool_after
        self.submitted = 0
        self._pool: multiprocessing.pool.Pool | None = None

    def __enter__(self) -> ScoringPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None

    def start(self) -> None:
        """Start the workers now, for an input known to be large: each loads its models while
        the caller reads its first batch, instead of after it (about a second here)."""
        if self._pool is None and self.workers > 0:
            # fork: the workers inherit the loaded code; each builds its own models once.
            self._pool = multiprocessing.get_context("fork").Pool(
                self.workers, initializer=self.scorer.load
            )

    @property
    def parallel(self) -> bool:
        return self._pool is not None

    def submit(self, texts: list[str]) -> Pending:
        self.submitted += len(texts)
        wants_pool = self.parallel or (self.workers > 0 and self.submitted > self.pool_after)
        if not wants_pool or len(texts) < 2 * self.workers:
            return Pending(scores=self.scorer.score(texts))
        self.start()
        size = -(-len(texts) // self.workers)
        chunks = [(self.scorer, texts[i : i + size]) for i in range(0, len(texts), size)]
        return Pending(self._pool.map_async(_score_chunk, chunks))
