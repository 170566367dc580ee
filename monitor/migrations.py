"""The database schema's history: one sqlite-utils migration per change, applied in order by
``Store`` when it opens a database, so an existing database upgrades in place. A migration is
never edited once released; a change is a new one at the end."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from monitor.text import search_fields

migrations = Migrations("monitor")


@migrations()
def m001_initial(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE posts (
            post_id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            id TEXT NOT NULL,
            created_at TEXT NOT NULL,        -- UTC, 'YYYY-MM-DDTHH:MM:SSZ'
            created_ts INTEGER NOT NULL,     -- the same instant, Unix seconds
            text TEXT NOT NULL,
            author TEXT,
            url TEXT,
            lang TEXT,
            metrics TEXT,                    -- engagement counts, JSON
            text_key TEXT NOT NULL,          -- posts with equal keys share one score
            compound REAL NOT NULL,
            pos REAL NOT NULL,
            neu REAL NOT NULL,
            neg REAL NOT NULL,
            scorer_version TEXT NOT NULL,
            collected_at TEXT NOT NULL
        );
        CREATE UNIQUE INDEX posts_platform_id ON posts (platform, id);
        CREATE INDEX posts_text_key ON posts (text_key);
        CREATE INDEX posts_created_ts ON posts (created_ts);

        CREATE TABLE post_tags (
            post_id INTEGER NOT NULL REFERENCES posts (post_id),
            tag TEXT NOT NULL,
            created_ts INTEGER NOT NULL,     -- copied from posts: daily aggregates need no join
            PRIMARY KEY (post_id, tag)
        );
        CREATE INDEX post_tags_tag_time ON post_tags (tag, created_ts, post_id);

        CREATE TABLE raw_posts (
            post_id INTEGER PRIMARY KEY REFERENCES posts (post_id),
            raw BLOB NOT NULL                -- zlib-compressed JSON, as the platform sent it
        );

        CREATE TABLE cursors (
            source TEXT NOT NULL,
            instance TEXT NOT NULL,
            tag TEXT NOT NULL,
            value TEXT NOT NULL,             -- JSON, the source's own resume point
            updated_at TEXT NOT NULL,
            PRIMARY KEY (source, instance, tag)
        );

        CREATE TABLE runs (
            run_id INTEGER PRIMARY KEY,
            job TEXT NOT NULL,
            source TEXT,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,            -- running, ok, partial, error, skipped
            counts TEXT,                     -- JSON
            error TEXT,
            pid INTEGER
        );
        CREATE INDEX runs_job_started ON runs (job, started_at);
        """
    )
    db["posts"].enable_fts(["text"], create_triggers=True, tokenize="unicode61")


@migrations()
def m002_fts_reindex_on_text_only(db: Database) -> None:
    """sqlite-utils' update trigger re-indexes a post on any change (a rescore, fresh
    engagement counts); only a change of text needs it."""
    db.execute("DROP TRIGGER IF EXISTS posts_au")
    db.execute(
        "CREATE TRIGGER posts_au AFTER UPDATE OF text ON posts BEGIN"
        " INSERT INTO posts_fts (posts_fts, rowid, text) VALUES ('delete', old.rowid, old.text);"
        " INSERT INTO posts_fts (rowid, text) VALUES (new.rowid, new.text); END"
    )


@migrations()
def m003_fts_indexed_per_batch(db: Database) -> None:
    """Index new posts for full-text search once per batch (``write_batch``) instead of in a
    per-row trigger: FTS5 indexes a whole statement's rows far faster (about 10 µs a post
    instead of 60 here). The delete and text-update triggers stay."""
    db.execute("DROP TRIGGER IF EXISTS posts_ai")


@migrations()
def m004_trend_covering_index(db: Database) -> None:
    """Trend aggregates read only ``post_tags``: each tag row carries its post's platform and
    compound under a covering index, so a 90-day aggregate over a million posts is an index
    scan, not a million look-ups into the wide posts table. A trigger keeps the copied
    compound equal to the post's through every rescore."""
    for statement in (
        "ALTER TABLE post_tags ADD COLUMN platform TEXT",
        "ALTER TABLE post_tags ADD COLUMN compound REAL",
        "UPDATE post_tags SET (platform, compound) ="
        " (SELECT platform, compound FROM posts p WHERE p.post_id = post_tags.post_id)",
        "DROP INDEX IF EXISTS post_tags_tag_time",
        "CREATE INDEX post_tags_trend ON post_tags (tag, created_ts, platform, compound)",
        "CREATE TRIGGER posts_compound_to_tags AFTER UPDATE OF compound ON posts BEGIN"
        " UPDATE post_tags SET compound = new.compound WHERE post_id = new.post_id; END",
    ):
        db.execute(statement)


