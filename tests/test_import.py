"""Import: idempotence, rejects with line numbers and reasons, CSV, filling missing fields."""

import csv
import gc
import io
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from tqdm import tqdm

from monitor.cli import progress_counts
from monitor.errors import MonitorError
from monitor.formats import read_posts
from monitor.formats.base import ImportOptions
from monitor.models import Rejection
from monitor.pipeline import IngestResult, import_files
from monitor.store import Store
from tests.conftest import VADER, post

GOOD = [
    post(
        "1",
        "2025-11-20T14:03:00Z",
        "Fresh perspectives might be what's needed",
        tags=["WitkoffUkraine"],
        author="ana",
        url="https://example.org/1",
        lang="en",
    ),
    post("2", "2025-11-20T15:00:00+01:00", "Diplomacy isn't a game for realtors #DiplomacyDebacle"),
    post("3", "2025-11-21T09:00:00Z", "What a mess", platform="reddit", tags="witkoffukraine"),
]


def test_import_counts_new_present_rejected_and_reimport_adds_nothing(store, write_jsonl):
    path = write_jsonl(
        [
            GOOD[0],
            "{not json",
            GOOD[1],
            post("4", "2025-11-20T14:03:00", "no offset", tags=["a"]),
            {"platform": "x", "created_at": "2025-11-20T14:03:00Z", "text": "t", "tags": ["a"]},
            post("5", "2025-11-20T14:03:00Z", "no tags anywhere"),
            post("6", "2031-01-01T00:00:00Z", "from the future", tags=["a"]),
            post("7", "2025-11-20T14:03:00Z", "   ", tags=["a"]),
            post("8", "2025-11-20T14:03:00Z", "bad tag", tags=["two words"]),
            "[1, 2]",
            GOOD[2],
            GOOD[0],  # the same post twice in one file
        ]
    )
    result = import_files(store, [path], VADER)
    assert (result.new, result.duplicate, result.rejected) == (3, 1, 7)
    assert result.skipped == {"no text (an image or video only)": 1}  # nothing to score
    assert [(r.where.rsplit(":", 1)[1], r.reason) for r in result.rejections] == [
        ("2", "not valid JSON (Expecting property name enclosed in double quotes)"),
        ("4", "created_at '2025-11-20T14:03:00' has no UTC offset"),
        ("5", "missing id"),
        ("6", "no tags (add a tags field or give --tag)"),
        ("7", "created_at 2031-01-01T00:00:00+00:00 is in the future"),
        ("9", "tag 'two words' is not a hashtag"),
        ("10", "not a JSON object"),
    ]
    again = import_files(store, [path], VADER)
    assert (again.new, again.duplicate, again.rejected, again.scored) == (0, 4, 7, 0)
    rows = store.db.execute(
        "SELECT platform, id, created_at, author, url, lang FROM posts ORDER BY post_id"
    ).fetchall()
    assert rows == [
        ("mastodon", "1", "2025-11-20T14:03:00Z", "ana", "https://example.org/1", "en"),
        ("mastodon", "2", "2025-11-20T14:00:00Z", None, None, None),
        ("reddit", "3", "2025-11-21T09:00:00Z", None, None, None),
    ]
    tags = store.db.execute("SELECT post_id, tag FROM post_tags ORDER BY post_id, tag").fetchall()
    assert tags == [(1, "witkoffukraine"), (2, "diplomacydebacle"), (3, "witkoffukraine")]
    runs = store.runs("import")
    assert [r["status"] for r in runs] == ["ok", "ok"]


