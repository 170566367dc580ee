"""What drove a tag's mood on a day: the words that pushed its scored posts towards skeptical
or supportive more than on the baseline days, the hashtags used with it, its most active
authors and each platform's most engaged post. A reader of "68% skeptical" can then see *why*
("backfire", "disaster") and whom, and judge it.

A word's push is the active scorer's weight for it (``Scorer.term_weights``: VADER's valence,
or a calibrated model's weight towards supportive minus skeptical) times how much more often it
appeared per scored post on the day than on the baseline days (words used more than before; one
used less is no driver). For VADER that is the word's share of the lexicon sum it starts from;
its rules (negation, "but", boosters, capitals) then adjust each post, and a model weighs a
word against every other feature of the post, so a push is a guide to the words, not a
decomposition of the score.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from monitor.scoring.base import Scorer
from monitor.store import Bucket, Store

TOP = 5
MIN_PUSH = 0.001  # smaller pushes round to nothing a reader could see


@dataclass(frozen=True)
class Driver:
    word: str
    valence: float  # the scorer's weight for it (VADER: its lexicon value, -4..4)
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
    weight_meaning: str = ""  # what a word's weight is ("VADER valence, -4..4", ...)


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
    terms = scorer.term_weights()
    if terms is None:
        return Drivers(**context, words_note=f"the {scorer.name} scorer weighs no words")
    today, today_posts = _word_counts(store, tag, day, terms.split)
    before, before_posts = _word_counts(store, tag, baseline, terms.split)
    if not today_posts:
        return Drivers(**context, words_note="no scored posts")
    pushes = []
    for word in today:  # words used more than before: what the day added
        day_rate = today[word] / today_posts
        base_rate = before[word] / before_posts if before_posts else 0.0
        valence = float(terms.weights[word])
        push = valence * (day_rate - base_rate)
        if day_rate > base_rate and abs(push) >= MIN_PUSH:
            pushes.append(Driver(word, valence, day_rate, base_rate, push))
    negative = sorted((d for d in pushes if d.push < 0), key=lambda d: (d.push, d.word))
    positive = sorted((d for d in pushes if d.push > 0), key=lambda d: (-d.push, d.word))
    return Drivers(negative[:TOP], positive[:TOP], **context, weight_meaning=terms.meaning)


def _word_counts(
    store: Store, tag: str, span: Bucket, split: Callable[[str], set[str]]
) -> tuple[Counter[str], int]:
    """Weighed words in the span's scored posts (each counted once a post), and posts."""
    counts: Counter[str] = Counter()
    texts = store.scored_texts(tag, span.start_ts, span.end_ts)
    for text in texts:
        counts.update(split(text))
    return counts, len(texts)
