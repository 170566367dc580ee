"""Stock VADER (vaderSentiment 3.3.2) as a scorer: English by default, the label a threshold on
compound, word valences adjustable with ``[lexicon]`` exactly as
``SentimentIntensityAnalyzer().lexicon.update({...})`` would."""

from __future__ import annotations

import heapq
import re
from collections.abc import Mapping
from functools import cache
from importlib.metadata import version
from string import punctuation
from typing import TYPE_CHECKING, Any

from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    C_INCR,
    N_SCALAR,
    NEGATE,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
)

from monitor.scoring.base import Agreement, Numbers, Scorer, TermWeights

if TYPE_CHECKING:
    from monitor.settings import Labels, Scoring

DEFAULT_THRESHOLD = 0.05
_WORD = re.compile(r"[a-z][a-z'\-]*")  # a word as drivers count it


class ExactVader(SentimentIntensityAnalyzer):
    """vaderSentiment 3.3.2's ``polarity_scores``, rewritten to do each piece of work once,
    with identical scores (tests compare every number with vaderSentiment's own, on real texts
    and on generated texts built from the words its rules look for).

    The original lowercases each word up to five times and, for every word of a text, a
    copy of the *whole* word list (twice), copies its 60-word negation list per call, and
    rebuilds the text one character at a time to swap emojis for their names. Here: one
    lowercased list per text, a set of negations, emojis swapped only in texts holding one,
    and the rules (no/least/never/without, boosters, idioms) read from that list. The lexicons, word
    lists and the final sum (``score_valence``) are vaderSentiment's own; its "but" rule is
    rewritten to run in O(n log n) with the same results."""

    def __init__(self, overrides: Mapping[str, float] | None = None) -> None:
        super().__init__()
        self.lexicon.update(overrides or {})
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
            _but_check(lowers, sentiments)
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


def _but_check(lowers: list[str], sentiments: list[float]) -> None:
    """vaderSentiment's ``_but_check`` in O(n log n) instead of O(n²) (a 100,000-character text
    of "but"s took 3 s), with its quirk kept: for each position it rescales the *first* word
    holding that position's current value (``list.index``), halving it before the first "but"
    and multiplying it by 1.5 after. A heap of positions per value finds that first one."""
    first_but = lowers.index("but")
    holding: dict[float, list[int]] = {}  # value → positions that held it (ascending: a heap)
    for position, value in enumerate(sentiments):
        holding.setdefault(value, []).append(position)
    for position in range(len(sentiments)):
        value = sentiments[position]
        heap = holding[value]
        while sentiments[heap[0]] != value:  # positions whose value changed since
            heapq.heappop(heap)
        first = heap[0]
        if first == first_but:
            continue
        rescaled = value * (0.5 if first < first_but else 1.5)
        if rescaled != value:  # zeros stay
            heapq.heappop(heap)
            sentiments[first] = rescaled
            heapq.heappush(holding.setdefault(rescaled, []), first)


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
def _analyzer(overrides: tuple[tuple[str, float], ...] = ()) -> ExactVader:
    # Building the analyzer reads the lexicon files (~50 ms): once per process and lexicon.
    return ExactVader(dict(overrides))


def label_for(compound: float, threshold: float = DEFAULT_THRESHOLD) -> str:
    """VADER's convention: compound <= -threshold is negative, >= threshold positive."""
    if compound <= -threshold:
        return "negative"
    if compound >= threshold:
        return "positive"
    return "neutral"


class VaderScorer(Scorer):
    """VADER's lexicon and rules, scores identical to vaderSentiment's; reads English."""

    name = "vader"
    title = "VADER (vaderSentiment 3.3.2, lexicon and rules)"

    def __init__(
        self,
        languages: tuple[str, ...] = ("en",),
        threshold: float = DEFAULT_THRESHOLD,
        lexicon: Mapping[str, float] | None = None,
    ) -> None:
        super().__init__(languages)
        self.threshold = threshold
        self.lexicon = tuple(sorted((w, float(v)) for w, v in (lexicon or {}).items()))

    def valences(self) -> dict[str, float]:
        """The words this scorer gives a valence (its lexicon with the config's changes; the
        boosters, which VADER scores 0, left out)."""
        return _analyzer(self.lexicon)._scoring

    def term_weights(self) -> TermWeights:
        valences = self.valences()

        def split(text: str) -> set[str]:
            return {w for w in _WORD.findall(text.lower()) if valences.get(w)}

        return TermWeights(valences, split, "VADER valence, -4..4")

    def published_agreement(self) -> tuple[Agreement, ...]:
        return STOCK_AGREEMENT

    @classmethod
    def from_settings(
        cls, scoring: Scoring, labels: Labels, lexicon: Mapping[str, float], config_file: str
    ) -> VaderScorer:
        return cls(scoring.languages, labels.threshold, lexicon)

    def settings(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "lexicon": self.lexicon}

    def package_version(self) -> str:
        return version("vaderSentiment")

    def numbers(self, texts: list[str]) -> list[Numbers]:
        """VADER's four numbers per text, whatever its language."""
        polarity = _analyzer(self.lexicon).polarity_scores
        return [(s["compound"], s["pos"], s["neu"], s["neg"]) for s in map(polarity, texts)]

    def score_read(self, texts: list[str]) -> list[tuple[str, Numbers]]:
        return [(label_for(n[0], self.threshold), n) for n in self.numbers(texts)]


# Output of bench/stock_vader.py (2026-11-25) on ../shared/data/labelled/*/test.tsv.
STOCK_AGREEMENT = (
    Agreement("GOP primary debate tweets, 2015", 3011, 0.449, 0.465, 0.59, 0.31, 0.16, 0.40, 0.28),
    Agreement(
        "US health-care reform tweets, 2010", 798, 0.414, 0.441, 0.64, 0.32, 0.19, 0.43, 0.32
    ),
    Agreement("Obama-McCain debate tweets, 2008", 1172, 0.473, 0.484, 0.51, 0.28, 0.29, 0.37, 0.23),
)