def test_tag_and_platform_fill_missing_fields_and_hashtags_in_text_are_added(store, write_jsonl):
    path = write_jsonl(
        [
            {"id": 10, "created_at": "2025-11-20T10:00:00Z", "text": "Great talks #Peace2025"},
            {
                "id": "11",
                "created_at": "2025-11-20T10:00:00Z",
                "text": "ok",
                "platform": "bluesky",
                "tags": ["Other"],
            },
        ]
    )
    options = ImportOptions(platform="X", tags=("#WitkoffUkraine",))
    result = import_files(store, [path], VADER, options)
    assert result.new == 2
    assert store.db.execute(
        "SELECT p.platform, p.id, t.tag FROM posts p JOIN post_tags t USING (post_id)"
        " ORDER BY p.id, t.tag"
    ).fetchall() == [
        ("x", "10", "peace2025"),
        ("x", "10", "witkoffukraine"),
        ("bluesky", "11", "other"),
    ]


def test_a_post_seen_again_under_another_tag_gains_the_tag_and_fresh_metrics(store, write_jsonl):
    first = write_jsonl(
        [post("1", "2025-11-20T10:00:00Z", "hi", tags=["a"], metrics={"likes": 1})], "a.jsonl"
    )
    second = write_jsonl(
        [post("1", "2025-11-20T10:00:00Z", "hi", tags=["b"], metrics={"likes": 5})], "b.jsonl"
    )
    import_files(store, [first], VADER)
    result = import_files(store, [second], VADER)
    assert (result.new, result.duplicate) == (0, 1)
    assert store.db.execute("SELECT tag FROM post_tags ORDER BY tag").fetchall() == [("a",), ("b",)]
    assert store.db.execute("SELECT metrics FROM posts").fetchone() == ('{"likes": 5}',)


def test_csv_with_semicolon_tags_quoted_newlines_and_invalid_utf8(tmp_path: Path):
    path = tmp_path / "posts.csv"
    path.write_bytes(
        b"platform,id,created_at,text,tags,url\r\n"
        b'reddit,r1,2025-11-20T10:00:00Z,"two\r\nlines",WitkoffUkraine;DiplomacyDebacle,\r\n'
        b"reddit,r2,2025-11-20T10:00:00Z,bad \xff byte,a,\r\n"
        b"reddit,r3,2025-11-20T10:00:00Z,fine,a,https://example.org/r3\r\n"
    )
    items = list(read_posts(path))
    assert items[0].tags == ("witkoffukraine", "diplomacydebacle")
    assert items[0].text == "two\r\nlines"
    assert items[1] == Rejection(
        f"{path}:4",
        "not valid UTF-8: the file looks like Windows-1252 (as Excel saves CSV); save it as "
        "UTF-8 (Excel: 'CSV UTF-8') and import it again",
    )
    assert items[2].url == "https://example.org/r3" and items[2].id == "r3"


def test_cli_import_prints_counts_and_rejections_and_exits_as_collect_does(run, write_jsonl):
    path = write_jsonl([GOOD[0], "{oops", GOOD[1]])
    result = run("--db", "x.db", "import", path, ok=False)
    assert result.exit_code == 3  # some records unusable, the rest stored
    assert result.stdout == "2 new, 0 already present, 0 skipped, 1 rejected (2 texts scored)\n"
    assert f"rejected {path}:2: not valid JSON" in result.stderr
    again = run("--db", "x.db", "import", path, ok=False)
    assert again.exit_code == 3 and again.stdout.startswith(
        "0 new, 2 already present, 0 skipped, 1 rejected"
    )
    clean = run("--db", "x.db", "import", write_jsonl([GOOD[0]], "clean.jsonl"))
    assert clean.exit_code == 0  # all already present
    useless = run("--db", "x.db", "import", write_jsonl(["{", "[]"], "bad.jsonl"), ok=False)
    assert useless.exit_code == 1
    assert useless.stdout.startswith("0 new, 0 already present, 0 skipped, 2")


def test_search_prints_no_terminal_control_sequences(run, write_jsonl):
    hostile = "Peace talks \x1b[2J\x1b]0;pwned\x07 collapse \u202eevil\x1b[31m red"
    run(
        "--db",
        "x.db",
        "import",
        write_jsonl([post("1", "2025-11-20T10:00:00Z", hostile, tags=["a"])]),
    )
    shown = run("--db", "x.db", "search", "collapse").stdout
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
    assert "Peace talks \ufffd[2J\ufffd]0;pwned\ufffd collapse \ufffdevil\ufffd[31m red" in shown


