"""Import formats on the real export files in ../shared/formats/: what each one stores, skips and
rejects, exactly; detection from the content; compressed input and stdin; the filters; and one
row for a post imported from a file and then collected."""

import gzip
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import zstandard

from monitor.collect import collect
from monitor.formats import IMPORTERS, read_posts
from monitor.formats.base import ImportOptions, Skip
from monitor.models import Post, Rejection
from monitor.pipeline import import_files
from tests.conftest import REPO, VADER, mastodon_config, recorded, shared_path

TAGGED = ImportOptions(tags=("sample",))


def split(path, options=TAGGED, format_name=None):
    """(posts, skip reasons with counts, rejections) of a file."""
    posts, skipped, rejected = [], {}, []
    for item in read_posts(path, options, format_name):
        if isinstance(item, Post):
            posts.append(item)
        elif isinstance(item, Skip):
            skipped[item.reason] = skipped.get(item.reason, 0) + item.count
        elif isinstance(item, Rejection):
            rejected.append(item)
    return posts, skipped, rejected


# file, the format it is recognised as, posts, skips by reason, rejections
SAMPLES = [
    ("twarc2/brexit_search_recent_100.jsonl", "twarc2", 33, {"retweet": 67}, 0),
    ("twarc2/flat_100.jsonl", "twarc2-flat", 53, {"retweet": 47}, 0),
    (
        "twarc2/GENERATED_twarc-csv-0.7.2_from_brexit_search_recent_100.csv",
        "twarc-csv",
        33,
        {"retweet": 67},
        0,
    ),
    ("twarc2/streaming_output_with_error.jsonl", "twarc2", 7, {}, 1),
    (
        "reddit/pushshift_mixed_eras_RC_27comments.json",
        "reddit-dump",
        23,
        {"deleted or removed": 4},
        0,
    ),
    ("reddit/pushshift_mixed_eras_RS_31submissions.json", "reddit-dump", 31, {}, 0),
    ("reddit/RC_2005-12.zst", "reddit-dump", 955, {"deleted or removed": 120}, 0),
    (
        "mastodon/outbox.json",
        "mastodon-outbox",
        1181,
        {"boost": 326, "followers-only or direct": 75, "no text (an image or video only)": 4},
        0,
    ),
    ("zeeschuimer/zeeschuimer-x-search-fosfor.ndjson", "zeeschuimer", 104, {}, 0),
    (
        "zeeschuimer/zeeschuimer-tiktok.ndjson",
        "zeeschuimer",
        87,
        {"no text (an image or video only)": 9},
        0,
    ),
]


@pytest.mark.parametrize(("name", "kind", "posts", "skipped", "rejected"), SAMPLES)
def test_each_real_export_imports_exactly(name, kind, posts, skipped, rejected):
    path = shared_path("formats", *name.split("/"))
    found, skips, rejections = split(path)
    assert (len(found), skips, len(rejections)) == (posts, skipped, rejected)
    assert split(path, format_name=kind)[0] == found  # recognised as that format
    assert len({p.key for p in found}) == posts  # no post twice


def test_jetstream_keeps_post_creates_and_counts_every_other_event_by_kind():
    posts, skipped, rejected = split(
        shared_path("formats", "bluesky", "jetstream_v1_152events.jsonl")
    )
    assert (len(posts), sum(skipped.values()), rejected) == (16, 135, [])
    assert skipped["app.bsky.feed.like event"] == 105
    assert skipped["no text (an image or video only)"] == 1  # 17 creates, one image only
    first = posts[0]
    assert first.key == (
        "bluesky",
        "at://did:plc:dclwtltrt2ggsryagfzk7dp4/app.bsky.feed.post/3mptbyoeyc22k",
    )
    assert first.created_at == datetime(2026, 7, 4, 14, 38, 6, 240000, tzinfo=UTC)
    assert first.author == "did:plc:dclwtltrt2ggsryagfzk7dp4"
    assert (
        first.url == "https://bsky.app/profile/did:plc:dclwtltrt2ggsryagfzk7dp4/post/3mptbyoeyc22k"
    )


