"""The SQLite store: with ``migrations.py`` (the schema's history), the only module that speaks
SQL.

Schema changes go through sqlite-utils migrations, so an existing database upgrades in place.
Every write is one short transaction (``db.atomic()``), in WAL mode, so readers (reports,
plots) never wait for a collect, and a killed process leaves either a whole batch or none.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sqlite3
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from monitor.errors import MonitorError
from monitor.migrations import LABEL_TO_CODE, migrations
from monitor.models import Post, Score, ScoredPost
from monitor.text import (
    format_timestamp,
    looks_like_link,
    near_duplicate_key,
    printable,
    search_fields,
)

log = logging.getLogger(__name__)


def _match_word(word: str) -> str:
    """One word of a plain search as an FTS5 phrase: in the visible text, or for a link or a
    domain, in the text or the links."""
    columns = "{text links}" if looks_like_link(word) else "text"
    quoted = word.replace('"', '""')
    return f'{columns} : "{quoted}"'


def _message(error: str | None) -> str | None:
    """An error as stored: a server's or a file's words may hold terminal escapes or
    undecodable bytes, which ``status`` would print and SQLite cannot store."""
    return None if error is None else printable(error)


def _now() -> str:
    return format_timestamp(datetime.now(UTC))


BUSY_TIMEOUT = 30  # seconds a write waits for another process's transaction to end


class StoreFull(MonitorError):
    """The disk (or the database's size limit) is full; the write in progress was rolled
    back whole, so nothing already stored is lost."""


class StoreBusy(MonitorError):
    """Another process held the write lock for longer than the busy timeout; this write was
    not made, everything stored before it is intact."""


def _writes(method: Callable) -> Callable:
    """Turn SQLite's 'database or disk is full' into one clear StoreFull, and 'database is
    locked' (another writer past the busy timeout) into one clear StoreBusy."""

    @functools.wraps(method)
    def guarded(self: Store, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc):
                raise StoreBusy(
                    f"{self.path}: another process has been writing to the database for over "
                    f"{BUSY_TIMEOUT} s (a long import, backfill load or rescore?); this "
                    "command's write was not made, everything stored before it is intact: "
                    "run it again when the other is done"
                ) from None
            if "full" not in str(exc):
                raise
            raise StoreFull(
                f"{self.path}: the disk is full ({exc}); the batch in progress was rolled "
                "back, everything stored before it is intact: free space and run again"
            ) from None

    return guarded


# Held while a checkpoint runs; a fork (the scoring pool's workers may start mid-import) waits
# for it, so no child begins life with a copy of SQLite half-way through a checkpoint.
_CHECKPOINTING = threading.Lock()
os.register_at_fork(
    before=_CHECKPOINTING.acquire,
    after_in_parent=_CHECKPOINTING.release,
    after_in_child=_CHECKPOINTING.release,
)


class Checkpointer:
    """Copies the write-ahead log into the database file from a thread with its own
    connection, each time it is nudged (after every stored batch), so the writer never waits
    for that copy nor for the disk to flush it: 100,000 posts into a database of 1,000,000 took
    1.4 s less of about 21 s on average (nine alternating pairs), into an empty one the same.
    A passive checkpoint never blocks the writer or readers; the log starts over once it is all
    copied. What is left when the store closes, SQLite copies on closing, as before."""

    def __init__(self, path: Path) -> None:
        self._wanted = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(
            target=self._run, args=(path,), name=f"checkpointer {path}", daemon=True
        )
        self._thread.start()

    def nudge(self) -> None:
        self._wanted.set()

    def stop(self) -> None:
        self._stopping = True
        self._wanted.set()
        self._thread.join()

    def _run(self, path: Path) -> None:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)
        try:
            while True:
                self._wanted.wait()
                self._wanted.clear()
                if self._stopping:
                    return
                try:
                    with _CHECKPOINTING:
                        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error as exc:  # the log then grows until the next one succeeds
                    log.warning("%s: copying the write-ahead log failed: %s", path, exc)
        finally:
            conn.close()


@dataclass(frozen=True)
class Cursor:
    """Where one source stopped for one (instance, tag); stored with the posts it covers."""

    source: str
    instance: str
    tag: str
    value: dict[str, Any]


@dataclass(frozen=True)
class Bucket:
    """A half-open time range [start_ts, end_ts): a local day or hour; ``start_ts`` names it."""

    start_ts: int
    end_ts: int