def test_identical_texts_are_scored_once(store, write_jsonl):
    text = "Honestly a bold move, glad someone is trying #WitkoffUkraine"
    path = write_jsonl([post(str(i), "2025-11-20T10:00:00Z", text) for i in range(50)])
    result = import_files(store, [path], VADER)
    assert (result.new, result.scored) == (50, 1)
    repost = write_jsonl([post("r", "2025-11-20T11:00:00Z", text + "  ")], "more.jsonl")
    assert import_files(store, [repost], VADER).scored == 0


def test_an_import_leaves_the_cycle_collector_as_it_found_it(store, write_jsonl, tmp_path):
    """An import collects cycles less often while it runs (a notebook that imports goes on
    with its own settings after it), whether it ends well or not."""
    before = gc.get_threshold()
    path = write_jsonl([post(str(i), "2025-11-20T10:00:00Z", f"talk {i} #t") for i in range(20)])
    assert import_files(store, [path], VADER).new == 20
    assert (gc.get_threshold(), gc.get_freeze_count()) == (before, 0)
    with pytest.raises(MonitorError):
        import_files(store, [tmp_path / "empty folder"], VADER, format_name="parquet")
    assert (gc.get_threshold(), gc.get_freeze_count()) == (before, 0)


def test_awkward_but_real_texts_are_stored_as_written(store, write_jsonl):
    texts = {
        "rtl": "هذا خطأ فادح #WitkoffUkraine",
        "emoji": "😡😡😡 🇺🇦 #WitkoffUkraine",
        "html": "<script>alert(1)</script><img src=x onerror=alert(1)> #WitkoffUkraine",
        "long": "great " * 10_000 + "#WitkoffUkraine",  # 60 kB: long, but a post
    }
    path = write_jsonl(
        [post(k, "2025-11-20T10:00:00Z", v) for k, v in texts.items()]
        + [
            post("huge", "2025-11-20T10:00:00Z", "x" * 1_000_000, tags=["a"]),
            post("old", "2005-05-31T23:59:59Z", "before any platform", tags=["a"]),
        ]
    )
    result = import_files(store, [path], VADER)
    assert (result.new, result.rejected) == (4, 2)
    assert [r.reason for r in result.rejections] == [
        "text longer than 100000 characters",
        "created_at 2005-05-31T23:59:59+00:00 is before 2005-06-01",
    ]
    stored = dict(store.db.execute("SELECT id, text FROM posts"))
    assert stored == texts


def raw_record(ident: str = "ok", **fields: str) -> str:
    """A record as JSON text, each value given as raw JSON (so a test can write what
    json.dumps never would: NaN, 5,000-digit numbers, lone surrogates)."""
    values = {
        "platform": '"mastodon"',
        "id": f'"{ident}"',
        "created_at": '"2025-11-20T10:00:00Z"',
        "text": '"talks"',
        "tags": '["a"]',
        **fields,
    }
    return "{" + ", ".join(f'"{name}": {value}' for name, value in values.items()) + "}"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (raw_record(text='"lone \\ud800 surrogate"'), "text is not valid Unicode"),
        (raw_record(created_at='"9999-12-31T23:59:59-01:00"'), "is out of range"),
        (raw_record(created_at='"0001-01-01T00:30:00+01:00"'), "is out of range"),
        (raw_record(id="9" * 5000), "not valid JSON (Exceeds the limit (4300 digits)"),
        (raw_record(metrics="[" * 100_000 + "]" * 100_000), "not valid JSON (nested too deeply)"),
        (raw_record(author='"x\\udfff"'), "author is not valid Unicode"),
    ],
)
def test_one_bad_record_is_a_rejection_and_the_rest_is_stored(store, tmp_path, line, reason):
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join([raw_record("first"), line, raw_record("last")]) + "\n")
    result = import_files(store, [path], VADER)
    assert (result.new, result.rejected) == (2, 1)
    (rejection,) = result.rejections
    assert rejection.where == f"{path}:2" and reason in rejection.reason


