"""The store: migrations, WAL, full-text search, rescoring, cursors and the runs log."""

import sqlite3
import threading
import time
from contextlib import closing

import pytest

from monitor.formats.canonical import record_to_post
from monitor.models import Score, ScoredPost
from monitor.pipeline import import_files, ingest_batch, rescore
from monitor.store import Cursor, Store
from tests.conftest import VADER, post


def full_text_matches(store: Store, query: str) -> list[tuple[str]]:
    """Ids of the posts the full-text index finds for ``query``, in id order."""
    return store.db.execute(
        "SELECT posts.id FROM posts_fts JOIN posts ON posts.rowid = posts_fts.rowid"
        " WHERE posts_fts MATCH ? ORDER BY posts.id",
        (query,),
    ).fetchall()


def test_schema_is_migrated_once_and_reopening_upgrades_nothing(tmp_path):
    path = tmp_path / "m.db"
    Store(path).close()
    with Store(path) as store:
        names = [r[0] for r in store.db.execute("SELECT name FROM _sqlite_migrations")]
        assert names == [
            "m001_initial",
            "m002_fts_reindex_on_text_only",
            "m003_fts_indexed_per_batch",
            "m004_trend_covering_index",
            "m005_languages_labels_and_scores",
            "m006_no_text_key_index",
            "m007_evaluations",
            "m008_scorer_version_index",
            "m009_search_visible_text_and_links_apart",
            "m010_deliveries",
            "m011_recent_scores",
            "m012_no_created_ts_index",
            "m013_compact_trend_index",
            "m014_fts_fewer_merges",
            "m015_delivery_claims",
            "m016_trend_index_probabilities",
        ]
        assert store.db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert store.db.execute(
            "SELECT v FROM posts_fts_config WHERE k = 'automerge'"
        ).fetchone() == (16,)
        assert {"posts", "tag_rows", "tags", "raw_posts", "cursors", "runs", "posts_fts"} <= set(
            store.db.table_names()
        )


def test_full_text_search_finds_posts(store, write_jsonl):
    import_files(
        store,
        [
            write_jsonl(
                [
                    post(
                        "1",
                        "2025-11-20T10:00:00Z",
                        "Diplomacy isn't a game for realtors",
                        tags=["a"],
                    ),
                    post("2", "2025-11-20T10:00:00Z", "Fresh perspectives", tags=["a"]),
                ]
            )
        ],
        VADER,
    )
    assert full_text_matches(store, "realtors") == [("1",)]


def test_rescore_updates_only_posts_of_another_scorer_version(store, write_jsonl):
    import_files(
        store,
        [
            write_jsonl(
                [
                    post(str(i), "2025-11-20T10:00:00Z", text, tags=["a"])
                    for i, text in enumerate(["I love it", "I hate it", "I love it"])
                ]
            )
        ],
        VADER,
    )
    before = store.db.execute("SELECT compound FROM posts ORDER BY post_id").fetchall()
    store.db.execute("UPDATE posts SET scorer_version = 'old', compound = 0 WHERE id != '1'")
    assert rescore(store, VADER) == 2
    assert store.db.execute("SELECT compound FROM posts ORDER BY post_id").fetchall() == before
    assert store.scorer_versions() == {VADER.version: 3}
    assert rescore(store, VADER) == 0


def test_cursor_is_written_with_its_batch_or_not_at_all(store):
    bad = post("1", "2025-11-20T10:00:00Z", "x", tags=["a"])
    cursor = Cursor("mastodon", "https://m.example", "a", {"min_id": "5"})
    store.write_batch([], [], [cursor])
    assert store.cursor("mastodon", "https://m.example", "a") == {"min_id": "5"}
    # A failure half-way through the batch (here a trigger) must take the cursor down with it.
    store.db.execute(
        "CREATE TRIGGER boom BEFORE INSERT ON tag_rows BEGIN SELECT RAISE(ABORT, 'boom'); END"
    )
    later = Cursor("mastodon", "https://m.example", "a", {"min_id": "9"})
    with pytest.raises(sqlite3.IntegrityError, match="boom"):
        ingest_batch(store, [record_to_post(bad)], VADER, [later])
    assert store.db.execute("SELECT count(*) FROM posts").fetchone() == (0,)
    assert store.cursor("mastodon", "https://m.example", "a") == {"min_id": "5"}


