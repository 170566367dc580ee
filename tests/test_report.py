"""The daily report: files, escaping, links, manifest counts, the index, and the demo."""

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from monitor.config import Config
from monitor.pipeline import import_files
from monitor.report import markdown_text, safe_url, write_report
from tests.conftest import REPO, VADER, markdown_blocks_are_valid, post

HOSTILE = "<script>alert(1)</script> what a disaster, terrible"


@pytest.fixture
def report_setup(store, write_jsonl, tmp_path):
    records = [
        post(
            "1", "2025-11-20T10:00:00Z", HOSTILE, tags=["witkoffukraine"], url="javascript:alert(1)"
        ),
        post(
            "2",
            "2025-11-20T11:00:00Z",
            "Fresh perspectives might be what's needed",
            tags=["witkoffukraine"],
            url="https://example.org/p/2",
        ),
        post(
            "3",
            "2025-11-19T11:00:00Z",
            "Good to see new energy in the talks",
            tags=["diplomacydebacle"],
            platform="bluesky",
        ),
        post("4", "2025-11-10T11:00:00Z", "Old news", tags=["witkoffukraine"]),
    ]
    import_files(store, [write_jsonl(records)], VADER)
    config = replace(Config(), reports_dir=tmp_path / "reports")
    return store, config


def test_report_writes_every_file_with_escaped_text_and_matching_manifest(report_setup):
    store, config = report_setup
    index = write_report(store, config, date(2025, 11, 20), days=7)
    folder = index.parent
    assert folder == config.reports_dir / "2025-11-20"
    expected = {
        "index.html",
        "report.md",
        "daily.csv",
        "daily_by_platform.csv",
        "manifest.json",
        "volume.png",
        "sentiment.png",
        "split-witkoffukraine.png",
        "split-diplomacydebacle.png",
    }
    assert {p.name for p in folder.iterdir()} == expected
    for png in folder.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000

    html = index.read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; what a disaster" in html
    assert "<script>" not in html and "javascript:" not in html
    assert '<a href="https://example.org/p/2" rel="noopener noreferrer"' in html
    markdown = (folder / "report.md").read_text()
    assert "&lt;script&gt;alert\\(1\\)&lt;/script&gt;" in markdown and "<script>" not in markdown

    manifest = json.loads((folder / "manifest.json").read_text())
    db = store.db
    assert (
        manifest["counts"]["posts_in_database"]
        == db.execute("SELECT count(*) FROM posts").fetchone()[0]
        == 4
    )
    assert manifest["counts"]["posts_in_range"] == {"witkoffukraine": 2, "diplomacydebacle": 1}
    assert manifest["counts"]["posts_on_day"] == {"witkoffukraine": 2, "diplomacydebacle": 0}
    assert manifest["date_range"] == ["2025-11-14", "2025-11-20"]
    assert manifest["scorer_version"] == VADER.version
    assert manifest["scorer_versions_in_database"] == {VADER.version: 4}
    assert manifest["counts"]["posts_with_stale_score"] == 0
    csv_lines = (folder / "daily.csv").read_text().splitlines()
    assert len(csv_lines) - 1 == manifest["counts"]["daily_csv_rows"] == 14
    assert "2025-11-20,witkoffukraine,2,2,1,0,1," in (folder / "daily.csv").read_text()

    listing = (config.reports_dir / "index.html").read_text()
    assert 'href="2025-11-20/index.html"' in listing


def test_headline_compares_with_the_seven_days_before(report_setup):
    store, config = report_setup
    html = write_report(store, config, date(2025, 11, 17), days=3).read_text()
    # 17 Nov has no posts; one post on 10 Nov makes the 7-day mean 1/7 = 0.1/day.
    assert "-100% vs 7-day mean (0.1/day)" in html


def test_only_web_links_survive():
    assert safe_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    assert safe_url(" JavaScript:alert(1)") is None
    assert safe_url("data:text/html,hi") is None and safe_url(None) is None
    assert (
        markdown_text("[x](javascript:y) *b*\n<i>") == "\\[x\\]\\(javascript:y\\) \\*b\\* &lt;i&gt;"
    )