def test_csv_fields_over_any_size_limit_reject_their_record_only(store, tmp_path):
    path = tmp_path / "big.csv"
    texts = {"c1": "one", "c2": "x" * 200_000, "c3": "y" * 1_200_000, "c4": "four"}
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["platform", "id", "created_at", "text", "tags"])
        for name, text in texts.items():
            writer.writerow(["mastodon", name, "2025-11-20T10:00:00Z", text, "a"])
    result = import_files(store, [path], VADER)
    assert result.new == 2 and [r.where[-2:] for r in result.rejections] == [":3", ":4"]
    assert "text longer than 100000" in result.rejections[0].reason
    assert "not valid CSV (field larger than field limit" in result.rejections[1].reason


def test_engagement_that_is_not_a_count_is_dropped_and_reports_still_sum(store, write_jsonl):
    lines = [  # four texts: identical ones would be one repost group in the top list
        raw_record("nan", text='"talks 1"', metrics='{"likes": NaN, "reposts": 2}'),
        raw_record("inf", text='"talks 2"', metrics='{"likes": 1e400}'),
        raw_record("big", text='"talks 3"', metrics=f'{{"likes": {2**63 - 1}, "replies": 3}}'),
        raw_record("odd", text='"talks 4"', metrics='{"likes": "7", "x": {"y": 1}, "ok": 1}'),
    ]
    result = import_files(store, [write_jsonl(lines)], VADER)
    assert (result.new, result.rejected) == (4, 0)
    stored = dict(store.db.execute("SELECT id, metrics FROM posts").fetchall())
    assert stored == {
        "nan": '{"reposts": 2}',
        "inf": None,
        "big": '{"replies": 3}',
        "odd": '{"ok": 1}',
    }
    top = store.top_posts("a", 0, 2**31, "engagement", limit=4)
    assert [(p["id"], p["engagement"]) for p in top][:2] == [("big", 3.0), ("nan", 2.0)]


def test_platform_is_a_name_and_twitter_is_x(store, write_jsonl):
    records = [
        post("1", "2025-11-20T10:00:00Z", "talks", platform="=cmd|' /C calc'!A0", tags=["a"]),
        post("2", "2025-11-20T10:00:00Z", "talks", platform="Twitter", tags=["a"]),
        post("3", "2025-11-20T10:00:00Z", "talks", platform="<img src=x>", tags=["a"]),
    ]
    result = import_files(store, [write_jsonl(records)], VADER)
    assert result.new == 1 and result.rejected == 2
    assert "platform \"=cmd|' /c calc'!a0\" is not a name" in result.rejections[0].reason
    assert store.db.execute("SELECT platform, id FROM posts").fetchall() == [("x", "2")]
    again = import_files(store, [write_jsonl([records[1] | {"platform": "x"}], "x.jsonl")], VADER)
    assert (again.new, again.duplicate) == (0, 1)  # twitter and x are one platform


@pytest.mark.parametrize("closed", [True, False], ids=["closed-later", "never-closed"])
def test_an_unbalanced_csv_quote_says_where_it_opened_and_what_it_took_in(tmp_path, closed):
    """A quote left open makes the csv module read the next lines as one field: that record is
    rejected naming the line the quote opened and the lines it took in, instead of storing a
    post whose text holds other records (or losing them under a count of one)."""
    lines = [
        "platform,id,created_at,text,tags",
        'mastodon,1,2025-11-20T10:00:00Z,"an open quote,a',
        "mastodon,2,2025-11-20T10:00:00Z,swallowed,a",
        "mastodon,3,2025-11-20T10:00:00Z,closes here" + ('"' if closed else "") + ",a",
        "mastodon,4,2025-11-20T10:00:00Z,multi-line texts are fine,a",
    ]
    if closed:
        lines.append('mastodon,5,2025-11-20T10:00:00Z,"two\nlines, a comma",a')
    path = tmp_path / "posts.csv"
    path.write_text("\n".join(lines) + "\n")
    items = list(read_posts(path))
    end = 4 if closed else 5
    assert items[0] == Rejection(
        f"{path}:2",
        f"a quote opened on line 2 runs to line {end}: lines 3-{end} (records of their own, by "
        "the look of them) are inside this one and were not imported; fix the quote",
    )
    expected = [("4", "multi-line texts are fine"), ("5", "two\nlines, a comma")] if closed else []
    assert [(p.id, p.text) for p in items[1:]] == expected