def test_stored_batches_reach_the_database_file_itself_while_the_store_is_open(store, tmp_path):
    """New posts first live in the write-ahead log beside the database; after each batch a
    thread of the store's own copies them into the database file, while the writer goes on
    (it no longer copies the log itself), so the file alone holds them without a close."""
    score = Score("en", "positive", 0.5, 0.4, 0.6, 0.0)

    def posts_in_the_file_alone() -> int | None:
        alone = tmp_path / "alone.db"
        alone.write_bytes(store.path.read_bytes())  # without its -wal file
        try:
            with closing(sqlite3.connect(alone)) as conn:
                return conn.execute("SELECT count(*) FROM posts").fetchone()[0]
        except sqlite3.DatabaseError:  # copied half-way through a checkpoint: look again
            return None
        finally:
            alone.unlink()

    def wait_for(expected: int) -> int | None:
        for _ in range(300):
            if (found := posts_in_the_file_alone()) == expected:
                break
            time.sleep(0.1)
        return found

    for first in (0, 50):
        posts = [
            record_to_post(post(str(i), "2025-11-20T10:00:00Z", f"talks {i}", tags=["a"]))
            for i in range(first, first + 50)
        ]
        store.write_batch([ScoredPost(p, f"k{p.id}", score) for p in posts], scorer_version="v")
        assert wait_for(first + 50) == first + 50
    assert store.db.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
    assert f"checkpointer {store.path}" in {t.name for t in threading.enumerate()}
    store.close()
    assert f"checkpointer {store.path}" not in {t.name for t in threading.enumerate()}


def test_a_post_stored_by_another_process_meanwhile_is_kept_and_gains_the_new_tags(store):
    """Between a batch's look-ups and its write another process may store one of its posts:
    the write keeps that row, adds the batch's tags to it, and stores the rest."""
    score = Score("en", "positive", 0.5, 0.4, 0.6, 0.0)
    other = record_to_post(post("2", "2025-11-20T11:00:00Z", "stored meanwhile", tags=["a"]))
    store.write_batch([ScoredPost(other, "k2", score)], scorer_version="v")
    batch = [
        record_to_post(post(i, "2025-11-20T10:00:00Z", f"post {i} talks", tags=["a", "b"]))
        for i in ("1", "2", "3")
    ]
    assert store.write_batch(
        [ScoredPost(p, f"key{p.id}", score) for p in batch], scorer_version="v"
    ) == (2, 1, {"b": 1})
    rows = store.db.execute(
        "SELECT p.id, p.text, group_concat(t.tag, ',') FROM posts p JOIN post_tags t"
        " USING (post_id) GROUP BY p.post_id ORDER BY p.id"
    ).fetchall()
    assert rows == [
        ("1", "post 1 talks", "a,b"),
        ("2", "stored meanwhile", "a,b"),
        ("3", "post 3 talks", "a,b"),
    ]
    # each indexed once, by whoever stored it
    assert full_text_matches(store, "talks OR meanwhile") == [("1",), ("2",), ("3",)]
    assert store.db.execute("SELECT count(*) FROM posts_fts").fetchone() == (3,)


def test_new_scores_wait_in_a_small_table_then_move_into_scores_all_at_once(store):
    """Scores are found by key in either table; once scores_recent holds ``recent_scores``
    rows they all move into scores in the same transaction, and a text kept in either table
    is not scored again."""
    store.recent_scores = 5
    texts = [f"talk number {n} went {'well' if n % 2 else 'badly'}" for n in range(9)]

    def batch(numbers: range | tuple, prefix: str = "") -> list:
        return [
            record_to_post(post(f"{prefix}{n}", "2025-11-20T10:00:00Z", texts[n], tags=["t"]))
            for n in numbers
        ]

    def rows() -> tuple[int, int]:
        count = "SELECT count(*) FROM {}"
        return tuple(
            store.db.execute(count.format(t)).fetchone()[0] for t in ("scores_recent", "scores")
        )

    assert ingest_batch(store, batch(range(3)), VADER).scored == 3
    assert rows() == (3, 0)
    assert ingest_batch(store, batch(range(3, 7)), VADER).scored == 4
    assert rows() == (0, 7)
    assert ingest_batch(store, batch(range(7, 9)), VADER).scored == 2
    assert rows() == (2, 7)
    assert ingest_batch(store, batch((1, 8), prefix="repost"), VADER).scored == 0
    assert store.db.execute(
        "SELECT r.id, r.compound = o.compound, r.label = o.label FROM posts r"
        " JOIN posts o ON o.id = substr(r.id, 7) WHERE r.id LIKE 'repost%' ORDER BY r.id"
    ).fetchall() == [("repost1", 1, 1), ("repost8", 1, 1)]


def test_an_older_database_upgrades_in_place_keeping_its_posts(tmp_path, write_jsonl):
    from sqlite_utils import Database

    from monitor.migrations import migrations

    path = tmp_path / "old.db"
    old = Database(path)
    migrations.apply(
        old, stop_before="m002_fts_reindex_on_text_only"
    )  # as an older release left it
    old.close()
    with Store(path) as store:  # opening applies what is pending
        import_files(
            store,
            [write_jsonl([post("1", "2025-11-20T10:00:00Z", "I love it", tags=["a"])])],
            VADER,
        )
        assert [p["id"] for p in store.search("love")] == ["1"]
        store.db.execute("INSERT INTO posts_fts (posts_fts) VALUES ('integrity-check')")


