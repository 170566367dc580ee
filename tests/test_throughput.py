"""What the fast paths must keep exact: parallel scoring, score reuse, SQL aggregates."""

import random
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from monitor.formats.canonical import record_to_post
from monitor.pipeline import ingest, rescore
from monitor.pool import ScoringPool
from monitor.store import Store
from monitor.trends import series
from tests.conftest import VADER, shared_path


def ground_truth_posts() -> list:
    path = shared_path("data", "vader-icwsm2014", "tweets_GroundTruth.txt")
    rows = [line.split("\t", 2) for line in path.read_text(encoding="utf-8").splitlines()]
    return [
        record_to_post(
            {
                "platform": "x",
                "id": ident,
                "created_at": "2025-11-20T10:00:00Z",
                "text": text,
                "tags": ["t"],
            }
        )
        for ident, _, text in rows
    ]


def stored_scores(store: Store) -> dict:
    return {
        row[0]: row[1:]
        for row in store.db.execute(
            "SELECT id, language, label, compound, pos, neu, neg FROM posts"
        )
    }


def test_parallel_scoring_stores_exactly_what_one_process_stores(tmp_path):
    posts = ground_truth_posts()
    with Store(tmp_path / "one.db") as one, ScoringPool(VADER, workers=0) as single:
        ingest(one, posts, VADER, batch_size=500, pool=single)
        expected = stored_scores(one)
    with Store(tmp_path / "two.db") as two, ScoringPool(VADER, 2, pool_after=0) as pool:
        result = ingest(two, posts, VADER, batch_size=500, pool=pool)
        assert pool.parallel  # the pool really scored
        assert result.new == 4200
        assert stored_scores(two) == expected
    reference = SentimentIntensityAnalyzer()
    scored = [post for post in posts if expected[post.id][1] is not None]
    # English tweets, but many very short: 139 are "und" or taken for another language.
    assert len(scored) == 4061
    for post in scored[:300]:
        s = reference.polarity_scores(post.text)
        assert expected[post.id][2:] == (s["compound"], s["pos"], s["neu"], s["neg"])


def test_workers_started_before_the_first_batch_store_what_one_process_stores(tmp_path):
    """An import known to be large starts its workers first (they load their models while the
    first batch is read); from then on every batch goes to them, the first included, and the
    scores come back through pickling as they were."""
    posts = ground_truth_posts()[:600]
    with Store(tmp_path / "one.db") as one, ScoringPool(VADER, workers=0) as single:
        ingest(one, posts, VADER, batch_size=200, pool=single)
        expected = stored_scores(one)
    with Store(tmp_path / "two.db") as two, ScoringPool(VADER, 1) as pool:
        pool.start()
        assert pool.parallel  # before any text: under POOL_AFTER it would score in-process
        assert ingest(two, posts, VADER, batch_size=200, pool=pool).new == 600
        assert stored_scores(two) == expected
    assert sum(label is None for _, label, *_ in expected.values()) == 30  # "und" or not English