def test_twarc2_page_flat_and_csv_give_the_same_tweet():
    page = split(shared_path("formats", "twarc2", "brexit_search_recent_100.jsonl"))[0]
    csv_rows = split(
        shared_path(
            "formats", "twarc2", "GENERATED_twarc-csv-0.7.2_from_brexit_search_recent_100.csv"
        )
    )[0]
    first = page[0]
    assert (first.platform, first.id, first.author, first.lang, first.tags) == (
        "x",
        "1440716895355764743",
        "WarmongerHodges",
        "en",
        ("PeoplesVote", "Brexit"),
    )
    assert first.created_at == datetime(2021, 9, 22, 16, 37, 29, tzinfo=UTC)
    assert first.url == "https://x.com/WarmongerHodges/status/1440716895355764743"
    assert first.metrics == {
        "retweet_count": 0,
        "reply_count": 0,
        "like_count": 0,
        "quote_count": 0,
    }
    # twarc-csv's rows are the same tweets: same keys, texts with real line breaks, &amp; decoded
    assert [(p.key, p.text, p.author, p.tags) for p in csv_rows] == [
        (p.key, p.text, p.author, p.tags) for p in page
    ]
    assert any("\n" in p.text for p in csv_rows) and not any("\\n" in p.text for p in csv_rows)
    assert not any("&amp;" in p.text for p in csv_rows)


def test_reddit_dump_lines_of_every_era_become_the_collectors_posts():
    comments = split(shared_path("formats", "reddit", "pushshift_mixed_eras_RC_27comments.json"))[0]
    first = comments[0]
    assert (first.platform, first.id, first.author) == ("reddit", "t1_kod0bkd", "DubsAli")
    assert first.url == (
        "https://www.reddit.com/r/woodworking/comments/1afjd7n/a_full_maple_farmhouse_table_i_made/kod0bkd/"
    )
    assert first.text == "Absolutely stunning. Really love this, perfect finish IMO as well."
    old = [p for p in comments if p.created_at.year == 2005]
    assert old and all(p.id.startswith("t1_") and "/comments/" in p.url for p in old)
    assert not any("&amp;" in p.text or "&gt;" in p.text for p in comments)


def test_outbox_posts_are_keyed_by_status_uri_with_author_language_and_tags():
    posts = split(shared_path("formats", "mastodon", "outbox.json"))[0]
    first = posts[0]
    assert first.key == (
        "mastodon",
        "https://indieweb.social/users/dealingwith/statuses/109305976208011760",
    )
    assert (first.author, first.lang) == ("dealingwith@indieweb.social", "en")
    assert first.url == "https://indieweb.social/@dealingwith/109305976208011760"
    assert first.created_at == datetime(2022, 11, 8, 3, 7, 14, tzinfo=UTC)
    assert any(p.tags and p.tags != ("sample",) for p in posts)  # its own hashtags kept


def test_zeeschuimer_x_capture_reads_the_classic_date_and_views():
    first = split(shared_path("formats", "zeeschuimer", "zeeschuimer-x-search-fosfor.ndjson"))[0][0]
    assert (first.key, first.author, first.lang) == (
        ("x", "1711652255336743414"),
        "Querido_Facto",
        "nl",
    )
    assert first.created_at == datetime(2023, 10, 10, 7, 57, 53, tzinfo=UTC)
    assert first.tags == ("degraanrepubliek", "moderneklassieker")
    assert first.metrics["impression_count"] == 250 and first.metrics["like_count"] == 9