def test_demo_from_the_console_script_builds_a_labelled_report(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith("Synthetic demo report: ")
    index = Path(first.split(": ", 1)[1])
    assert index.is_file() and index.parent.parent == tmp_path / "reports" / "demo"
    html = index.read_text()
    assert "Synthetic demo data" in html
    manifest = json.loads((index.parent / "manifest.json").read_text())
    assert 2000 <= manifest["counts"]["posts_in_database"] <= 6000
    assert (tmp_path / "data" / "demo.db").is_file()
    assert (tmp_path / "reports" / "demo" / "index.html").is_file()


def test_report_files_carry_no_markup_or_formulas_from_posts(store, write_jsonl, tmp_path):
    records = [
        post(
            "1",
            "2025-11-20T10:00:00Z",
            "A terrible disaster of a meeting",
            tags=["witkoffukraine"],
            url="https://example.org/a> <img src=x onerror=alert(1)>",
        )
    ]
    import_files(store, [write_jsonl(records)], VADER)
    # a platform name stored by an older release, before names were checked at the door
    store.db.execute("UPDATE posts SET platform = '=HYPERLINK(\"x\")'")
    store.db.execute("UPDATE tag_rows SET platform = '=HYPERLINK(\"x\")'")
    config = replace(Config(), tags=("witkoffukraine",), reports_dir=tmp_path / "reports")
    folder = write_report(store, config, date(2025, 11, 20), days=7).parent
    markdown = (folder / "report.md").read_text()
    assert "<img" not in markdown
    assert "(<https://example.org/a%3E%20%3Cimg%20src=x%20onerror=alert(1)%3E>)" in markdown
    assert '=HYPERLINK\\("x"\\): A terrible disaster' in markdown
    by_platform = (folder / "daily_by_platform.csv").read_text()
    assert ',"\'=HYPERLINK(""x"")",' in by_platform
    assert ",=HYPERLINK" not in by_platform and ',"=HYPERLINK' not in by_platform


def test_report_writes_replace_symlinks_planted_in_the_reports_folder(report_setup, tmp_path):
    """A symlink where the day folder or the index would go is replaced, never written through:
    the files it points at are untouched. A rewrite replaces the earlier report whole."""
    store, config = report_setup
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("precious")
    config.reports_dir.mkdir()
    (config.reports_dir / "2025-11-20").symlink_to(outside, target_is_directory=True)
    (config.reports_dir / "index.html").symlink_to(outside / "keep.txt")
    write_report(store, config, date(2025, 11, 20), days=7)
    day = config.reports_dir / "2025-11-20"
    assert not day.is_symlink() and (day / "index.html").is_file()
    assert not (config.reports_dir / "index.html").is_symlink()
    assert [p.name for p in outside.iterdir()] == ["keep.txt"]
    assert (outside / "keep.txt").read_text() == "precious"
    (day / "stray.txt").write_text("from an earlier run")
    write_report(store, config, date(2025, 11, 20), days=7)
    assert not (day / "stray.txt").exists()
    assert sorted(p.name for p in config.reports_dir.iterdir()) == ["2025-11-20", "index.html"]


def test_report_markdown_is_valid_with_and_without_enough_posts(report_setup, tmp_path):
    store, config = report_setup
    for min_posts in (1, 10):  # shares, then "n too small"
        setup = replace(config, analysis=replace(config.analysis, min_posts=min_posts))
        folder = write_report(store, setup, date(2025, 11, 20), days=7).parent
        text = (folder / "report.md").read_text()
        markdown_blocks_are_valid(text)
        headline = [line for line in text.splitlines() if line.startswith("| \\#")][:2]
        assert [line.split(" | ")[0] for line in headline] == [
            "| \\#witkoffukraine",
            "| \\#diplomacydebacle",
        ]
        assert ("n too small" in headline[0]) == (min_posts == 10)


def test_index_lists_each_days_headline_and_report_warns_of_empty_or_unfinished_days(
    run, tmp_path, write_jsonl
):
    records = [
        post(str(i), "2025-11-20T10:00:00Z", text, tags=["witkoffukraine"])
        for i, text in enumerate(["great news", "terrible idea", "a disaster", "fine talks"] * 5)
    ]
    run("--db", "m.db", "import", write_jsonl(records))
    day = run("--db", "m.db", "report", "--date", "2025-11-20", "--days", "7")
    assert day.stdout.strip().endswith("reports/2025-11-20/index.html") and day.stderr == ""
    index = (tmp_path / "reports" / "index.html").read_text()
    assert (
        '<a href="2025-11-20/index.html">2025-11-20</a>: #witkoffukraine: 20 posts, 50% skeptical '
        "(30-70%, n=20), 50% supportive (30-70%); #diplomacydebacle: 0 posts, n too small for "
        "shares"
    ) in index
    folder = tmp_path / "reports" / "2025-11-20"
    page, text = (folder / "index.html").read_text(), (folder / "report.md").read_text()
    # a tag with no post in the window is one line, not an empty section
    assert "No posts with #diplomacydebacle from 2025-11-14 to 2025-11-20." in page
    assert "No posts with \\#diplomacydebacle from 2025-11-14 to 2025-11-20." in text
    assert 'src="split-diplomacydebacle.png"' not in page and "split-diplomacydebacle" not in text
    assert page.count("What drove the day") == text.count("What drove the day") == 1
    markdown_blocks_are_valid(text)
    empty = run("--db", "m.db", "report", "--date", "2025-06-01", "--days", "7")
    assert "warning: no posts from 2025-05-26 to 2025-06-01: the report is empty" in empty.stderr
    today = datetime.now(UTC).date()
    unfinished = run("--db", "m.db", "report", "--date", today.isoformat())
    assert f"warning: {today} has not ended yet in UTC: its numbers will grow" in unfinished.stderr


def test_near_duplicate_texts_are_one_item_in_top_lists_but_every_post_counts(
    store, write_jsonl, tmp_path
):
    """A campaign's copies differ only in links, @mentions, spacing and case: one item in each
    top list, shown as the first posted, with every copy counted."""
    campaign = "This deal is a terrible disaster for everyone"
    variants = [
        campaign,
        f"@envoy {campaign} https://t.co/a1",
        f"{campaign}   https://example.org/x?y=1",
        campaign.lower(),
        f"{campaign} @desk @news.example",
    ]
    records = [
        post(
            f"c{i}",
            f"2025-11-20T1{i}:00:00Z",
            variants[i],
            platform=platform,
            tags=["witkoffukraine"],
            author=f"user{i}",
            metrics={"likes": 10},
        )
        for i, platform in enumerate(["bluesky", "mastodon", "reddit", "mastodon", "bluesky"])
    ]
    records += [
        post("a", "2025-11-20T09:00:00Z", "An awful, sad mess", tags=["witkoffukraine"]),
        post("b", "2025-11-20T09:30:00Z", "This is a bad and sad idea", tags=["witkoffukraine"]),
    ]
    import_files(store, [write_jsonl(records)], VADER)
    lo = int(datetime(2025, 11, 20, tzinfo=UTC).timestamp())
    top = store.top_posts("witkoffukraine", lo, lo + 86400, "negative", 3)
    assert [(p["id"], p["copies"]) for p in top if p["copies"] > 1] == [("c0", 5)]
    assert len({p["text"] for p in top}) == len(top) == 3
    engaged = store.top_posts("witkoffukraine", lo, lo + 86400, "engagement", 1)
    assert (engaged[0]["id"], engaged[0]["copies"], engaged[0]["engagement"]) == ("c0", 5, 50)
    config = replace(Config(), reports_dir=tmp_path / "reports")
    folder = write_report(store, config, date(2025, 11, 20), days=7).parent
    assert "×5, first" in (folder / "index.html").read_text()
    assert "×5, first bluesky by user0" in (folder / "report.md").read_text()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["counts"]["posts_on_day"]["witkoffukraine"] == 7  # every copy counts


def test_without_a_config_file_reports_go_beside_the_db_given(run, tmp_path, write_jsonl):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    records = [post("1", "2025-11-20T10:00:00Z", "great talks", tags=["witkoffukraine"])]
    run("--db", elsewhere / "m.db", "import", write_jsonl(records))
    result = run("--db", elsewhere / "m.db", "report", "--date", "2025-11-20")
    assert result.stdout.strip() == str(elsewhere / "reports" / "2025-11-20" / "index.html")
    assert not (tmp_path / "reports").exists()


def test_days_no_archive_covered_are_no_baseline_for_headlines_or_alerts(run, write_jsonl):
    """Two archives a week apart: the days between are not quiet days. The headline compares
    the report day with the covered days before it only, no volume spike is raised against
    the zeros between, and daily.csv says which days were collected."""

    def posts(day: str, count: int) -> list[dict]:
        return [
            post(f"{day}-{i}", f"{day}T1{i}:00:00Z", "The talks go on", tags=["witkoffukraine"])
            for i in range(count)
        ]

    early = [p for day in ("2025-11-10", "2025-11-11", "2025-11-12") for p in posts(day, 3)]
    late = posts("2025-11-19", 3) + posts("2025-11-20", 9)
    run(
        "--db", "m.db", "import", write_jsonl(early, "early.jsonl"), write_jsonl(late, "late.jsonl")
    )
    run("--db", "m.db", "report", "--date", "2025-11-20", "--days", "14")
    folder = Path("reports") / "2025-11-20"
    page = (folder / "index.html").read_text()
    # 2025-11-19 alone: the other days before were not collected
    assert "+200% vs 1-day mean (3.0/day), the collected days of the 7 before" in page
    # and the page says what each stretch rests on
    assert "<li>2025-11-10 to 2025-11-12: imported from early.jsonl</li>" in page
    assert "<li>2025-11-19 to 2025-11-20: imported from late.jsonl</li>" in page
    text = (folder / "report.md").read_text()
    assert "- 2025-11-10 to 2025-11-12: imported from early.jsonl" in text
    manifest = json.loads((folder / "manifest.json").read_text())
    assert [a for a in manifest["alerts"] if a["kind"] == "volume"] == []
    daily = pd.read_csv(folder / "daily.csv")
    rows = daily[daily["tag"] == "witkoffukraine"].set_index("period")["collected"]
    assert rows["2025-11-12"] and not rows["2025-11-13"] and not rows["2025-11-18"]
    assert rows["2025-11-19"] and rows["2025-11-20"]


@pytest.mark.parametrize(("days", "by"), [(90, "day"), (91, "week"), (731, "week"), (732, "month")])
def test_a_long_report_charts_by_week_or_month_and_says_so(report_setup, days, by):
    store, config = report_setup
    folder = write_report(store, config, date(2025, 11, 20), days=days).parent
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["charts_by"] == by
    page = (folder / "index.html").read_text()
    named = {"week": "by ISO week (Monday to Sunday)", "month": "by calendar month"}
    assert (named.get(by, "by ISO week") in page) == (by != "day")
    daily = pd.read_csv(folder / "daily.csv")
    assert len(daily) == days * len(config.tags)  # the CSVs keep the days