# One score per distinct text and scorer version: the shape of scores and scores_recent.
SCORE_TABLE = """
    CREATE TABLE {} (
        text_key TEXT NOT NULL,
        scorer_version TEXT NOT NULL,
        language TEXT NOT NULL,
        label TEXT,
        compound REAL,
        pos REAL,
        neu REAL,
        neg REAL,
        PRIMARY KEY (text_key, scorer_version)
    ) WITHOUT ROWID
"""


@migrations()
def m005_languages_labels_and_scores(db: Database) -> None:
    """Scorers: each post gets its detected language and the label its scorer gave it (NULL
    for a post in a language the scorer does not read: not scored, never neutral), so the
    numbers may be NULL too; ``scores`` keeps one score per distinct text and scorer version,
    found by key, so looking a text up does not read every post that has it.

    SQLite cannot drop NOT NULL in place: posts is rebuilt with the same rowids (the full-text
    index, tags and raw payloads keep pointing at them). Posts scored before keep their
    numbers, labelled with the default threshold, and their old scorer version, so they count
    as stale until ``monitor rescore``."""
    db.executescript(
        """
        CREATE TABLE posts_new (
            post_id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            id TEXT NOT NULL,
            created_at TEXT NOT NULL,        -- UTC, 'YYYY-MM-DDTHH:MM:SSZ'
            created_ts INTEGER NOT NULL,     -- the same instant, Unix seconds
            text TEXT NOT NULL,
            author TEXT,
            url TEXT,
            lang TEXT,                       -- the language the platform declared, if any
            metrics TEXT,                    -- engagement counts, JSON
            text_key TEXT NOT NULL,          -- posts with equal keys share one score
            language TEXT,                   -- detected from the text (ISO 639-1, 'und')
            label TEXT,                      -- negative/neutral/positive; NULL: not scored
            compound REAL,
            pos REAL,
            neu REAL,
            neg REAL,
            scorer_version TEXT NOT NULL,
            collected_at TEXT NOT NULL
        );
        INSERT INTO posts_new SELECT post_id, platform, id, created_at, created_ts, text, author,
            url, lang, metrics, text_key, NULL,
            CASE WHEN compound <= -0.05 THEN 'negative' WHEN compound >= 0.05 THEN 'positive'
                 ELSE 'neutral' END,
            compound, pos, neu, neg, scorer_version, collected_at
        FROM posts;
        DROP TABLE posts;
        ALTER TABLE posts_new RENAME TO posts;
        CREATE UNIQUE INDEX posts_platform_id ON posts (platform, id);
        CREATE INDEX posts_text_key ON posts (text_key);
        CREATE INDEX posts_created_ts ON posts (created_ts);
        CREATE TRIGGER posts_ad AFTER DELETE ON posts BEGIN
            INSERT INTO posts_fts (posts_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
        END;
        CREATE TRIGGER posts_au AFTER UPDATE OF text ON posts BEGIN
            INSERT INTO posts_fts (posts_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
            INSERT INTO posts_fts (rowid, text) VALUES (new.rowid, new.text);
        END;

        ALTER TABLE post_tags ADD COLUMN label TEXT;
        UPDATE post_tags
        SET label = (SELECT label FROM posts p WHERE p.post_id = post_tags.post_id);
        DROP INDEX post_tags_trend;
        CREATE INDEX post_tags_trend ON post_tags (tag, created_ts, platform, label, compound);
        CREATE TRIGGER posts_score_to_tags AFTER UPDATE OF label, compound ON posts BEGIN
            UPDATE post_tags SET label = new.label, compound = new.compound
            WHERE post_id = new.post_id;
        END;
        """
    )
    db.execute(SCORE_TABLE.format("scores"))


@migrations()
def m006_no_text_key_index(db: Database) -> None:
    """Stored scores are found in ``scores`` by key and rescores update posts by id: the index
    on posts.text_key only cost every insert a random B-tree write."""
    db.execute("DROP INDEX IF EXISTS posts_text_key")


