"""VADER scoring: the four numbers per text, the label from the configured threshold, and the
scorer version stored beside every score so that a change of scorer can be re-scored."""

from __future__ import annotations

import multiprocessing
import multiprocessing.pool
import os
from collections.abc import Callable, Iterable
from functools import cache
from importlib.metadata import version
from string import punctuation

from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    C_INCR,
    N_SCALAR,
    NEGATE,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
)

from monitor.models import Score

DEFAULT_THRESHOLD = 0.05


class ExactVader(SentimentIntensityAnalyzer):
    """vaderSentiment 3.3.2's ``polarity_scores``, rewritten to do each piece of work once,
    with identical scores (tests compare every number with vaderSentiment's own, on real texts
    and on generated texts built from the words its rules look for).

    The original lowercases each word up to five times and, for every word of a text, a
    copy of the *whole* word list (twice), copies its 60-word negation list per call, and
    rebuilds the text one character at a time to swap emojis for their names. Here: one
    lowercased list per text, a set of negations, emojis swapped only in texts holding one,
    and the rules (no/least/never/without, boosters, idioms) read from that list. The lexicons, word
    lists and the final sums (``score_valence``, ``_but_check``) are vaderSentiment's own."""

    def __init__(self) -> None:
        super().__init__()
        # The original walks the text by code point, so only one-character emoji keys match.
        self._emoji_names = {k: v for k, v in self.emojis.items() if len(k) == 1}
        self._ascii_emojis = any(k.isascii() for k in self._emoji_names)  # none in 3.3.2
        # Boosters score 0 before the lexicon is looked at.
        self._scoring = {w: v for w, v in self.lexicon.items() if w not in BOOSTER_DICT}

    def polarity_scores(self, text: str) -> dict[str, float]:
        if self._has_emoji(text):
            text = self._name_emojis(text)
        text = text.strip()
        words = [w if len(s := w.strip(punctuation)) <= 2 else s for w in text.split()]
        lowers = [w.lower() for w in words]
        capitals = sum(map(str.isupper, words))
        is_cap_diff = 0 < len(words) - capitals < len(words)
        scoring = self._scoring
        last = len(words) - 1
        sentiments: list[float] = []
        for i, lower in enumerate(lowers):
            valence = scoring.get(lower)
            if valence is None or (lower == "kind" and i < last and lowers[i + 1] == "of"):
                sentiments.append(0)
            else:
                sentiments.append(self._valence(valence, words, lowers, i, is_cap_diff))
        if "but" in lowers:
            sentiments = self._but_check(words, sentiments)
        return self.score_valence(sentiments, text)

    def _has_emoji(self, text: str) -> bool:
        if text.isascii() and not self._ascii_emojis:
            return False
        return not self._emoji_names.keys().isdisjoint(text)

    def _name_emojis(self, text: str) -> str:
        """Each emoji replaced by its name, after a space unless it starts the text or follows
        one (the original's loop, building a list instead of a string)."""
        names = self._emoji_names
        out = []
        after_space = True
        for char in text:
            if char in names:
                if not after_space:
                    out.append(" ")
                out.append(names[char])
                after_space = False
            else:
                out.append(char)
                after_space = char == " "
        return "".join(out)

    def _valence(
        self, value: float, words: list[str], lowers: list[str], i: int, is_cap_diff: bool
    ) -> float:
        """vaderSentiment's ``sentiment_valence`` for the lexicon word at ``i``."""
        lexicon = self.lexicon
        valence = value
        if lowers[i] == "no" and i != len(lowers) - 1 and lowers[i + 1] in lexicon:
            valence = 0.0
        if (
            (i > 0 and lowers[i - 1] == "no")
            or (i > 1 and lowers[i - 2] == "no")
            or (i > 2 and lowers[i - 3] == "no" and lowers[i - 1] in ("or", "nor"))
        ):
            valence = value * N_SCALAR
        if is_cap_diff and words[i].isupper():
            valence = valence + C_INCR if valence > 0 else valence - C_INCR
        for start_i in range(min(i, 3)):
            before = lowers[i - start_i - 1]
            if before in lexicon:
                continue
            scalar = 0.0
            if before in BOOSTER_DICT:
                scalar = BOOSTER_DICT[before]
                if valence < 0:
                    scalar *= -1
                if is_cap_diff and words[i - start_i - 1].isupper():
                    scalar = scalar + C_INCR if valence > 0 else scalar - C_INCR
                if start_i:
                    scalar *= 0.95 if start_i == 1 else 0.9
            valence = valence + scalar
            valence = _negation(valence, lowers, start_i, i)
            if start_i == 2:
                valence = self._idioms(valence, lowers, i)
        if (
            i > 0
            and lowers[i - 1] == "least"
            and "least" not in lexicon
            and (i == 1 or lowers[i - 2] not in ("at", "very"))
        ):
            valence = valence * N_SCALAR
        return valence

    @staticmethod
    def _idioms(valence: float, lowers: list[str], i: int) -> float:
        """vaderSentiment's ``_special_idioms_check`` (called for i >= 3 only)."""
        w3, w2, w1, w0 = lowers[i - 3 : i + 1]
        if not _IDIOM_WORDS.intersection(lowers[i - 3 : i + 3]):
            return valence
        twoone, threetwo = f"{w2} {w1}", f"{w3} {w2}"
        threetwoone = f"{w3} {twoone}"
        for seq in (f"{w1} {w0}", f"{twoone} {w0}", twoone, threetwoone, threetwo):
            if seq in SPECIAL_CASES:
                valence = SPECIAL_CASES[seq]
                break
        if len(lowers) - 1 > i and (seq := f"{w0} {lowers[i + 1]}") in SPECIAL_CASES:
            valence = SPECIAL_CASES[seq]
        if (
            len(lowers) - 1 > i + 1
            and (seq := f"{w0} {lowers[i + 1]} {lowers[i + 2]}") in SPECIAL_CASES
        ):
            valence = SPECIAL_CASES[seq]
        for n_gram in (threetwoone, threetwo, twoone):
            if n_gram in BOOSTER_DICT:
                valence = valence + BOOSTER_DICT[n_gram]
        return valence