def test_tag_fills_untagged_records_and_add_tag_goes_on_every_one(run, write_jsonl):
    """A post with only #DiplomacyDebacle does not become #WitkoffUkraine under --tag; it does
    under --add-tag. A --tag that is no hashtag is refused before anything is read."""
    path = write_jsonl(
        [
            post("1", "2025-11-20T10:00:00Z", "talks in Geneva"),
            post("2", "2025-11-20T11:00:00Z", "more talks", tags=["DiplomacyDebacle"]),
        ]
    )
    filled = run("--db", "fill.db", "import", "--tag", "WitkoffUkraine", path)
    assert filled.stderr == ""  # a tracked tag (the default config's)
    added = run("--db", "add.db", "import", "--add-tag", "WitkoffUkraine", "--tag", "t", path)
    assert added.stderr == (  # said once, before the import
        "note: #t is not among the tracked tags (the default config: tags): the posts are "
        "stored, but reports and alerts leave them out until the tag is added there\n"
    )

    def tags(db):
        with Store(Path(db)) as store:
            return dict(
                store.db.execute(
                    "SELECT p.id, group_concat(t.tag, ',') FROM posts p JOIN post_tags t"
                    " USING (post_id) GROUP BY p.id ORDER BY p.id"
                )
            )

    assert tags("fill.db") == {"1": "witkoffukraine", "2": "diplomacydebacle"}
    assert tags("add.db") == {"1": "t,witkoffukraine", "2": "diplomacydebacle,witkoffukraine"}
    refused = run("--db", "x.db", "import", "--tag", "two words", path, ok=False)
    assert refused.exit_code == 1 and "--tag: 'two words' is not a hashtag" in refused.stderr


def test_an_import_only_database_reports_no_collection_instead_of_warnings(run, write_jsonl):
    path = write_jsonl([post("1", "2025-11-20T10:00:00Z", "talks", tags=["witkoffukraine"])])
    run("--db", "m.db", "import", path)
    status = run("--db", "m.db", "status")
    assert "no collect has run yet: the posts come from imports" in status.stdout
    assert "never collected" not in status.stdout
    run("--db", "m.db", "report", "--date", "2025-11-20")
    page = Path("reports/2025-11-20/index.html").read_text()
    assert "No collection has run: the posts here come from imports." in page
    assert "never collected" not in page


def test_a_spreadsheet_csv_with_other_column_names_is_understood(run, tmp_path):
    """Platform, ID, Date, Text as a spreadsheet writes them, ';' between cells, epoch seconds
    and milliseconds: imported; columns it does not read are named once; a file saved as
    Windows-1252 is explained on its first bad line."""
    path = tmp_path / "sheet.csv"
    path.write_text(
        "Platform;ID;Date;Text;Hashtags;Sentiment (mine)\n"
        "mastodon;1;2025-11-20T10:00:00Z;Talks in Geneva;WitkoffUkraine;pos\n"
        "Reddit;2;1763632800;Epoch seconds;WitkoffUkraine;neg\n"
        "bluesky;3;1763632800000;Epoch milliseconds;WitkoffUkraine;neg\n",
        encoding="utf-8",
    )
    result = run("--db", "x.db", "import", path)
    assert result.stdout.startswith("3 new, 0 already present, 0 skipped, 0 rejected")
    assert f"note: {path}: columns ignored: Sentiment (mine)" in result.stderr
    with Store(Path("x.db")) as store:
        rows = store.db.execute("SELECT platform, id, created_at FROM posts ORDER BY id").fetchall()
    assert rows == [
        ("mastodon", "1", "2025-11-20T10:00:00Z"),
        ("reddit", "2", "2025-11-20T10:00:00Z"),
        ("bluesky", "3", "2025-11-20T10:00:00Z"),
    ]
    excel = tmp_path / "excel.csv"
    excel.write_bytes(
        "platform;id;created_at;text;tags\n"
        "x;4;2025-11-20T10:00:00Z;plain ascii;a\n"
        "x;5;2025-11-20T10:00:00Z;Gespräche in Genf;a\n"
        "x;6;2025-11-20T10:00:00Z;très bien;a\n".encode("cp1252")
    )
    cp1252 = run("--db", "x.db", "import", excel, ok=False)
    assert cp1252.exit_code == 3
    assert f"rejected {excel}:3: not valid UTF-8: the file looks like Windows-1252" in cp1252.stderr
    assert f"rejected {excel}:4: not valid UTF-8 either (see line 3)" in cp1252.stderr