def test_posts_scored_before_the_language_gate_keep_their_scores_and_are_stale(tmp_path):
    """A database from before scorers (m004) upgrades in place: posts keep their numbers,
    gain the label the default threshold gives, and count as stale until a rescore."""
    from sqlite_utils import Database

    from monitor.migrations import migrations

    path = tmp_path / "m004.db"
    old = Database(path)
    migrations.apply(old, stop_before="m005_languages_labels_and_scores")
    rows = [
        ("1", "I love these talks, they went well", 0.6369),
        ("2", "I hate these talks, they went badly", -0.5719),
        ("3", "Die Gespräche in Genf waren konstruktiv und gut.", -0.5994),
    ]
    for i, (ident, text, compound) in enumerate(rows):
        old.execute(
            "INSERT INTO posts (platform, id, created_at, created_ts, text, text_key, compound,"
            " pos, neu, neg, scorer_version, collected_at) VALUES ('mastodon', ?,"
            " '2025-11-20T10:00:00Z', 1763632800, ?, ?, ?, 0, 0, 0, 'vaderSentiment-3.3.2',"
            " '2025-11-20T10:00:00Z')",
            (ident, text, f"k{i}", compound),
        )
        old.execute(
            "INSERT INTO post_tags (post_id, tag, created_ts, platform, compound)"
            " VALUES (?, 'a', 1763632800, 'mastodon', ?)",
            (i + 1, compound),
        )
    old.execute("INSERT INTO posts_fts (rowid, text) SELECT post_id, text FROM posts")
    old.conn.commit()
    old.close()
    with Store(path) as store:
        assert store.db.execute(
            "SELECT id, compound, label, language, scorer_version FROM posts ORDER BY id"
        ).fetchall() == [
            ("1", 0.6369, "positive", None, "vaderSentiment-3.3.2"),
            ("2", -0.5719, "negative", None, "vaderSentiment-3.3.2"),
            ("3", -0.5994, "negative", None, "vaderSentiment-3.3.2"),
        ]
        assert store.db.execute("SELECT label FROM post_tags ORDER BY post_id").fetchall() == [
            ("positive",),
            ("negative",),
            ("negative",),
        ]
        assert full_text_matches(store, "hate") == [("2",)]
        assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert store.count_stale(VADER.version) == 3
        assert rescore(store, VADER) == 3
        assert store.db.execute("SELECT id, language, label FROM posts ORDER BY id").fetchall() == [
            ("1", "en", "positive"),
            ("2", "en", "negative"),
            ("3", "de", None),
        ]
        assert store.db.execute(
            "SELECT label, compound FROM post_tags WHERE post_id = 3"
        ).fetchone() == (None, None)
        assert store.count_stale(VADER.version) == 0


def test_tags_stored_by_name_read_the_same_after_the_compact_trend_index(tmp_path):
    """m013 moves post_tags into tag_rows (tags as numbers, labels as -1/0/1); the view
    post_tags, the tag list and the trend aggregates read what was stored before."""
    from sqlite_utils import Database

    from monitor.migrations import migrations
    from monitor.store import Bucket

    path = tmp_path / "m012.db"
    old = Database(path)
    migrations.apply(old, stop_before="m013_compact_trend_index")
    rows = [  # post, tag, label, compound
        (1, "peace", "negative", -0.5),
        (1, "talks", "negative", -0.5),
        (2, "talks", "neutral", 0.0),
        (3, "talks", "positive", 0.6),
        (4, "talks", None, None),
    ]
    for post_id in range(1, 5):
        old.execute(
            "INSERT INTO posts (post_id, platform, id, created_at, created_ts, text, text_key,"
            " scorer_version, collected_at) VALUES (?, 'bluesky', ?, '2025-11-20T10:00:00Z',"
            " 1763632800, 'text', ?, 'v', '2025-11-20T10:00:00Z')",
            (post_id, str(post_id), f"k{post_id}"),
        )
    old.conn.executemany(
        "INSERT INTO post_tags (post_id, tag, created_ts, platform, label, compound)"
        " VALUES (?, ?, 1763632800, 'bluesky', ?, ?)",
        rows,
    )
    old.conn.commit()
    old.close()
    with Store(path) as store:
        assert (
            store.db.execute(
                "SELECT post_id, tag, label, compound FROM post_tags ORDER BY post_id, tag"
            ).fetchall()
            == rows
        )
        assert store.db.execute(
            "SELECT label FROM tag_rows ORDER BY post_id, tag_id"
        ).fetchall() == [(-1,), (-1,), (0,), (1,), (None,)]
        assert store.tags() == ["peace", "talks"]
        [talks] = store.aggregate([Bucket(1763596800, 1763683200)], ["talks"])
        assert (talks["n"], talks["n_scored"], talks["n_negative"], talks["n_positive"]) == (
            4,
            3,
            1,
            1,
        )
        assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_a_snapshot_sees_one_moment_while_another_process_writes(tmp_path):
    """What a report reads inside ``snapshot()`` agrees with itself: posts stored meanwhile by
    another connection (an import, a collect) appear only after it."""
    with Store(tmp_path / "m.db") as reader, Store(tmp_path / "m.db") as writer:
        first = [record_to_post(post("1", "2025-11-20T10:00:00Z", "good talks", tags=["t"]))]
        ingest_batch(writer, first, VADER)
        with reader.snapshot():
            before = reader.count_posts()
            later = [record_to_post(post("2", "2025-11-20T11:00:00Z", "bad talks", tags=["t"]))]
            ingest_batch(writer, later, VADER)  # not blocked by the reader (WAL)
            assert reader.count_posts() == before == 1
        assert reader.count_posts() == 2


