"""What drove a tag's mood on a day: the lexicon words that pushed its scored posts towards
skeptical or supportive more than on the baseline days, the hashtags used with it, and its most
active authors. A reader of "68% skeptical" can then see *why* ("backfire", "disaster") and
whom, and judge it.

A word's push is its VADER valence times how much more often it appeared per scored post on
the day than on the baseline days (words used more than before; one used less is no driver).
That is the word's share of the lexicon sum VADER starts from; VADER's rules (negation, "but",
boosters, capitals) then adjust each post, so a push is a guide to the words, not a
decomposition of the compound.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from monitor.scoring import Scorer
from monitor.scoring.vader import VaderScorer
from monitor.store import Bucket, Store

TOP = 5
MIN_PUSH = 0.001  # smaller pushes round to nothing a reader could see
_WORD = re.compile(r"[a-z][a-z'\-]*")


@dataclass(frozen=True)
class Driver:
    word: str
    valence: float  # the scorer's lexicon value, -4..4
    day_rate: float  # occurrences per scored post on the day
    base_rate: float  # ... on the baseline days
    push: float  # valence x (day_rate - base_rate): < 0 towards skeptical, > 0 supportive


@dataclass(frozen=True)
class Drivers:
    """A tag's drivers on a day; ``words_note`` says why word drivers are missing, if so."""

    negative: list[Driver] = field(default_factory=list)
    positive: list[Driver] = field(default_factory=list)
    hashtags: list[tuple[str, int]] = field(default_factory=list)
    authors: list[tuple[str, str, int]] = field(default_factory=list)  # platform, author, posts
    engaged: list[dict] = field(default_factory=list)  # each platform's most engaged post
    words_note: str | None = None


def drivers(store: Store, scorer: Scorer, tag: str, day: Bucket, baseline: Bucket) -> Drivers:
    """The drivers of ``tag`` in the ``day`` span against the ``baseline`` span."""
    hashtags = store.co_tags(tag, day.start_ts, day.end_ts, TOP)
    authors = store.active_authors(tag, day.start_ts, day.end_ts, TOP)
    engaged = [  # engagement as each platform counts it: compared within a platform only
        post
        for platform in store.tag_platforms(tag, day.start_ts, day.end_ts)
        for post in store.top_posts(tag, day.start_ts, day.end_ts, "engagement", 1, platform)
        if post["engagement"]
    ]
    context = {"hashtags": hashtags, "authors": authors, "engaged": engaged}
    if not isinstance(scorer, VaderScorer):
        note = f"word drivers are measured for VADER's lexicon; {scorer.name} has none"
        return Drivers(**context, words_note=note)
    lexicon = scorer.valences()
    today, today_posts = _word_counts(store, tag, day, lexicon)
    before, before_posts = _word_counts(store, tag, baseline, lexicon)
    if not today_posts:
        return Drivers(**context, words_note="no scored posts")
    pushes = []
    for word in today:  # words used more than before: what the day added
        day_rate = today[word] / today_posts
        base_rate = before[word] / before_posts if before_posts else 0.0
        valence = float(lexicon[word])
        push = valence * (day_rate - base_rate)
        if day_rate > base_rate and abs(push) >= MIN_PUSH:
            pushes.append(Driver(word, valence, day_rate, base_rate, push))
    negative = sorted((d for d in pushes if d.push < 0), key=lambda d: (d.push, d.word))
    positive = sorted((d for d in pushes if d.push > 0), key=lambda d: (-d.push, d.word))
    return Drivers(negative[:TOP], positive[:TOP], **context)


def _word_counts(
    store: Store, tag: str, span: Bucket, lexicon: dict[str, float]
) -> tuple[Counter[str], int]:
    """Lexicon words in the span's scored posts (each word counted once a post), and posts."""
    counts: Counter[str] = Counter()
    texts = store.scored_texts(tag, span.start_ts, span.end_ts)
    for text in texts:
        counts.update({w for w in _WORD.findall(text.lower()) if lexicon.get(w)})
    return counts, len(texts)