def test_a_fourcat_export_reads_times_as_utc_and_needs_a_platform(tmp_path):
    path = tmp_path / "4cat.csv"
    path.write_text(
        "id,thread_id,author,body,timestamp,hashtags,like_count\n"
        '7288,7288,haberturktv,Fosfor bombası iddiası,2023-10-12 09:05:49,"fosfor,gazze",59\n'
    )
    (post,) = split(path, ImportOptions(platform="tiktok"))[0]
    assert (post.key, post.author, post.tags, post.metrics) == (
        ("tiktok", "7288"),
        "haberturktv",
        ("fosfor", "gazze"),
        {"like": 59},
    )
    assert post.created_at == datetime(2023, 10, 12, 9, 5, 49, tzinfo=UTC)
    (rejection,) = split(path)[2]
    assert rejection.reason == "a 4CAT export does not name its platform: give --platform"


def test_a_json_array_of_mastodon_statuses_is_recognised():
    path = shared_path("payloads", "mastodon", "tchncs_tag_ichbinhanna_limit5.json")
    posts, _, rejected = split(path)
    assert len(posts) == 5 and rejected == []
    assert all(p.id.startswith("https://") for p in posts)  # keyed by the status uri


def test_gzip_zstd_and_stdin_read_the_same_posts(tmp_path, monkeypatch):
    source = shared_path("formats", "twarc2", "flat_100.jsonl")
    plain = split(source)[0]
    gz = tmp_path / "flat.jsonl.gz"
    gz.write_bytes(gzip.compress(source.read_bytes()))
    zst = tmp_path / "flat.jsonl.zst"
    zst.write_bytes(zstandard.ZstdCompressor().compress(source.read_bytes()))
    assert split(gz)[0] == plain and split(zst)[0] == plain
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(source.read_bytes())))
    assert split("-")[0] == plain


def test_filters_skip_before_scoring(tmp_path):
    dump = shared_path("formats", "reddit", "pushshift_mixed_eras_RS_31submissions.json")
    everything = split(dump)[0]
    subreddit = json.loads(dump.read_text().splitlines()[0])["subreddit"]
    options = ImportOptions(tags=("sample",), subreddits=frozenset({subreddit.upper()}))
    only, skipped, _ = split(dump, options)
    assert only and len(only) + skipped["not in --subreddit"] == len(everything)
    assert all(p.raw["subreddit"] == subreddit for p in only)  # the dump line as read
    since = datetime(2019, 1, 1, tzinfo=UTC)
    recent, skipped, _ = split(dump, ImportOptions(tags=("sample",), since=since))
    assert recent and all(p.created_at >= since for p in recent)
    assert len(recent) + skipped["before --since"] == len(everything)
    word = "guerreiro"
    matched, skipped, _ = split(dump, ImportOptions(tags=("sample",), match=(word.upper(),)))
    assert [p.id for p in matched] == [p.id for p in everything if word in p.text.lower()]
    assert len(matched) + skipped["no --match word"] == len(everything)


def test_a_cut_last_line_is_one_rejection_and_the_rest_is_stored():
    path = shared_path("formats", "twarc2", "streaming_output_with_error.jsonl")
    posts, _, (rejection,) = split(path)
    assert len(posts) == 7
    assert rejection.where == f"{path}:8" and rejection.reason.endswith(
        "(the last line is cut short)"
    )


@pytest.mark.parametrize("cut_at", [70_000, 143_122 - 1])
def test_a_dump_cut_short_keeps_what_it_holds_and_says_where_it_ends(tmp_path, cut_at):
    """A .zst download that stopped early (inside its one frame): the posts before the cut are
    read, and one rejection says the file is cut short, naming the byte, instead of the month
    silently ending early."""
    whole = shared_path("formats", "reddit", "RC_2005-12.zst").read_bytes()
    assert len(whole) == 143_122
    cut = tmp_path / "RC_cut.zst"
    cut.write_bytes(whole[:cut_at])
    posts, _, (rejection,) = split(cut)
    full, _, _ = split(shared_path("formats", "reddit", "RC_2005-12.zst"))
    assert 0 < len(posts) <= len(full)  # one byte short: every line arrived, the frame did not end
    assert [p.id for p in posts] == [p.id for p in full[: len(posts)]]
    assert rejection.where == str(cut) and rejection.reason == (
        f"the file cannot be read near byte {cut_at:,} "
        "(EOFError: the .zst file ends inside a frame: it is cut short)"
    )


