"""What drove the day: word pushes on a hand-made day with known contributions, co-occurring
hashtags and active authors."""

from datetime import UTC, date, datetime

import pytest

from monitor.calibration import write_model
from monitor.drivers import drivers
from monitor.pipeline import import_files
from monitor.scoring import calibrated
from monitor.scoring.calibrated import CalibratedScorer
from monitor.store import Bucket
from tests.conftest import VADER, post

GOOD = "These talks are good for everyone involved"
TERRIBLE = "These talks are terrible for everyone involved"


def span(day: date) -> Bucket:
    start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
    return Bucket(start, start + 86400)


@pytest.fixture
def day_store(store, write_jsonl):
    records = [
        post("b1", "2025-11-19T10:00:00Z", GOOD, tags=["t"], author="ann"),
        post("b2", "2025-11-19T11:00:00Z", GOOD, tags=["t"], author="bob"),
        post(
            "d1",
            "2025-11-20T10:00:00Z",
            TERRIBLE,
            tags=["t", "geneva"],
            author="cat",
            metrics={"favourites": 2},
        ),
        post(
            "d2",
            "2025-11-20T11:00:00Z",
            TERRIBLE + "!",
            tags=["t", "geneva"],
            author="cat",
            metrics={"favourites": 4, "reblogs": 5},
        ),
        post("d3", "2025-11-20T12:00:00Z", GOOD + ".", tags=["t", "peace"], author="dan"),
        post(
            "d4",
            "2025-11-20T13:00:00Z",
            GOOD + "!!",
            tags=["t"],
            author="cat",
            platform="x",
            metrics={"like_count": 4},
        ),
    ]
    import_files(store, [write_jsonl(records)], VADER)
    return store


def test_word_pushes_are_valence_times_the_change_in_use(day_store):
    valences = VADER.valences()
    found = drivers(day_store, VADER, "t", span(date(2025, 11, 20)), span(date(2025, 11, 19)))
    # "terrible": 2 of 4 scored posts on the day, none before; "good": used less than before
    (terrible,) = found.negative
    assert (terrible.word, terrible.day_rate, terrible.base_rate) == ("terrible", 0.5, 0.0)
    assert terrible.push == pytest.approx(valences["terrible"] * 0.5)
    assert found.positive == []  # "good" went from every post to half: no supportive driver
    assert found.hashtags == [("geneva", 2), ("peace", 1)]
    assert found.authors == [("mastodon", "cat", 2), ("x", "cat", 1), ("mastodon", "dan", 1)]
    # each platform's most engaged post, compared within its platform only
    assert [(p["platform"], p["id"], p["engagement"]) for p in found.engaged] == [
        ("mastodon", "d2", 9.0),
        ("x", "d4", 4.0),
    ]
    again = drivers(day_store, VADER, "t", span(date(2025, 11, 19)), span(date(2025, 11, 18)))
    (good,) = again.positive
    assert (good.word, good.day_rate, good.base_rate) == ("good", 1.0, 0.0)
    assert good.push == pytest.approx(valences["good"])


def test_a_calibrated_scorer_drives_by_its_own_word_weights(store, write_jsonl, tmp_path):
    """A model that learned "backfire" marks skepticism (a word VADER does not know) names it
    as the day's skeptical driver, pushed by its weight times its rise in use."""
    skeptical = ["this will backfire badly", "a plan to backfire on us", "backfire again today"]
    supportive = ["fresh ideas welcome here", "fresh start for talks", "welcome fresh voices"]
    neutral = ["talks resume on monday", "meeting set for monday", "talks held on monday"]
    model = calibrated.fit(
        skeptical * 2 + supportive * 2 + neutral * 2,
        ["negative"] * 6 + ["positive"] * 6 + ["neutral"] * 6,
        ["en"],
    )
    scorer = CalibratedScorer(write_model(model, tmp_path / "model.json"))
    records = [
        post("b1", "2025-11-19T10:00:00Z", "talks resume on monday", tags=["t"]),
        post("d1", "2025-11-20T10:00:00Z", "this could backfire", tags=["t"]),
        post("d2", "2025-11-20T11:00:00Z", "talks resume on monday", tags=["t"]),
    ]
    import_files(store, [write_jsonl(records)], scorer)
    found = drivers(store, scorer, "t", span(date(2025, 11, 20)), span(date(2025, 11, 19)))
    weights = scorer.term_weights().weights
    assert VADER.valences().get("backfire") is None and weights["backfire"] < 0
    assert found.negative[0].word == "backfire"
    assert found.negative[0].push == pytest.approx(weights["backfire"] * 0.5)
    assert found.weight_meaning == "model weight, log-odds supportive vs skeptical"
    assert "monday" not in {d.word for d in found.negative + found.positive}  # no more used