def test_the_trend_index_carries_each_posts_neg_through_every_write(store):
    """tag_rows holds the post's own neg (what the probability-weighted shares sum):
    on insert, on a tag gained later (also when another process stored the post), and after
    a rescore changes them; the aggregate sums them per bucket."""
    from monitor.store import Bucket

    first = Score("en", "negative", -0.5, 0.1, 0.2, 0.7)
    other = record_to_post(post("2", "2025-11-20T11:00:00Z", "stored meanwhile", tags=["a"]))
    store.write_batch([ScoredPost(other, "k2", first)], scorer_version="v")
    batch = [
        record_to_post(post(i, "2025-11-20T10:00:00Z", f"post {i}", tags=["a", "b"]))
        for i in ("1", "2")
    ]
    second = Score("en", "positive", 0.5, 0.6, 0.3, 0.1)
    store.write_batch([ScoredPost(p, f"key{p.id}", second) for p in batch], scorer_version="v")

    def index() -> list[tuple]:
        return store.db.execute(
            "SELECT p.id, t.tag, t.neg, t.compound FROM post_tags t JOIN posts p USING (post_id)"
            " ORDER BY p.id, t.tag"
        ).fetchall()

    assert index() == [
        ("1", "a", 0.1, 0.5),
        ("1", "b", 0.1, 0.5),
        ("2", "a", 0.7, -0.5),
        ("2", "b", 0.7, -0.5),  # gained later: the stored post's numbers
    ]
    [post_2] = store.db.execute("SELECT post_id FROM posts WHERE id = '2'").fetchone()
    store.update_scores("w", [(post_2, Score("en", "neutral", 0.0, 0.25, 0.5, 0.25))])
    assert index()[2:] == [("2", "a", 0.25, 0.0), ("2", "b", 0.25, 0.0)]
    [b] = store.aggregate([Bucket(1763596800, 1763683200)], ["b"])
    assert (b["sum_neg"], b["sum_compound"]) == pytest.approx((0.35, 0.5))


def test_the_trend_index_gains_neg_from_the_stored_posts(tmp_path):
    """m016 copies each stored post's neg into tag_rows, and the rescore trigger
    keeps them current."""
    from sqlite_utils import Database

    from monitor.migrations import migrations

    path = tmp_path / "m015.db"
    old = Database(path)
    migrations.apply(old, stop_before="m016_trend_index_probabilities")
    old.execute(
        "INSERT INTO posts (post_id, platform, id, created_at, created_ts, text, text_key, label,"
        " compound, pos, neu, neg, scorer_version, collected_at) VALUES (1, 'bluesky', '1',"
        " '2025-11-20T10:00:00Z', 1763632800, 'text', 'k1', 'negative', -0.4, 0.2, 0.2, 0.6,"
        " 'v', '2025-11-20T10:00:00Z')"
    )
    old.execute("INSERT INTO tags (tag) VALUES ('talks')")
    old.execute(
        "INSERT INTO tag_rows (post_id, tag_id, created_ts, platform, label, compound)"
        " VALUES (1, 1, 1763632800, 'bluesky', -1, -0.4)"
    )
    old.conn.commit()
    old.close()
    with Store(path) as store:
        assert store.db.execute("SELECT neg FROM post_tags").fetchall() == [(0.6,)]
        store.update_scores("w", [(1, Score("en", "positive", 0.4, 0.6, 0.2, 0.2))])
        assert store.db.execute("SELECT label, neg FROM post_tags").fetchall() == [
            ("positive", 0.2)
        ]
