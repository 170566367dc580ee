"""VADER scoring: the four numbers per text, the label from the configured threshold, and the
scorer version stored beside every score so that a change of scorer can be re-scored."""

from __future__ import annotations

import multiprocessing
import multiprocessing.pool
import os
from collections.abc import Callable, Iterable
from functools import cache
from importlib.metadata import version

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from monitor.models import Score

DEFAULT_THRESHOLD = 0.05


class ExactVader(SentimentIntensityAnalyzer):
    """vaderSentiment, minus avoidable work, with identical scores.

    For every word of a text, vaderSentiment's ``_negation_check`` and
    ``_special_idioms_check`` lowercase a copy of the *whole* word list, then read at most
    the words from i-3 to i+2. Handing them just that window gives the same result without
    the quadratic cost (about a quarter of vaderSentiment's time on tweet-length posts).
    The originals are still what runs, on the window; tests compare every score with
    vaderSentiment's own on real texts."""

    def _negation_check(self, valence, words_and_emoticons, start_i, i):
        if i < 3:  # the original may index from the end of a short list: keep it exact
            return super()._negation_check(valence, words_and_emoticons, start_i, i)
        window = words_and_emoticons[i - 3 : i + 1]
        return super()._negation_check(valence, window, start_i, 3)

    def _special_idioms_check(self, valence, words_and_emoticons, i):
        if i < 3:
            return super()._special_idioms_check(valence, words_and_emoticons, i)
        window = words_and_emoticons[i - 3 : i + 3]
        return super()._special_idioms_check(valence, window, 3)


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    # Building the analyzer reads the lexicon files (~50 ms): do it once per process.
    return ExactVader()


def scorer_version() -> str:
    """Identifies the scorer; scores stored under another version are stale."""
    return f"vaderSentiment-{version('vaderSentiment')}"


def label_for(compound: float, threshold: float = DEFAULT_THRESHOLD) -> str:
    """VADER's convention: compound <= -threshold is negative, >= threshold positive."""
    if compound <= -threshold:
        return "negative"
    if compound >= threshold:
        return "positive"
    return "neutral"


def score_texts(texts: Iterable[str], threshold: float = DEFAULT_THRESHOLD) -> list[Score]:
    """Score each text; every number equals vaderSentiment's ``polarity_scores`` exactly."""
    return [Score(*n, label=label_for(n[0], threshold)) for n in score_numbers(list(texts))]


Numbers = tuple[float, float, float, float]  # compound, pos, neu, neg

# Below this many texts a process pool costs more (start-up, lexicon load) than it saves.
POOL_AFTER = 4000


def score_numbers(texts: list[str]) -> list[Numbers]:
    """VADER's four numbers per text, in this process (also the pool workers' task)."""
    polarity = _analyzer().polarity_scores
    return [(s["compound"], s["pos"], s["neu"], s["neg"]) for s in map(polarity, texts)]


class Scorer:
    """Scores batches of texts in this process, or, once the input has proved large, in a
    pool of worker processes started once and kept for the rest of the input.

    ``submit`` returns at once with a function that waits for the numbers, so the caller can
    parse and store one batch while the workers score the next."""

    def __init__(self, processes: int | None = None, pool_after: int = POOL_AFTER) -> None:
        self.processes = processes or os.cpu_count() or 1
        self.pool_after = pool_after
        self.submitted = 0
        self._pool: multiprocessing.pool.Pool | None = None

    def __enter__(self) -> Scorer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None

    @property
    def parallel(self) -> bool:
        return self._pool is not None

    def submit(self, texts: list[str]) -> Callable[[], list[Numbers]]:
        self.submitted += len(texts)
        wants_pool = self.processes > 1 and self.submitted > self.pool_after
        if not wants_pool or len(texts) < 2 * self.processes:
            numbers = score_numbers(texts)
            return lambda: numbers
        if self._pool is None:
            # fork: the workers inherit the loaded code; each builds its own analyzer once.
            self._pool = multiprocessing.get_context("fork").Pool(self.processes)
        size = -(-len(texts) // self.processes)
        pending = self._pool.map_async(
            score_numbers, [texts[i : i + size] for i in range(0, len(texts), size)]
        )
        return lambda: [numbers for chunk in pending.get() for numbers in chunk]