@migrations()
def m007_evaluations(db: Database) -> None:
    """Each ``monitor evaluate``: the scorer version it judged, the headline figures, and
    the whole result (JSON), so the report can say how far to trust the labels it shows."""
    db.execute(
        """
        CREATE TABLE evaluations (
            evaluation_id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            scorer_version TEXT NOT NULL,
            source TEXT NOT NULL,            -- the label file
            n INTEGER NOT NULL,              -- labelled posts the scorer scored
            accuracy REAL NOT NULL,
            macro_f1 REAL NOT NULL,
            result TEXT NOT NULL             -- JSON: every figure with its interval
        )
        """
    )


@migrations()
def m008_scorer_version_index(db: Database) -> None:
    """Counting stale scores and the versions present (status, every report) reads this index
    instead of every post: 11.6 s -> well under a second at a million posts. New posts of
    the active version append at its end, so inserts stay cheap."""
    db.execute("CREATE INDEX posts_scorer_version ON posts (scorer_version)")


@migrations()
def m009_search_visible_text_and_links_apart(db: Database) -> None:
    """Search matches what a reader sees: the full-text index holds each post's text without
    its links, and the links in a column of their own, so "peace plan" no longer finds a post
    only because a URL slug says "peace-plan", while a search for a URL still finds the posts
    that link it. The index keeps its own copy of that text (an external-content index must
    equal its table's column, and SQLite here predates deletable contentless indexes), which
    costs about the texts' size again."""
    db.executescript(
        """
        DROP TRIGGER IF EXISTS posts_ad;
        DROP TRIGGER IF EXISTS posts_au;
        DROP TABLE IF EXISTS posts_fts;
        CREATE VIRTUAL TABLE posts_fts USING fts5(text, links, tokenize='unicode61');
        CREATE TRIGGER posts_ad AFTER DELETE ON posts BEGIN
            DELETE FROM posts_fts WHERE rowid = old.rowid;
        END;
        """
    )
    rows = db.execute("SELECT post_id, text FROM posts")
    db.conn.executemany(
        "INSERT INTO posts_fts (rowid, text, links) VALUES (?, ?, ?)",
        ((post_id, *search_fields(text)) for post_id, text in rows),
    )


@migrations()
def m010_deliveries(db: Database) -> None:
    """What each delivery channel was sent: a report day ("report:2025-11-20") or an alert
    (its key), once each; a failed send stays "failed" until a later run gets it through."""
    db.execute(
        """
        CREATE TABLE deliveries (
            channel TEXT NOT NULL,
            item TEXT NOT NULL,
            status TEXT NOT NULL,            -- 'sent' or 'failed'
            attempts INTEGER NOT NULL,
            updated_at TEXT NOT NULL,
            error TEXT,
            PRIMARY KEY (channel, item)
        )
        """
    )


@migrations()
def m011_recent_scores(db: Database) -> None:
    """New scores go into ``scores_recent``, a small table, and move into ``scores`` in key
    order once it holds ``Store.recent_scores`` rows. Text keys are hashes, so a batch's new
    scores land on random pages: inserted straight into a ``scores`` of 500,000 rows, 10,000 of
    them rewrote about 8,000 of its 17,700 pages, every batch. Into the small table they touch
    its few pages; the move writes each page of ``scores`` about once per 100,000 scores."""
    db.execute(SCORE_TABLE.format("scores_recent"))


@migrations()
def m012_no_created_ts_index(db: Database) -> None:
    """Reports find a tag's posts by time through the trend index; the index on
    posts.created_ts served only date-filtered exports and housekeeping, which read every
    post instead (0.35-0.6 s at a million posts). Posts imported from an archive fall among
    the stored ones' dates, so it cost every batch a few thousand random page writes
    (100,000 posts into a database of 1,000,000: 143 MB of the write-ahead log)."""
    db.execute("DROP INDEX IF EXISTS posts_created_ts")


# tag_rows keeps each label as a small integer; post_tags (a view) shows it as its name.
LABEL_TO_CODE = "CASE {} WHEN 'negative' THEN -1 WHEN 'neutral' THEN 0 WHEN 'positive' THEN 1 END"
CODE_TO_LABEL = "CASE {} WHEN -1 THEN 'negative' WHEN 0 THEN 'neutral' WHEN 1 THEN 'positive' END"


