"""VADER scoring: the four numbers per text, the label from the configured threshold, and the
scorer version stored beside every score so that a change of scorer can be re-scored."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib.metadata import version

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from monitor.models import Score

DEFAULT_THRESHOLD = 0.05


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    # Building the analyzer reads the lexicon files (~50 ms): do it once per process.
    return SentimentIntensityAnalyzer()


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
    """Score each text; compound equals vaderSentiment's ``polarity_scores`` exactly."""
    analyzer = _analyzer()
    scores = []
    for text in texts:
        s = analyzer.polarity_scores(text)
        scores.append(
            Score(s["compound"], s["pos"], s["neu"], s["neg"], label_for(s["compound"], threshold))
        )
    return scores