def test_unknown_layouts_and_forced_formats_are_clear_errors(tmp_path, run):
    odd = tmp_path / "odd.csv"
    odd.write_text("a,b\n1,2\n")
    result = run("--db", "x.db", "import", odd, ok=False)
    assert result.exit_code == 1
    assert (
        f"{odd}: no import format recognises a CSV with the columns a, b (the monitor's own CSV "
        "needs id, text, created_at and platform, or --platform; see --formats)"
    ) in result.stderr
    flat = shared_path("formats", "twarc2", "flat_100.jsonl")
    forced = run("--db", "x.db", "import", "--format", "twarc-csv", flat, ok=False)
    assert "--format twarc-csv reads csv files, not json" in forced.stderr
    *listed, workbooks = run("import", "--formats").stdout.splitlines()
    assert [line.split()[0] for line in listed] == sorted(
        IMPORTERS, key=lambda n: (IMPORTERS[n].rank, n)
    )
    assert workbooks == "(a CSV format reads a workbook's sheet too: .xlsx, .xls, .ods)"


def test_cli_counts_exit_statuses_and_reimport_as_twitter_adds_nothing(run, tmp_path):
    csv_file = shared_path(
        "formats", "twarc2", "GENERATED_twarc-csv-0.7.2_from_brexit_search_recent_100.csv"
    )
    first = run("--db", "x.db", "import", "--tag", "brexit", csv_file)
    assert (
        first.stdout
        == "33 new, 0 already present, 67 skipped (67 retweet), 0 rejected (33 texts scored)\n"
    )
    again = run("--db", "x.db", "import", "--platform", "twitter", csv_file)
    assert again.stdout.startswith("0 new, 33 already present")
    cut = run(
        "--db",
        "x.db",
        "import",
        shared_path("formats", "twarc2", "streaming_output_with_error.jsonl"),
        ok=False,
    )
    assert cut.exit_code == 3 and "Traceback" not in cut.stderr


def test_a_post_imported_from_a_file_and_then_collected_is_one_row(store, tmp_path, httpserver):
    statuses = shared_path("payloads", "mastodon", "tchncs_tag_ichbinhanna_limit5.json")
    copy = tmp_path / "statuses.json"
    shutil.copy(statuses, copy)
    imported = import_files(store, [copy], VADER, ImportOptions(tags=("ichbinhanna",)))
    assert imported.new == 5
    page, _ = recorded("mastodon", "tchncs_tag_ichbinhanna_limit5.json")
    httpserver.expect_request("/api/v1/timelines/tag/ichbinhanna").respond_with_json(page)
    config = mastodon_config(tmp_path, httpserver.url_for("/"), extra="max_pages = 1")
    (result,) = collect(store, config, ["mastodon"])
    assert (result.tags[0].new, result.tags[0].duplicate) == (0, 5)
    assert store.count_posts() == 5
    assert not [i for i in read_posts(copy, TAGGED) if isinstance(i, Rejection)]


def test_match_skips_lines_in_bulk_and_still_names_the_right_line(tmp_path):
    """Lines without a match word are skipped unparsed, a block at a time; a matching line
    that is broken is still rejected with its own line number."""
    path = tmp_path / "dump.jsonl"
    lines = [
        json.dumps(
            {"subreddit": "a", "created_utc": 1700000000, "id": f"c{i}", "body": "nothing here"}
        )
        for i in range(5000)
    ]
    lines[3000] = '{"body": "Witkoff talks", broken'
    lines[4000] = lines[4000].replace("nothing here", "#Witkoff arrives")
    path.write_text("\n".join(lines) + "\n")
    posts, skipped, rejected = split(path, ImportOptions(tags=("t",), match=("witkoff",)))
    assert [p.id for p in posts] == ["t1_c4000"]
    assert skipped == {"no --match word": 4998}
    assert [r.where for r in rejected] == [f"{path}:3001"]


