"""Scoring reproduces vaderSentiment exactly and agrees with human raters as the paper says."""

import statistics

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from monitor.sentiment import label_for, score_texts, scorer_version
from tests.conftest import shared_path


def _ground_truth() -> list[tuple[float, str]]:
    path = shared_path("data", "vader-icwsm2014", "tweets_GroundTruth.txt")
    rows = []
    # The README says ASCII, but a few rows hold UTF-8 characters.
    for line in path.read_text(encoding="utf-8").splitlines():
        _, rating, text = line.split("\t", 2)
        rows.append((float(rating), text))
    return rows


def test_scores_equal_vadersentiment_and_correlate_with_humans_on_all_4200_tweets():
    rows = _ground_truth()
    assert len(rows) == 4200
    texts = [text for _, text in rows]
    scores = score_texts(texts)
    reference = SentimentIntensityAnalyzer()
    mismatches = [
        t
        for t, s in zip(texts, scores, strict=True)
        if (s.compound, s.pos, s.neu, s.neg)
        != tuple(reference.polarity_scores(t)[k] for k in ("compound", "pos", "neu", "neg"))
    ]
    assert mismatches == []
    r = statistics.correlation([h for h, _ in rows], [s.compound for s in scores])
    assert r >= 0.87
    assert round(r, 3) == 0.872  # vaderSentiment 3.3.2; the paper reports 0.881


def test_labels_follow_the_threshold_inclusively():
    assert [label_for(c) for c in (-0.05, -0.0499, 0.0, 0.0499, 0.05)] == [
        "negative",
        "neutral",
        "neutral",
        "neutral",
        "positive",
    ]
    assert label_for(0.3, threshold=0.5) == "neutral"


def test_score_carries_all_four_numbers_and_label():
    (score,) = score_texts(["Fresh perspectives might be what's needed"])
    assert (score.compound, score.pos, score.neu, score.neg, score.label) == (
        0.3182,
        0.315,
        0.685,
        0.0,
        "positive",
    )
    assert scorer_version() == "vaderSentiment-3.3.2"