def test_a_labelled_sheet_without_times_imports_at_a_time_the_user_names(run, tmp_path):
    """A labelled spreadsheet (id, text, label; no time): every row rejected for its missing
    time, until ``--time`` names one; a row's own time is kept."""
    path = tmp_path / "labelled.csv"
    path.write_text(
        "id,text,label,created_at\n"
        "1,The reform will bankrupt us,negative,\n"
        "2,Finally health care for all,positive,\n"
        "3,Vote is on Sunday,neutral,2010-03-21T18:00:00Z\n",
        encoding="utf-8",
    )
    missing = run("--db", "x.db", "import", path, "--platform", "twitter", "--tag", "hcr", ok=False)
    assert missing.exit_code == 3 and "rejected" in missing.stderr
    assert missing.stdout.startswith("1 new, 0 already present, 0 skipped, 2 rejected")
    given = run(
        "--db", "x.db", "import", path, "--platform", "twitter", "--tag", "hcr",
        "--time", "2010-03-20",
    )  # fmt: skip
    assert given.stdout.startswith("2 new, 1 already present, 0 skipped, 0 rejected")
    with Store(Path("x.db")) as store:
        rows = store.db.execute("SELECT id, created_at FROM posts ORDER BY id").fetchall()
    assert rows == [
        ("1", "2010-03-20T00:00:00Z"),
        ("2", "2010-03-20T00:00:00Z"),
        ("3", "2010-03-21T18:00:00Z"),
    ]


def test_ids_a_spreadsheet_rounded_are_rejected_not_merged(run, tmp_path):
    """Two posts whose 19-digit ids Excel saved as 1.99548E+18: each a rejection saying why,
    where the second was counted as already present (one post lost without a word)."""
    path = tmp_path / "saved-by-excel.csv"
    path.write_text(
        "platform,id,created_at,text,tags\n"
        "x,1.99548E+18,2025-11-20T10:00:00Z,The talks failed,a\n"
        "x,1.99548E+18,2025-11-20T11:00:00Z,The talks went well,a\n"
        "x,1995478123456789012,2025-11-20T12:00:00Z,Kept as text,a\n",
        encoding="utf-8",
    )
    result = run("--db", "x.db", "import", path, ok=False)
    assert result.stdout.startswith("1 new, 0 already present, 0 skipped, 2 rejected")
    why = "id '1.99548E+18' is a number a spreadsheet rounded: its last digits are lost"
    assert f"rejected {path}:2: {why}" in result.stderr
    assert f"rejected {path}:3: {why}" in result.stderr


