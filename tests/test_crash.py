"""Crash safety: an import killed with SIGKILL at 20 different moments leaves a consistent
database with whole batches only, and the next run ends with exactly what a clean run stores.

The moments are chosen by progress, not by the clock, so they are the same on a busy machine:
five kills as the process starts (opening, migrating), fifteen right after a batch of that run
is committed (read from the database), while the next one is being read, scored or written."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from monitor.demo import generate, write_jsonl
from tests.conftest import REPO

KILLS = 20
BATCH_SIZE = 500  # smaller than the default, so that kills land between many batches


def start_import(db: Path, source: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "--db", str(db), "import", str(source)]
        + ["--batch-size", str(BATCH_SIZE)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stored_posts(db: Path) -> int:
    """Posts committed so far (0 before the schema exists), read as a reader would."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return conn.execute("SELECT count(*) FROM posts").fetchone()[0]
    except sqlite3.OperationalError:  # no file, no table yet, or a migration holds it
        return 0


def kill_after_commits(process: subprocess.Popen, db: Path, batches: int) -> None:
    """SIGKILL once this run has committed ``batches`` batches (0: as it starts up); a run
    that ends first is left to end."""
    target = stored_posts(db) + batches * BATCH_SIZE
    while batches and process.poll() is None and stored_posts(db) < target:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)


def snapshot(db: Path) -> dict:
    with sqlite3.connect(db) as conn:
        posts = conn.execute(
            "SELECT p.platform, p.id, p.compound, p.text_key, group_concat(t.tag)"
            " FROM posts p JOIN post_tags t USING (post_id) GROUP BY p.post_id"
        ).fetchall()
    return {(platform, ident): rest for platform, ident, *rest in posts}


def check_consistent(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        if "posts" not in tables:
            # Killed during the first run's migration: its transaction rolled back whole, so
            # no schema and no migration is recorded (at most the migrations table exists).
            assert tables <= {"_sqlite_migrations", "idx__sqlite_migrations_migration_set_name"}
            if tables:
                assert conn.execute("SELECT count(*) FROM _sqlite_migrations").fetchone() == (0,)
            return 0
        conn.execute("INSERT INTO posts_fts (posts_fts) VALUES ('integrity-check')")
        posts = conn.execute("SELECT count(*) FROM posts").fetchone()[0]
        untagged = conn.execute(
            "SELECT count(*) FROM posts WHERE post_id NOT IN (SELECT post_id FROM post_tags)"
        ).fetchone()[0]
        assert untagged == 0
        duplicates = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM posts GROUP BY platform, id HAVING count(*) > 1)"
        ).fetchone()[0]
        assert duplicates == 0
    return posts


def test_sigkill_at_twenty_moments_then_the_same_result_as_a_clean_run(tmp_path):
    source = write_jsonl(generate(date(2025, 11, 23), days=60), tmp_path / "posts.jsonl")
    total = sum(1 for _ in source.open())
    clean_db = tmp_path / "clean.db"
    assert start_import(clean_db, source).wait(timeout=300) == 0
    clean = snapshot(clean_db)
    assert len(clean) == total > 10 * BATCH_SIZE

    db = tmp_path / "killed.db"
    counts = []
    for kill in range(KILLS):
        process = start_import(db, source)
        after_commit = kill % 4 != 0
        kill_after_commits(process, db, 1 if after_commit else 0)
        if db.exists():
            stored = check_consistent(db)
            before = counts[-1] if counts else 0
            # Batches are whole: a fresh run stores 500 at a time, counted from what was there;
            # the commit the kill waited for stands.
            assert stored == total or (stored - before) % BATCH_SIZE == 0
            assert stored >= min(total, before + BATCH_SIZE) if after_commit else stored >= before
            counts.append(stored)
    assert sum(0 < c < total for c in counts) >= 15, counts  # the kills landed mid-import

    assert start_import(db, source).wait(timeout=300) == 0
    assert check_consistent(db) == total
    assert snapshot(db) == clean
    with sqlite3.connect(db) as conn:  # the killed imports' runs: none left "running"
        states = dict(conn.execute("SELECT status, count(*) FROM runs GROUP BY status"))
    assert "running" not in states and states.get("interrupted", 0) >= 1, states