# Every word of a multi-word special case or booster: an idiom needs one of them nearby.
_IDIOM_WORDS = frozenset(
    word for phrase in (*SPECIAL_CASES, *BOOSTER_DICT) if " " in phrase for word in phrase.split()
)
_NEGATIONS = frozenset(NEGATE)


def _negated(lower: str) -> bool:
    return lower in _NEGATIONS or "n't" in lower


def _negation(valence: float, lowers: list[str], start_i: int, i: int) -> float:
    """vaderSentiment's ``_negation_check``: the word ``start_i + 1`` places before ``i``."""
    w1 = lowers[i - 1]
    if start_i == 0:
        return valence * N_SCALAR if _negated(w1) else valence
    w2 = lowers[i - 2]
    if start_i == 1:
        if w2 == "never" and w1 in ("so", "this"):
            return valence * 1.25
        if w2 == "without" and w1 == "doubt":
            return valence
        return valence * N_SCALAR if _negated(w2) else valence
    w3 = lowers[i - 3]
    if (w3 == "never" and w2 in ("so", "this")) or w1 in ("so", "this"):
        return valence * 1.25
    if w3 == "without" and (w2 == "doubt" or w1 == "doubt"):
        return valence
    return valence * N_SCALAR if _negated(w3) else valence


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


def spare_cores() -> int:
    """Worker processes for a caller that keeps one core busy itself (import parses and
    stores as fast as one core allows): one fewer than the cores, none on one core."""
    return (os.cpu_count() or 1) - 1


class Scorer:
    """Scores batches of texts in this process, or, once the input has proved large, in a
    pool of worker processes started once and kept for the rest of the input.

    ``workers`` is the pool's size (0: always in this process; default: one per core).
    ``submit`` returns at once with a function that waits for the numbers, so the caller can
    parse and store one batch while the workers score the next."""

    def __init__(self, workers: int | None = None, pool_after: int = POOL_AFTER) -> None:
        cores = os.cpu_count() or 1
        self.workers = (cores if cores > 1 else 0) if workers is None else workers
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
        wants_pool = self.workers > 0 and self.submitted > self.pool_after
        if not wants_pool or len(texts) < 2 * self.workers:
            numbers = score_numbers(texts)
            return lambda: numbers
        if self._pool is None:
            # fork: the workers inherit the loaded code; each builds its own analyzer once.
            self._pool = multiprocessing.get_context("fork").Pool(self.workers)
        size = -(-len(texts) // self.workers)
        pending = self._pool.map_async(
            score_numbers, [texts[i : i + size] for i in range(0, len(texts), size)]
        )
        return lambda: [numbers for chunk in pending.get() for numbers in chunk]