def test_a_jetstream_delete_removes_the_stored_post(store, tmp_path):
    events = shared_path("formats", "bluesky", "jetstream_v1_152events.jsonl")
    imported = import_files(store, [events], VADER, ImportOptions(tags=("sample",)))
    assert imported.new == 16 and store.count_posts() == 16
    create = next(
        json.loads(line)
        for line in events.read_text().splitlines()
        if '"app.bsky.feed.post"' in line and '"create"' in line
    )
    delete = {
        "did": create["did"],
        "time_us": create["time_us"] + 1,
        "kind": "commit",
        "commit": {
            "operation": "delete",
            "collection": "app.bsky.feed.post",
            "rkey": create["commit"]["rkey"],
        },
    }
    later = tmp_path / "later.jsonl"
    later.write_text(json.dumps(delete) + "\n")
    removed = import_files(store, [later], VADER)
    assert (removed.deleted, store.count_posts()) == (1, 15)
    uri = f"at://{create['did']}/app.bsky.feed.post/{create['commit']['rkey']}"
    assert store.existing_ids([("bluesky", uri)]) == {}
    assert store.db.execute("SELECT count(*) FROM post_tags").fetchone()[0] == len(
        store.db.execute("SELECT post_id FROM post_tags GROUP BY post_id, tag").fetchall()
    )
    assert store.db.execute(
        "SELECT count(*) FROM post_tags WHERE post_id NOT IN (SELECT post_id FROM posts)"
    ).fetchone() == (0,)
    store.db.execute("INSERT INTO posts_fts (posts_fts) VALUES ('integrity-check')")
    assert import_files(store, [later], VADER).deleted == 0  # gone already


def reddit_line(ident: str, body: str) -> bytes:
    record = {"subreddit": "a", "created_utc": 1700000000, "id": ident, "body": body}
    return json.dumps(record).encode() + b"\n"


MEASURE_PEAK = """
import resource, sys
from monitor.cli import cli
try:
    cli.main(args=sys.argv[1:], prog_name="monitor")
except SystemExit as stop:
    status = stop.code
print("peak", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.exit(status)
"""