def test_a_labelled_workbook_imports_as_saved(run, tmp_path):
    """The sheet of an .xlsx that a format recognises (not the notes before it), its rows
    named by sheet and row number; ids typed as numbers keep their digits, up to the 15 a
    spreadsheet keeps (a longer one is rejected); a time the spreadsheet holds as a date has
    no offset and is rejected as in a CSV. A ZIP of other files says to unpack it."""
    from datetime import datetime

    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "notes"
    book.active.append(["Labelled by the desk, March 2010"])
    sheet = book.create_sheet("tweets")
    sheet.append(["id", "text", "label", "created_at"])
    sheet.append([10237553563, "The reform will bankrupt us", "negative", None])
    sheet.append([10239984258, "Finally health care for all", "positive", None])
    sheet.append([10240000000, "Vote is on Sunday", "neutral", "2010-03-21T18:00:00Z"])
    sheet.append([10240000001, "Vote today", "neutral", datetime(2010, 3, 21, 18)])
    sheet.append([1995478123456789012, "A 19-digit id typed as a number", "neutral", None])
    path = tmp_path / "labelled.xlsx"
    book.save(path)
    given = run(
        "--db", "x.db", "import", path, "--platform", "twitter", "--tag", "hcr",
        "--time", "2010-03-20", ok=False,
    )  # fmt: skip
    assert given.exit_code == 3
    assert given.stdout.startswith("3 new, 0 already present, 0 skipped, 2 rejected")
    assert f"rejected {path}[tweets]:5: created_at '2010-03-21T18:00:00' has no UTC offset" in (
        given.stderr
    )
    assert f"rejected {path}[tweets]:6: id '1.99547812345679E+18' is a number a spreadsheet" in (
        given.stderr
    )
    archive = tmp_path / "posts.zip"
    with zipfile.ZipFile(archive, "w") as files:
        files.writestr("posts.jsonl", '{"platform": "x"}\n')
    zipped = run("--db", "x.db", "import", archive, ok=False)
    assert zipped.exit_code == 1 and zipped.stderr.startswith(
        f"error: {archive}: a ZIP or OLE2 file that cannot be read as a workbook"
    )
    assert zipped.stderr.endswith("an archive of other files: unpack it and give those\n")
    with Store(Path("x.db")) as store:
        rows = store.db.execute("SELECT id, created_at FROM posts ORDER BY id").fetchall()
    assert rows == [
        ("10237553563", "2010-03-20T00:00:00Z"),
        ("10239984258", "2010-03-20T00:00:00Z"),
        ("10240000000", "2010-03-21T18:00:00Z"),
    ]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("2010-03-20 14:30", "2010-03-20T14:30:00Z"),
        ("2010-03-20T14:30:00Z", "2010-03-20T14:30:00Z"),
        ("2010-03-20T14:30+02:00", "2010-03-20T12:30:00Z"),
    ],
)
def test_the_time_for_records_without_one_is_any_iso_time_utc_unless_it_has_an_offset(
    run, tmp_path, typed, stored
):
    path = tmp_path / "labelled.csv"
    path.write_text("id,text,label\n1,The reform will bankrupt us,negative\n", encoding="utf-8")
    run("--db", "x.db", "import", path, "--platform", "twitter", "--tag", "hcr", "--time", typed)
    with Store(Path("x.db")) as store:
        assert store.db.execute("SELECT created_at FROM posts").fetchall() == [(stored,)]


def test_a_time_that_is_no_time_is_a_usage_error_naming_the_option(run, tmp_path):
    path = tmp_path / "labelled.csv"
    path.write_text("id,text,label\n1,The reform will bankrupt us,negative\n", encoding="utf-8")
    typed = run("--db", "x.db", "import", path, "--time", "20/03/2010", ok=False)
    assert typed.exit_code == 2
    assert "'--time': '20/03/2010' is not a day or an ISO 8601 time" in typed.stderr
    assert not Path("x.db").exists()


def test_the_progress_bar_writes_counts_out():
    """tqdm prints a round 10,000 as "1e+4" (and 14999 as is): the bar says "new=10,000"."""
    result = IngestResult(new=10_000, duplicate=19_500, rejected=3, skipped=Counter(a=12_345))
    shown = io.StringIO()
    with tqdm(file=shown, desc="import") as bar:
        bar.set_postfix(progress_counts(result))
    assert "new=10,000, present=19,500, skipped=12,345, rejected=3" in shown.getvalue()