class Store:
    """One SQLite database. Open with ``Store(path)``; use as a context manager to close it."""

    # New scores wait in scores_recent until it holds this many, then move into scores.
    recent_scores = 100_000

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
            self.db = Database(conn, execute_plugins=False)
            self._use_wal()
            self.db.execute("PRAGMA synchronous = NORMAL")
            # 64 MB of page cache (2 MB by default) keeps the index pages a batch of 10,000
            # posts writes in memory until its commit: at most 64 MB more per connection.
            self.db.execute("PRAGMA cache_size = -65536")
            # Copy the write-ahead log into the database every 256 MB instead of every 4 MB.
            # In a large database every batch dirties thousands of random index pages; a
            # checkpoint writes each page once however often the batches since changed it:
            # 100,000 posts into a database of 1,000,000 took 28 s with 64 MB, 20 s with
            # 256 MB. The WAL file may reach 256 MB on disk; housekeeping truncates it.
            # Once this connection writes batches, a thread of its own copies the log instead
            # (see Checkpointer).
            self.db.execute("PRAGMA wal_autocheckpoint = 64000")
            self._checkpointer: Checkpointer | None = None
            self.db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise MonitorError(f"{self.path}: cannot open the database: {exc}") from None

    def _use_wal(self) -> None:
        """WAL mode is kept in the file, so only the first opener switches it; that switch
        does not wait on the busy timeout, so when two processes create the database at
        once, the loser retries for a while."""
        for attempt in range(100):
            try:
                if self.db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    self.db.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError:
                if attempt == 99:
                    raise
                time.sleep(0.1)

    def _migrate(self) -> None:
        """Apply pending migrations under a write lock: when several processes open a new
        database at once, one migrates and the others then find nothing pending."""
        if not migrations.pending(self.db):
            return
        # A table rebuild drops the parent of foreign keys for a moment: SQLite's procedure is
        # keys off (outside the transaction), rebuild, check every key, commit, keys on.
        self.db.execute("PRAGMA foreign_keys = OFF")
        self.db.execute("BEGIN IMMEDIATE")
        try:
            migrations.apply(self.db)  # each migration runs in a savepoint of this transaction
            broken = self.db.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise MonitorError(f"{self.path}: migration broke foreign keys: {broken[:3]}")
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.conn.in_transaction:
                self.db.execute("ROLLBACK")
            raise
        finally:
            self.db.execute("PRAGMA foreign_keys = ON")

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
        self.db.close()

    def _rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict]:
        cursor = self.db.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    # --- writing -------------------------------------------------------------------------

    def _by_key(self, keys: Iterable[tuple[str, str]], columns: str) -> Iterator[tuple]:
        """(platform, id, *columns) of the stored posts among ``keys`` (platform, id), asked
        for 500 ids of one platform at a time."""
        by_platform: dict[str, list[str]] = {}
        for platform, post_id in keys:
            by_platform.setdefault(platform, []).append(post_id)
        for platform, ids in by_platform.items():
            for chunk in _chunks(ids, 500):
                yield from self.db.execute(
                    f"SELECT platform, id, {columns} FROM posts"
                    f" WHERE platform = ? AND id IN ({','.join('?' * len(chunk))})",
                    [platform, *chunk],
                )

    def existing_ids(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """post_id of each (platform, id) already stored."""
        return {
            (platform, ident): post_id for platform, ident, post_id in self._by_key(keys, "post_id")
        }

    def tags(self) -> list[str]:
        """Every tag the database holds posts for."""
        query = (
            "SELECT tag FROM tags g WHERE EXISTS"
            " (SELECT 1 FROM tag_rows r WHERE r.tag_id = g.tag_id) ORDER BY tag"
        )
        return [t for (t,) in self.db.execute(query)]

    def platforms(self) -> list[str]:
        """Every platform the database holds posts from."""
        query = "SELECT DISTINCT platform FROM posts ORDER BY platform"
        return [p for (p,) in self.db.execute(query)]

    @_writes
    def delete_posts(self, keys: Iterable[tuple[str, str]]) -> int:
        """Remove posts by (platform, id), with their tags, raw payloads and search entries:
        posts their authors deleted. Returns how many were stored."""
        ids = list(self.existing_ids(keys).values())
        with self.db.atomic():
            for chunk in _chunks(ids, 500):
                marks = ",".join("?" * len(chunk))
                for table in ("tag_rows", "raw_posts", "posts"):
                    self.db.execute(f"DELETE FROM {table} WHERE post_id IN ({marks})", chunk)
        return len(ids)

    def known_scores(self, text_keys: Iterable[str], version: str) -> dict[str, Score]:
        """Scores already stored for these text keys by this scorer version (primary-key
        look-ups in the two score tables, however many posts share a text)."""
        found = {}
        columns = "text_key, language, label, compound, pos, neu, neg"
        for chunk in _chunks(list(text_keys), 500):
            where = f"WHERE scorer_version = ? AND text_key IN ({','.join('?' * len(chunk))})"
            for row in self.db.execute(
                f"SELECT {columns} FROM scores_recent {where}"
                f" UNION ALL SELECT {columns} FROM scores {where}",
                [version, *chunk, version, *chunk],
            ):
                found[row[0]] = Score(*row[1:])
        return found

    def _remember_scores(self, version: str, scores: Iterable[tuple[str, Score]]) -> None:
        """Keep new scores in scores_recent; once it is full, move them all into scores in
        key order, in the caller's transaction (see m011_recent_scores)."""
        columns = "text_key, scorer_version, language, label, compound, pos, neu, neg"
        cursor = self.db.conn.executemany(
            f"INSERT OR IGNORE INTO scores_recent ({columns}) VALUES (?,?,?,?,?,?,?,?)",
            [(key, version, *score.values()) for key, score in scores],
        )
        if cursor.rowcount <= 0:
            return
        waiting = self.db.execute("SELECT count(*) FROM scores_recent").fetchone()[0]
        if waiting >= self.recent_scores:
            self.db.execute(
                f"INSERT OR IGNORE INTO scores ({columns}) SELECT {columns} FROM scores_recent"
                " ORDER BY text_key, scorer_version"
            )
            self.db.execute("DELETE FROM scores_recent")

    @_writes
    def write_batch(
        self,
        new: Sequence[ScoredPost],
        seen: Sequence[tuple[int, Post]] = (),
        cursors: Sequence[Cursor] = (),
        scorer_version: str = "",
        new_scores: Iterable[tuple[str, Score]] = (),
    ) -> tuple[int, int, Counter[str]]:
        """Store one batch in one transaction: new posts with their tags and raw payloads,
        new tags and fresh engagement counts for posts already stored, the cursors that cover
        them, and the scores the batch computed (text key, score), kept for later look-ups by
        key. Returns (inserted, already present, tags gained by posts already present: how many
        per tag); a post another process stored in the meantime counts as already present."""
        collected_at = _now()
        with self.db.atomic():
            self._remember_scores(scorer_version, new_scores)
            stored = self._insert_posts(new, scorer_version, collected_at)
            posts = {item.post.key: item.post for item in new}
            stored_meanwhile = self.existing_ids(posts.keys() - stored)  # by another process
            seen = [*seen, *((post_id, posts[k]) for k, post_id in stored_meanwhile.items())]
            self.db.conn.executemany(
                "INSERT INTO posts_fts (rowid, text, links) VALUES (?, ?, ?)",
                [(stored[k][0], *search_fields(posts[k].text)) for k in stored],
            )
            tag_ids = self._tag_ids(tag for post in posts.values() for tag in post.tags)
            tags = [
                (
                    post_id,
                    tag_ids[tag],
                    int(posts[key].created_at.timestamp()),
                    key[0],
                    label,
                    compound,
                    neg,
                )
                for key, (post_id, label, compound, neg) in stored.items()
                for tag in posts[key].tags
            ]
            self.db.conn.executemany(
                "INSERT INTO raw_posts (post_id, raw) VALUES (?, ?)",
                [
                    (stored[k][0], zlib.compress(json.dumps(p.raw).encode("utf-8")))
                    for k, p in posts.items()
                    if p.raw is not None and k in stored
                ],
            )
            gained = self._add_tags(seen)
            for post_id, post in seen:
                if post.metrics:
                    self.db.execute(
                        "UPDATE posts SET metrics = ? WHERE post_id = ?",
                        (_json(post.metrics), post_id),
                    )
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO tag_rows (post_id, tag_id, created_ts, platform, label,"
                f" compound, neg) VALUES (?,?,?,?,{LABEL_TO_CODE.format('?')},?,?)",
                tags,
            )
            for cursor in cursors:
                self.db.execute(
                    "INSERT INTO cursors (source, instance, tag, value, updated_at)"
                    " VALUES (?,?,?,?,?) ON CONFLICT (source, instance, tag)"
                    " DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                    (cursor.source, cursor.instance, cursor.tag, _json(cursor.value), collected_at),
                )
        self._copy_log_in_background()
        return len(stored), len(seen), gained

    def _copy_log_in_background(self) -> None:
        """After each batch, the log goes into the database file from another thread, while
        this one goes on (see Checkpointer); this connection no longer copies it itself."""
        if self._checkpointer is None:
            self.db.execute("PRAGMA wal_autocheckpoint = 0")
            self._checkpointer = Checkpointer(self.path)
        self._checkpointer.nudge()

    def _add_tags(self, seen: Sequence[tuple[int, Post]]) -> Counter[str]:
        """Known posts gain the batch's tags they lack (with their stored values); how many
        posts gained each tag."""
        wanted = {(post_id, tag) for post_id, post in seen for tag in post.tags}
        have: set[tuple[int, str]] = set()
        for chunk in _chunks(sorted({post_id for post_id, _ in wanted}), 500):
            marks = ",".join("?" * len(chunk))
            query = f"SELECT post_id, tag FROM post_tags WHERE post_id IN ({marks})"
            have.update(self.db.execute(query, chunk).fetchall())
        missing = sorted(wanted - have)
        tag_ids = self._tag_ids(tag for _, tag in missing)
        self.db.conn.executemany(
            "INSERT INTO tag_rows (post_id, tag_id, created_ts, platform, label, compound, neg)"
            f" SELECT post_id, ?, created_ts, platform, {LABEL_TO_CODE.format('label')},"
            " compound, neg FROM posts WHERE post_id = ?",
            [(tag_ids[tag], post_id) for post_id, tag in missing],
        )
        return Counter(tag for _, tag in missing)

    def _tag_ids(self, names: Iterable[str]) -> dict[str, int]:
        """The tag_id of each tag name, new names added to ``tags``."""
        unique = sorted(set(names))
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO tags (tag) VALUES (?)", [(n,) for n in unique]
        )
        ids: dict[str, int] = {}
        for chunk in _chunks(unique, 500):
            marks = ",".join("?" * len(chunk))
            ids.update(
                self.db.execute(f"SELECT tag, tag_id FROM tags WHERE tag IN ({marks})", chunk)
            )
        return ids

    def _insert_posts(
        self, new: Sequence[ScoredPost], scorer_version: str, collected_at: str
    ) -> dict[tuple[str, str], tuple[int, str | None, float | None, float | None]]:
        """Insert new posts in one statement; (post_id, label, compound, neg) of each one
        inserted (what the trend index copies).
        A post another process stored in the meantime is left as it is and missing from the
        result.

        In a write transaction rowids are handed out one above the largest, so the rows this
        statement inserted are the last ``rowcount`` ids, in the order given when none was
        left out."""
        cursor = self.db.conn.executemany(
            "INSERT INTO posts (platform, id, created_at, created_ts, text, author, url, lang,"
            " metrics, text_key, language, label, compound, pos, neu, neg, scorer_version,"
            " collected_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT (platform, id) DO NOTHING",
            [
                (
                    item.post.platform,
                    item.post.id,
                    format_timestamp(item.post.created_at),
                    int(item.post.created_at.timestamp()),
                    item.post.text,
                    item.post.author,
                    item.post.url,
                    item.post.lang,
                    _json(item.post.metrics),
                    item.text_key,
                    *item.score.values(),
                    scorer_version,
                    collected_at,
                )
                for item in new
            ],
        )
        inserted = cursor.rowcount
        if inserted <= 0:
            return {}
        last = self.db.execute("SELECT last_insert_rowid()").fetchone()[0]
        if inserted == len(new):
            return {
                item.post.key: (
                    post_id,
                    item.score.label,
                    item.score.compound,
                    item.score.neg,
                )
                for post_id, item in zip(range(last - inserted + 1, last + 1), new, strict=True)
            }
        rows = self.db.execute(
            "SELECT platform, id, post_id, label, compound, neg FROM posts WHERE post_id > ?",
            (last - inserted,),
        )
        return {(platform, ident): tuple(rest) for platform, ident, *rest in rows}

    def cursor(self, source: str, instance: str, tag: str) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT value FROM cursors WHERE source = ? AND instance = ? AND tag = ?",
            (source, instance, tag),
        ).fetchone()
        return json.loads(row[0]) if row else None

    @_writes
    def start_run(self, job: str, source: str | None = None) -> int:
        with self.db.atomic():
            cursor = self.db.execute(
                "INSERT INTO runs (job, source, started_at, status, pid) VALUES (?,?,?,?,?)",
                (job, source, _now(), "running", os.getpid()),
            )
        return int(cursor.lastrowid)

    @_writes
    def finish_run(
        self,
        run_id: int,
        status: str,
        counts: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        with self.db.atomic():
            self.db.execute(
                "UPDATE runs SET finished_at = ?, status = ?, counts = ?, error = ?"
                " WHERE run_id = ?",
                (_now(), status, _json(counts), _message(error), run_id),
            )

    @_writes
    def mark_interrupted(self) -> int:
        """Runs still marked running whose process is gone (killed, out of power) are marked
        interrupted, so no run stays ``running`` forever. Returns how many."""
        running = self.db.execute("SELECT run_id, pid FROM runs WHERE status = 'running'")
        dead = [run_id for run_id, pid in running.fetchall() if not process_alive(pid)]
        if not dead:
            return 0
        with self.db.atomic():
            self.db.conn.executemany(
                "UPDATE runs SET status = 'interrupted', finished_at = ?,"
                " error = coalesce(error, 'the process ended before the run finished')"
                " WHERE run_id = ? AND status = 'running'",
                [(_now(), run_id) for run_id in dead],
            )
        log.warning("%d run(s) whose process ended mid-run are marked interrupted", len(dead))
        return len(dead)

    def snapshot(self) -> AbstractContextManager:
        """One read transaction: every query inside sees the database at one moment, however
        many writes land meanwhile (a report's files then agree with each other)."""
        return self.db.atomic()

    def runs(
        self, job: str | None = None, limit: int = 50, source: str | None = None
    ) -> list[dict]:
        """Runs newest first, of one job and source if given."""
        conditions = [(c, v) for c, v in (("job = ?", job), ("source = ?", source)) if v]
        where = ("WHERE " + " AND ".join(c for c, _ in conditions)) if conditions else ""
        return self._rows(
            f"SELECT * FROM runs {where} ORDER BY run_id DESC LIMIT ?",
            [*(v for _, v in conditions), limit],
        )

    def first_good_collects(self) -> dict[str, str]:
        """Each source's first successful collect run: when it began."""
        rows = self.db.execute(
            "SELECT source, min(started_at) FROM runs"
            " WHERE job = 'collect' AND status = 'ok' AND source IS NOT NULL GROUP BY source"
        )
        return dict(rows.fetchall())

    def cursors(self, source: str) -> list[dict]:
        rows = self._rows("SELECT * FROM cursors WHERE source = ? ORDER BY instance, tag", [source])
        for row in rows:
            row["value"] = json.loads(row["value"])
        return rows

    @_writes
    def housekeeping(self, raw_before_ts: int | None = None) -> dict[str, int]:
        """Delete raw payloads of posts created before ``raw_before_ts`` (if given), then let
        SQLite refresh its statistics and fold the WAL back into the database file."""
        deleted = 0
        if raw_before_ts is not None:
            with self.db.atomic():
                deleted = self.db.execute(
                    "DELETE FROM raw_posts WHERE post_id IN"
                    " (SELECT post_id FROM posts WHERE created_ts < ?)",
                    (raw_before_ts,),
                ).rowcount
        self.db.execute("PRAGMA optimize")
        busy, wal_pages, moved = self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return {
            "raw_deleted": deleted,
            "wal_pages": wal_pages,
            "checkpointed": moved,
            "checkpoint_busy": busy,
        }

    # --- rescoring -----------------------------------------------------------------------

    def stale_texts(self, version: str, after_post_id: int, limit: int) -> list[tuple]:
        """(post_id, text_key, text) of posts scored by another version, in post_id order."""
        return self.db.execute(
            "SELECT post_id, text_key, text FROM posts WHERE post_id > ?"
            " AND scorer_version != ? ORDER BY post_id LIMIT ?",
            (after_post_id, version, limit),
        ).fetchall()

    @_writes
    def update_scores(
        self,
        version: str,
        posts: Sequence[tuple[int, Score]],
        new_scores: Iterable[tuple[str, Score]] = (),
    ) -> int:
        """Set each post's new score (by post_id), and keep the scores the batch computed
        (text key, score) for later look-ups; returns posts updated."""
        with self.db.atomic():
            self._remember_scores(version, new_scores)
            cursor = self.db.conn.executemany(
                "UPDATE posts SET language = ?, label = ?, compound = ?, pos = ?, neu = ?,"
                " neg = ?, scorer_version = ? WHERE post_id = ? AND scorer_version != ?",
                [(*score.values(), version, post_id, version) for post_id, score in posts],
            )
        return cursor.rowcount

    def count_stale(self, version: str) -> int:
        """Posts whose score another scorer version gave (``monitor rescore`` updates them)."""
        return self.db.execute(
            "SELECT count(*) FROM posts WHERE scorer_version != ?", (version,)
        ).fetchone()[0]

    # --- reading -------------------------------------------------------------------------

    def aggregate(
        self,
        buckets: Sequence[Bucket],
        tags: Sequence[str],
        by: str | None = None,
        platforms: Sequence[str] | None = None,
    ) -> list[dict]:
        """Per bucket and tag (and ``by``: 'platform' or 'language'): n (every post), n_scored
        (posts with a label), label counts, and compound sums over the scored posts for the
        mean and its spread. Buckets and tags with no posts are absent; the caller fills
        zeros. ``platforms`` limits the posts counted."""
        if not buckets or not tags:
            return []
        # post_tags carries platform, label and compound under a covering index; only the
        # detected language needs the posts table.
        group, join = {
            None: ("", ""),
            "platform": (", t.platform", ""),
            "language": (
                ", coalesce(p.language, 'unknown') AS language",
                "JOIN posts p ON p.post_id = t.post_id",
            ),
        }[by]
        marks = ",".join("?" * len(tags))
        only = ""
        if platforms:
            only = f"AND t.platform IN ({','.join('?' * len(platforms))})"
        spans = json.dumps([[b.start_ts, b.end_ts] for b in buckets])
        return self._rows(
            f"""
            WITH b AS (
                SELECT json_extract(value, '$[0]') AS bucket,
                       json_extract(value, '$[1]') AS hi
                FROM json_each(?)
            )
            SELECT b.bucket, t.tag{group},
                   count(*) AS n,
                   count(t.label) AS n_scored,
                   total(t.label = 'negative') AS n_negative,
                   total(t.label = 'positive') AS n_positive,
                   total(t.compound) AS sum_compound,
                   total(t.compound * t.compound) AS sum_compound_sq,
                   total(t.neg) AS sum_neg
            FROM b
            JOIN post_tags t ON t.tag IN ({marks}) AND t.created_ts >= b.bucket
                AND t.created_ts < b.hi {only}
            {join}
            GROUP BY b.bucket, t.tag{", " + by if by else ""}
            """,
            [spans, *tags, *(platforms or [])],
        )

    def top_posts(
        self,
        tag: str,
        start_ts: int,
        end_ts: int,
        by: str,
        limit: int = 3,
        platform: str | None = None,
    ) -> list[dict]:
        """Up to ``limit`` posts of a tag in a time range: the most negative or most positive
        of those the scorer labelled so (``by`` 'negative' / 'positive'), or the most engaged
        (``by`` 'engagement': the sum of the platform's counts, likes, reposts, replies).

        Near-duplicates (the same text once links, @mentions, whitespace and case are set
        aside: reposts, copy-paste campaigns) are one item, ranked by the best of them (by
        their engagement summed, for engagement) and shown as the first of them posted, with
        ``copies`` (how many posts in the range are among them) and ``engagement`` (theirs
        summed); counts and shares elsewhere count them all."""
        engagement = (
            "(SELECT total(value) FROM json_each(coalesce(p.metrics, '{}'))"
            " WHERE type IN ('integer', 'real'))"
        )
        where, sign = {
            "negative": ("t.label = 'negative'", 1),
            "positive": ("t.label = 'positive'", -1),
            "engagement": ("1", 0),
        }[by]
        rows = self.db.execute(
            f"""
            SELECT p.post_id, p.created_ts, p.text, p.compound, {engagement}
            FROM post_tags t JOIN posts p ON p.post_id = t.post_id
            WHERE t.tag = ? AND t.created_ts >= ? AND t.created_ts < ? AND {where}
                  AND (? IS NULL OR t.platform = ?)
            """,
            [tag, start_ts, end_ts, platform, platform],
        )
        groups: dict[str, list] = {}  # key → [rank, copies, engagement, (first time, its id)]
        for post_id, created_ts, text, compound, drew in rows:
            # The list's order: most negative (positive) first, the newest first among equals.
            rank = (sign * compound if sign else 0, -created_ts)
            first = (created_ts, post_id)
            group = groups.get(key := near_duplicate_key(text))
            if group is None:
                groups[key] = [rank, 1, drew, first]
                continue
            group[0], group[1], group[2] = min(group[0], rank), group[1] + 1, group[2] + drew
            group[3] = min(group[3], first)
        if by == "engagement":  # a campaign ranks by what all its copies drew
            chosen = sorted(groups.values(), key=lambda g: (-g[2], g[0][1]))[:limit]
        else:
            chosen = sorted(groups.values(), key=lambda g: g[0])[:limit]
        shown = {
            row["post_id"]: row
            for row in self._rows(
                f"""
                SELECT post_id, platform, id, created_at, text, author, url, language, label,
                       compound, metrics
                FROM posts WHERE post_id IN ({",".join("?" * len(chosen))})
                """,
                [group[3][1] for group in chosen],
            )
        }
        return [
            {**_without(shown[group[3][1]], "post_id"), "copies": group[1], "engagement": group[2]}
            for group in chosen
        ]

    def scored_texts(self, tag: str, start_ts: int, end_ts: int) -> list[str]:
        """Texts of a tag's scored posts in a time range."""
        rows = self.db.execute(
            "SELECT p.text FROM post_tags t JOIN posts p ON p.post_id = t.post_id"
            " WHERE t.tag = ? AND t.created_ts >= ? AND t.created_ts < ? AND t.label IS NOT NULL",
            (tag, start_ts, end_ts),
        )
        return [text for (text,) in rows]

    def co_tags(self, tag: str, start_ts: int, end_ts: int, limit: int) -> list[tuple[str, int]]:
        """The hashtags most used together with ``tag`` in a time range, with their posts."""
        rows = self.db.execute(
            "SELECT o.tag, count(*) AS n FROM post_tags t"
            " JOIN post_tags o ON o.post_id = t.post_id AND o.tag != t.tag"
            " WHERE t.tag = ? AND t.created_ts >= ? AND t.created_ts < ?"
            " GROUP BY o.tag ORDER BY n DESC, o.tag LIMIT ?",
            (tag, start_ts, end_ts, limit),
        )
        return [(other, n) for other, n in rows]

    def tag_platforms(self, tag: str, start_ts: int, end_ts: int) -> list[str]:
        """The platforms a tag has posts from in a time range."""
        rows = self.db.execute(
            "SELECT DISTINCT platform FROM post_tags"
            " WHERE tag = ? AND created_ts >= ? AND created_ts < ? ORDER BY platform",
            (tag, start_ts, end_ts),
        )
        return [platform for (platform,) in rows]

    def active_authors(
        self, tag: str, start_ts: int, end_ts: int, limit: int
    ) -> list[tuple[str, str, int]]:
        """The authors with most posts under ``tag`` in a time range: platform, author, posts."""
        rows = self.db.execute(
            "SELECT p.platform, p.author, count(*) AS n FROM post_tags t"
            " JOIN posts p ON p.post_id = t.post_id"
            " WHERE t.tag = ? AND t.created_ts >= ? AND t.created_ts < ? AND p.author IS NOT NULL"
            " GROUP BY p.platform, p.author ORDER BY n DESC, p.author LIMIT ?",
            (tag, start_ts, end_ts, limit),
        )
        return [(platform, author, n) for platform, author, n in rows]

    def search(
        self,
        query: str,
        tag: str | None = None,
        since_ts: int | None = None,
        limit: int = 20,
        fts: bool = False,
        offset: int = 0,
    ) -> list[dict]:
        """Posts holding every word of ``query`` (as typed: "#DiplomacyDebacle", "don't",
        "U.S." and URLs just work) in their visible text, newest first, from the ``offset``-th
        on; a word that is a link or a domain is looked for among the posts' links too.
        ``fts`` takes SQLite FTS5 syntax instead (phrases, OR, NOT, prefix*, column filters
        ``text:`` and ``links:``)."""
        return self._matching(
            "p.platform, p.id, p.created_at, p.author, p.url, p.text, p.language, p.label,"
            " p.compound",
            "ORDER BY p.created_ts DESC LIMIT ? OFFSET ?",
            [limit, offset],
            query,
            tag,
            since_ts,
            fts,
        )

    def count_matches(
        self, query: str, tag: str | None = None, since_ts: int | None = None, fts: bool = False
    ) -> int:
        """How many posts ``search`` finds for the same arguments, over every page."""
        rows = self._matching("count(*) AS n", "", [], query, tag, since_ts, fts)
        return rows[0]["n"]

    def _matching(
        self,
        columns: str,
        tail: str,
        tail_params: list[Any],
        query: str,
        tag: str | None,
        since_ts: int | None,
        fts: bool,
    ) -> list[dict]:
        match = query if fts else " ".join(map(_match_word, query.split()))
        joins, where, params = "", ["posts_fts MATCH ?"], [match]
        if tag:
            joins = "JOIN post_tags t ON t.post_id = p.post_id AND t.tag = ?"
            params.insert(0, tag)
        if since_ts is not None:
            where.append("p.created_ts >= ?")
            params.append(since_ts)
        try:
            return self._rows(
                f"""
                SELECT {columns}
                FROM posts_fts JOIN posts p ON p.post_id = posts_fts.rowid {joins}
                WHERE {" AND ".join(where)} {tail}
                """,
                [*params, *tail_params],
            )
        except sqlite3.OperationalError as exc:
            raise MonitorError(
                f"search: {query!r} is not a valid full-text query ({exc})"
            ) from None

    def labelled_posts(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], dict]:
        """Text, time, scorer version and score of the stored posts among ``keys``."""
        found = self._by_key(
            keys,
            "text, created_at, scorer_version, coalesce(language, 'und'), label, compound, pos,"
            " neu, neg",
        )
        return {
            (platform, ident): {
                "text": text,
                "created_at": created_at,
                "scorer_version": version,
                "score": Score(*score),
            }
            for platform, ident, text, created_at, version, *score in found
        }

    def post_ids(
        self,
        tags: Sequence[str] = (),
        platform: str | None = None,
        start_ts: int | None = None,
        end_ts: int | None = None,
    ) -> list[int]:
        """post_id of every stored post matching the filters, in order."""
        where, params = ["1"], []
        if tags:
            where.append(
                "post_id IN (SELECT post_id FROM post_tags WHERE tag IN"
                f" ({','.join('?' * len(tags))}))"
            )
            params += list(tags)
        for condition, value in (
            ("platform = ?", platform),
            ("created_ts >= ?", start_ts),
            ("created_ts < ?", end_ts),
        ):
            if value is not None:
                where.append(condition)
                params.append(value)
        sql = f"SELECT post_id FROM posts WHERE {' AND '.join(where)} ORDER BY post_id"
        return [row[0] for row in self.db.execute(sql, params)]

    def posts_by_id(self, post_ids: Sequence[int]) -> list[dict]:
        """The posts with these ids (platform, id, created_at, language, text, url, label)."""
        rows = []
        for chunk in _chunks(list(post_ids), 500):
            rows += self._rows(
                "SELECT platform, id, created_at, language, text, url, label FROM posts"
                f" WHERE post_id IN ({','.join('?' * len(chunk))}) ORDER BY post_id",
                chunk,
            )
        return rows

    @_writes
    def save_evaluation(self, source: str, result: dict[str, Any]) -> int:
        with self.db.atomic():
            cursor = self.db.execute(
                "INSERT INTO evaluations (created_at, scorer_version, source, n, accuracy,"
                " macro_f1, result) VALUES (?,?,?,?,?,?,?)",
                (
                    _now(),
                    result["scorer_version"],
                    source,
                    result["n"],
                    result["accuracy"],
                    result["macro_f1"],
                    _json(result),
                ),
            )
        return int(cursor.lastrowid)

    def delivery_status(self, channel: str, item: str) -> str | None:
        """'sent', 'failed', 'sending' (claimed by a run), or None when ``channel`` was never
        asked to send ``item``."""
        row = self.db.execute(
            "SELECT status FROM deliveries WHERE channel = ? AND item = ?", (channel, item)
        ).fetchone()
        return row[0] if row else None

    def failed_deliveries(self, channel: str) -> list[str]:
        """Items ``channel`` has still to get through, oldest first: those that failed, and
        those whose sending process died before it knew."""
        rows = self.db.execute(
            "SELECT item, status, pid FROM deliveries WHERE channel = ?"
            " AND status IN ('failed', 'sending') ORDER BY updated_at, item",
            (channel,),
        )
        return [item for item, status, pid in rows if status == "failed" or not process_alive(pid)]

    @_writes
    def claim_deliveries(
        self, channel: str, items: Sequence[str], force: bool = False
    ) -> list[str]:
        """Those of ``items`` this process may send through ``channel`` now, marked 'sending'
        with its id in one write transaction: never one already sent (unless ``force``) nor
        one a live process is sending, so two runs at once never both send an item."""
        self.db.execute("BEGIN IMMEDIATE")  # read and mark under one write lock
        try:
            rows = {
                item: (status, pid)
                for item, status, pid in self.db.execute(
                    "SELECT item, status, pid FROM deliveries WHERE channel = ?", (channel,)
                )
            }
            claimed = [item for item in items if _claimable(rows.get(item), force)]
            self.db.conn.executemany(
                "INSERT INTO deliveries (channel, item, status, attempts, updated_at, pid)"
                " VALUES (?, ?, 'sending', 0, ?, ?) ON CONFLICT (channel, item) DO UPDATE SET"
                " status = 'sending', updated_at = excluded.updated_at, pid = excluded.pid",
                [(channel, item, _now(), os.getpid()) for item in claimed],
            )
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.conn.in_transaction:
                self.db.execute("ROLLBACK")
            raise
        return claimed

    @_writes
    def record_delivery(
        self, channel: str, items: Sequence[str], status: str, error: str | None = None
    ) -> None:
        """Record one attempt to send ``items`` through ``channel`` (their claim ends)."""
        with self.db.atomic():
            self.db.conn.executemany(
                "INSERT INTO deliveries (channel, item, status, attempts, updated_at, error)"
                " VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (channel, item) DO UPDATE SET"
                " status = excluded.status, attempts = attempts + 1,"
                " updated_at = excluded.updated_at, error = excluded.error, pid = NULL",
                [(channel, item, status, _now(), _message(error)) for item in items],
            )

    def latest_evaluation(self, version: str | None = None) -> dict | None:
        """The newest evaluation (of one scorer version, if given), its result parsed."""
        where, params = ("WHERE scorer_version = ?", [version]) if version else ("", [])
        rows = self._rows(
            f"SELECT * FROM evaluations {where} ORDER BY evaluation_id DESC LIMIT 1", params
        )
        if not rows:
            return None
        return {**rows[0], "result": json.loads(rows[0]["result"])}

    def count_posts(self) -> int:
        return self.db.execute("SELECT count(*) FROM posts").fetchone()[0]

    def scorer_versions(self) -> dict[str, int]:
        """Posts per scorer version (from an index: cheap at any size)."""
        return dict(
            self.db.execute(
                "SELECT scorer_version, count(*) FROM posts GROUP BY scorer_version"
            ).fetchall()
        )


def process_alive(pid: int | None) -> bool:
    """Whether a process with this id runs on this machine (a reused id counts as alive)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _without(row: dict, key: str) -> dict:
    return {k: v for k, v in row.items() if k != key}


def _claimable(row: tuple[str, int | None] | None, force: bool) -> bool:
    """Whether a delivery in this state (status, claiming pid) may be sent now."""
    if row is None:
        return True
    status, pid = row
    if status == "sending":
        return not process_alive(pid)
    return status != "sent" or force


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