def import_peak(tmp_path: Path, source: Path) -> tuple[subprocess.CompletedProcess, int]:
    """``monitor import`` of ``source`` in a fresh process, and that process's peak memory
    in KB."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE_PEAK, "--db", tmp_path / "x.db", "import", source],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    return done, int(done.stderr.split("peak ")[1])


def test_a_zst_bomb_of_one_endless_line_is_one_rejection_in_bounded_memory(tmp_path):
    """A few KB of .zst that expand to one 512 MiB line (no newline) between two good lines:
    the line is read through without being held, rejected with its number, the others stored,
    and the process holds no more than 100 MB beyond what importing the two good lines alone
    takes (its modules, the scorer: 150-250 MB, by the machine)."""
    good = [reddit_line("c1", "before #Witkoff"), reddit_line("c3", "after #Witkoff")]
    plain = tmp_path / "plain.zst"
    plain.write_bytes(zstandard.ZstdCompressor().compress(b"".join(good)))
    bomb = tmp_path / "bomb.zst"
    with bomb.open("wb") as out, zstandard.ZstdCompressor().stream_writer(out) as writer:
        writer.write(good[0])
        block = b"a" * 2**24
        for _ in range(32):
            writer.write(block)
        writer.write(b"\n" + good[1])
    assert bomb.stat().st_size < 100_000
    _, baseline_kb = import_peak(tmp_path, plain)
    done, peak_kb = import_peak(tmp_path, bomb)
    assert done.returncode == 3, done.stderr
    assert f"rejected {bomb}:2: a line over 16 MiB (not a record of any known format)" in (
        done.stderr
    )
    assert done.stdout.startswith("0 new, 2 already present, 0 skipped, 1 rejected")
    assert peak_kb - baseline_kb < 100_000, f"{baseline_kb / 1000:.0f} -> {peak_kb / 1000:.0f} MB"


@pytest.mark.parametrize("match", [(), ("witkoff",)])
@pytest.mark.parametrize("layout", ["json", "csv"])
def test_a_line_over_the_limit_is_rejected_by_number_in_every_reading(tmp_path, match, layout):
    """Plain files, with and without --match (which reads blocks, not lines), JSON Lines and
    CSV: the over-long line is one rejection naming its line; the lines after it are read."""
    path = tmp_path / f"long.{layout}"
    with path.open("wb") as out:
        if layout == "json":
            out.write(reddit_line("c1", "one #Witkoff"))
            out.write(b'{"body": "witkoff ' + b"x" * (17 * 2**20) + b'"}\n')
            out.write(reddit_line("c3", "three #Witkoff"))
        else:
            out.write(b"id,text,created_at,platform\n1,one #Witkoff,2026-01-01T00:00:00Z,x\n")
            out.write(b"2,witkoff " + b"x" * (17 * 2**20) + b",2026-01-01T00:00:00Z,x\n")
            out.write(b"3,three #Witkoff,2026-01-01T00:00:00Z,x\n")
    posts, _, rejected = split(path, ImportOptions(tags=("t",), match=match))
    assert [p.text for p in posts] == ["one #Witkoff", "three #Witkoff"]
    assert [(r.where, r.reason) for r in rejected] == [
        (
            f"{path}:{2 if layout == 'json' else 3}",
            "a line over 16 MiB (not a record of any known format)",
        )
    ]


@pytest.mark.parametrize(
    "content",
    [
        # a PNG's signature and header chunk
        bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"),
        # a Bluesky repository export (.car): a CBOR header and a block
        bytes.fromhex("3aa265726f6f747381d82a582500017112200f1b2c3d4e5f00010203") + bytes(64),
    ],
    ids=["png", "car"],
)
def test_a_binary_file_is_one_line_and_exit_1(run, tmp_path, content):
    path = tmp_path / "upload.bin"
    path.write_bytes(content)
    result = run("--db", "x.db", "import", path, ok=False)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {path}: not a file the monitor can import (binary content, not JSON, JSON "
        "Lines or CSV text; see --formats)\n"
    )
    with sqlite3.connect(tmp_path / "x.db") as db:  # the run is recorded as failed, in words
        assert db.execute("SELECT status, error FROM runs").fetchall() == [
            ("error", f"MonitorError: {result.stderr[7:-1]}")
        ]


def test_a_utf16_spreadsheet_export_says_how_to_save_it(run, tmp_path):
    path = tmp_path / "sheet.txt"
    path.write_text("id\ttext\tcreated_at\tplatform\n1\thello\t2025-11-20T10:00:00Z\tx\n", "utf-16")
    result = run("--db", "x.db", "import", path, ok=False)
    assert result.exit_code == 1 and result.stderr == (
        f"error: {path}: a UTF-16 text file (Excel's 'Unicode Text'): save it as 'CSV UTF-8' "
        "and import that\n"
    )


def test_the_wrong_format_reading_nothing_says_why_and_exits_1(run):
    flat = shared_path("formats", "twarc2", "flat_100.jsonl")
    result = run("--db", "x.db", "import", "--format", "twarc2", flat, ok=False)
    assert result.exit_code == 1
    assert result.stderr == (
        f"rejected {flat}: none of its 100 records holds a post the twarc2 format reads "
        "(it looks like twarc2-flat: try --format twarc2-flat)\n"
    )
    assert result.stdout.startswith("0 new, 0 already present, 0 skipped, 1 rejected")