@migrations()
def m013_compact_trend_index(db: Database) -> None:
    """The trend index, entered in random order by posts that fall among the stored ones'
    dates, with smaller entries: each tag is a number (``tags``) and each label -1, 0 or 1,
    so its pages hold about twice as many posts and a batch rewrites fewer of them. The
    rows are ``tag_rows``; ``post_tags`` is a view that reads them with names, as before."""
    db.executescript(
        f"""
        CREATE TABLE tags (tag_id INTEGER PRIMARY KEY, tag TEXT NOT NULL UNIQUE);
        INSERT INTO tags (tag) SELECT DISTINCT tag FROM post_tags ORDER BY tag;
        CREATE TABLE tag_rows (
            post_id INTEGER NOT NULL REFERENCES posts (post_id),
            tag_id INTEGER NOT NULL REFERENCES tags (tag_id),
            created_ts INTEGER NOT NULL,     -- copied from posts: daily aggregates need no join
            platform TEXT,
            label INTEGER,                   -- -1 negative, 0 neutral, 1 positive, NULL
            compound REAL,
            PRIMARY KEY (post_id, tag_id)
        );
        INSERT INTO tag_rows
        SELECT t.post_id, g.tag_id, t.created_ts, t.platform, {LABEL_TO_CODE.format("t.label")},
               t.compound
        FROM post_tags t JOIN tags g USING (tag) ORDER BY t.post_id, g.tag_id;
        DROP TRIGGER posts_score_to_tags;
        DROP TABLE post_tags;
        CREATE INDEX tag_rows_trend ON tag_rows (tag_id, created_ts, platform, label, compound);
        CREATE VIEW post_tags AS
        SELECT r.post_id, g.tag, r.created_ts, r.platform,
               {CODE_TO_LABEL.format("r.label")} AS label, r.compound
        FROM tag_rows r JOIN tags g USING (tag_id);
        CREATE TRIGGER posts_score_to_tags AFTER UPDATE OF label, compound ON posts BEGIN
            UPDATE tag_rows SET label = {LABEL_TO_CODE.format("new.label")},
                compound = new.compound
            WHERE post_id = new.post_id;
        END;
        """
    )


@migrations()
def m014_fts_fewer_merges(db: Database) -> None:
    """FTS5 merges its index's segments once 16 share a level, not 4, so each entry is copied
    about half as often over the index's life. 100,000 posts into a database of 1,000,000:
    the full-text inserts took 1.10 and 1.24 s against 1.71 and 1.48 s (alternating runs);
    searches on that database took as long as before (134-154 ms against 149-153 ms: ordering
    the matches by time is most of it)."""
    db.execute("INSERT INTO posts_fts (posts_fts, rank) VALUES ('automerge', 16)")


@migrations()
def m015_delivery_claims(db: Database) -> None:
    """A send is claimed before it starts: status 'sending' and the sending process's id, in
    one transaction, so two ``deliver`` runs at once never both send an item; a claim whose
    process died is retried like a failure."""
    db.execute("ALTER TABLE deliveries ADD COLUMN pid INTEGER")


@migrations()
def m016_trend_index_probabilities(db: Database) -> None:
    """The trend index also carries each post's ``neg``: for a scorer whose numbers are label
    probabilities (a calibrated model, whose compound is pos - neg), a day's sums of neg and
    compound give its summed probabilities, which the probability-weighted adjusted count
    (PACC, ``quantify``) reads without a join. One column, not two: a rescore rewrites every
    entry of the index, and each column makes that dearer."""
    db.executescript(
        f"""
        ALTER TABLE tag_rows ADD COLUMN neg REAL;
        UPDATE tag_rows SET neg = (SELECT neg FROM posts p WHERE p.post_id = tag_rows.post_id);
        DROP INDEX tag_rows_trend;
        CREATE INDEX tag_rows_trend
            ON tag_rows (tag_id, created_ts, platform, label, compound, neg);
        DROP VIEW post_tags;
        CREATE VIEW post_tags AS
        SELECT r.post_id, g.tag, r.created_ts, r.platform,
               {CODE_TO_LABEL.format("r.label")} AS label, r.compound, r.neg
        FROM tag_rows r JOIN tags g USING (tag_id);
        DROP TRIGGER posts_score_to_tags;
        CREATE TRIGGER posts_score_to_tags AFTER UPDATE OF label, compound, neg ON posts BEGIN
            UPDATE tag_rows SET label = {LABEL_TO_CODE.format("new.label")},
                compound = new.compound, neg = new.neg
            WHERE post_id = new.post_id;
        END;
        """
    )