def test_the_command_line_loads_no_store_before_an_import_starts_its_workers():
    """sqlite-utils loads pandas (about a second here): the command line imports the store only
    when a command opens it, so a large import's scoring workers start (and load their models)
    before that, and none of them carries pandas."""
    code = (
        "import sys, monitor.cli, monitor.pipeline; "
        "print(sorted(m for m in ('pandas', 'sqlite_utils', 'monitor.store') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (loaded.returncode, loaded.stdout.strip()) == (0, "[]"), loaded.stderr


@pytest.mark.parametrize("workers", [0, 1, 2])
def test_identical_texts_are_scored_once_across_batches(store, workers):
    texts = ["Great talks, I love it", "A terrible disaster", "The delegation arrived"]
    posts = [
        record_to_post(
            {
                "platform": "mastodon",
                "id": str(i),
                "text": texts[i % 3],
                "created_at": "2025-11-20T10:00:00Z",
                "tags": ["t"],
            }
        )
        for i in range(90)
    ]
    with ScoringPool(VADER, workers, pool_after=0) as pool:
        result = ingest(store, posts, VADER, batch_size=10, pool=pool)  # nine batches
    assert (result.new, result.scored) == (90, 3)
    assert result.counts() == {
        "new": 90,
        "duplicate": 0,
        "rejected": 0,
        "scored": 3,
        "skipped": {},
        "deleted": 0,
    }


def test_parallel_rescore_matches(store):
    posts = ground_truth_posts()[:1200]
    ingest(store, posts, VADER)
    expected = stored_scores(store)
    store.db.execute("UPDATE posts SET scorer_version = 'old', compound = 9, label = 'x'")
    for table in ("scores", "scores_recent"):  # nothing to reuse: every text is scored again
        store.db.execute(f"DELETE FROM {table}")
    with ScoringPool(VADER, 2, pool_after=0) as pool:
        assert rescore(store, VADER, batch_size=300, pool=pool) == 1200
        assert pool.parallel
    assert stored_scores(store) == expected
    # Trend aggregates read the label and compound copied into post_tags: they follow rescores.
    assert store.db.execute(
        "SELECT count(*) FROM post_tags t JOIN posts p USING (post_id)"
        " WHERE t.compound IS NOT p.compound OR t.platform IS NOT p.platform"
        " OR t.label IS NOT p.label"
    ).fetchone() == (0,)


def test_sql_aggregates_equal_a_pandas_reference_on_a_random_set(store):
    rng = random.Random(7)
    words = ["love", "hate", "great", "awful", "talks", "envoy", "peace", "mess", "fine", "sad"]
    start = datetime(2025, 10, 25, tzinfo=UTC)
    records = []
    for i in range(3000):
        moment = start + timedelta(seconds=rng.randrange(20 * 86400))
        records.append(
            {
                "platform": rng.choice(["mastodon", "bluesky", "reddit"]),
                "id": str(i),
                "created_at": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "text": " ".join(rng.choices(words, k=rng.randrange(1, 8))),
                "tags": rng.sample(["a", "b", "c"], rng.randrange(1, 3)),
            }
        )
    ingest(store, [record_to_post(r) for r in records], VADER)
    zone = "Europe/Berlin"  # includes the end of summer time on 26 Oct
    got = series(
        store, ["a", "b", "c"], date(2025, 10, 25), date(2025, 11, 13), zone, by="platform"
    )

    posts = pd.DataFrame(
        store.db.execute(
            "SELECT p.platform, t.tag, p.created_at, p.label, p.compound FROM posts p"
            " JOIN post_tags t USING (post_id)"
        ).fetchall(),
        columns=["platform", "tag", "created_at", "label", "compound"],
    )
    local = pd.to_datetime(posts["created_at"], utc=True).dt.tz_convert(zone)
    posts["period"] = local.dt.tz_localize(None).dt.normalize()
    posts = posts[posts["period"] <= "2025-11-13"]  # late UTC hours of the 13th are the 14th here
    posts["negative"] = posts["label"] == "negative"
    posts["positive"] = posts["label"] == "positive"
    reference = (
        posts.groupby(["period", "tag", "platform"])
        .agg(
            n=("compound", "size"),
            n_scored=("label", "count"),
            n_negative=("negative", "sum"),
            n_positive=("positive", "sum"),
            mean_compound=("compound", "mean"),
        )
        .reset_index()
    )
    merged = got.merge(
        reference, on=["period", "tag", "platform"], how="left", suffixes=("", "_ref")
    ).fillna({"n_ref": 0, "n_scored_ref": 0, "n_negative_ref": 0, "n_positive_ref": 0})
    assert len(got) == 20 * 3 * 3 and got["n"].sum() == len(posts)
    assert (merged["n"] == merged["n_ref"]).all()
    assert (merged["n_scored"] == merged["n_scored_ref"]).all()
    assert 0 < got["n_scored"].sum() < got["n"].sum()  # word salads are often no language
    assert (merged["n_negative"] == merged["n_negative_ref"]).all()
    assert (merged["n_positive"] == merged["n_positive_ref"]).all()
    busy = merged[merged["n_scored"] > 0]
    assert busy["mean_compound"].to_numpy() == pytest.approx(busy["mean_compound_ref"].to_numpy())


def test_the_pool_scores_with_the_active_scorers_own_settings():
    """A scorer travels to the workers with its settings (here a lexicon override and a
    second language): the pool's scores equal the scorer's own in this process."""
    from monitor.scoring.vader import VaderScorer

    texts = [p.text for p in ground_truth_posts()[:600]] + [
        "Die Gespräche in Genf waren konstruktiv, gute Nachrichten für alle.",
        "Diplomacy could backfire spectacularly, I love the idea of talks though.",
    ] * 50
    scorer = VaderScorer(languages=("en", "de"), lexicon={"backfire": -2.0, "love": -3.0})
    with ScoringPool(scorer, 2, pool_after=0) as pool:
        pending = pool.submit(texts)
        pooled = pending()
        assert pool.parallel and pending.ready()  # answered: asking again would not wait
    assert pooled == scorer.score(texts)
    assert pooled[-1].compound == scorer.score([texts[-1]])[0].compound < 0
    assert pooled[-2].language == "de" and pooled[-2].label is not None
