"""Ad-hoc plots and search from the CLI, comparisons with a known platform difference, and
collection gaps from a runs table with a known outage."""

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitor import charts, trends
from monitor.config import Config, load_config
from monitor.demo import generate, write_jsonl
from monitor.health import coverage_between, gaps_between
from monitor.notebook import Monitor
from monitor.pipeline import import_files
from monitor.report import write_report
from monitor.store import Store
from tests.conftest import VADER, post

END = date(2025, 11, 23)


@pytest.fixture
def demo_db(tmp_path):
    source = write_jsonl(generate(END, 14), tmp_path / "demo.jsonl")
    with Store(tmp_path / "demo.db") as store:
        import_files(store, [source], VADER)
    return tmp_path / "demo.db"


@pytest.mark.parametrize("kind", ["split", "volume", "sentiment"])
@pytest.mark.parametrize(
    ("by", "tags"),
    [("tag", ()), ("platform", ("witkoffukraine",)), ("language", ("witkoffukraine",))],
)
def test_plot_writes_png_svg_and_the_numbers_behind_them(run, demo_db, tmp_path, kind, by, tags):
    args = [
        "--db",
        demo_db,
        "plot",
        "--kind",
        kind,
        "--by",
        by,
        "--since",
        "2025-11-10",
        "--until",
        "2025-11-23",
    ]
    for tag in tags:
        args += ["--tag", tag]
    run(*args, "--out", "chart.png", "--csv", "numbers.csv")
    run(*args, "--out", "chart.svg")
    png, svg = Path("chart.png").read_bytes(), Path("chart.svg").read_text()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and len(svg) > 20_000
    numbers = pd.read_csv("numbers.csv", parse_dates=["period"])
    with Store(demo_db) as store:
        expected = trends.series(
            store,
            list(tags) or list(Config().tags),
            date(2025, 11, 10),
            END,
            by=None if by == "tag" else by,
            min_posts=Config().analysis.min_posts,
        )
    pd.testing.assert_frame_equal(
        numbers, expected, check_exact=False, rtol=1e-5, check_dtype=False
    )


def test_hourly_plot_for_one_platform(run, demo_db):
    run(
        "--db",
        demo_db,
        "plot",
        "--freq",
        "H",
        "--platform",
        "reddit",
        "--kind",
        "volume",
        "--since",
        "2025-11-17",
        "--until",
        "2025-11-17",
        "--out",
        "h.png",
        "--csv",
        "h.csv",
    )
    numbers = pd.read_csv("h.csv")
    assert len(numbers) == 48  # 24 hours x 2 tags
    with Store(demo_db) as store:
        reddit_day = trends.series(
            store, ["witkoffukraine"], date(2025, 11, 17), date(2025, 11, 17), platforms=["reddit"]
        )
    assert numbers[numbers["tag"] == "witkoffukraine"]["n"].sum() == reddit_day["n"].sum()


def test_languages_are_named_on_charts(demo_db):
    with Store(demo_db) as store:
        frame = trends.series(store, ["witkoffukraine"], date(2025, 11, 10), END, by="language")
    codes = set(frame["language"])
    assert {"en", "de"} <= codes
    volume = charts.chart(frame, "volume", by="language")
    legend = {t.get_text() for t in volume.axes[0].get_legend().get_texts()}
    assert {"English (en)", "German (de)"} <= legend and not codes & legend
    split = charts.chart(frame, "split", by="language")
    titles = [ax.get_title(loc="left") for ax in split.axes]
    assert any(t.startswith("English (en)  (") for t in titles)


def test_share_charts_leave_out_languages_without_a_scored_post_and_name_them(demo_db):
    """VADER reads English only: German panels or lines would be empty; the title says why
    they are missing and how many posts they hold."""
    with Store(demo_db) as store:
        frame = trends.series(store, ["witkoffukraine"], date(2025, 11, 10), END, by="language")
    per_language = frame.groupby("language")[["n", "n_scored"]].sum()
    unread = per_language[per_language["n_scored"] == 0]
    assert "de" in unread.index and unread.loc["de", "n"] > 0
    split = charts.chart(frame, "split", by="language")
    assert [ax.get_title(loc="left").split("  (")[0] for ax in split.axes] == ["English (en)"]
    assert f"Not scored, so not shown: German (de) {unread.loc['de', 'n']:,}" in " ".join(
        split.get_suptitle().split()
    )
    sentiment = charts.chart(frame, "sentiment", by="language")
    legend = [t.get_text() for t in sentiment.axes[0].get_legend().get_texts()]
    assert legend == ["English (en)"]
    assert "German (de)" in sentiment.axes[0].get_title(loc="left")
    german = charts.chart(frame[frame["language"] == "de"], "split", by="language")
    shown = german.axes[0].texts[0].get_text()
    assert shown.endswith(f"{unread.loc['de', 'n']:,} posts, none in a language the scorer reads.")


def test_plot_by_platform_needs_one_tag_and_an_image_name(run, demo_db):
    many = run("--db", demo_db, "plot", "--by", "platform", "--out", "x.png", ok=False)
    assert many.exit_code == 2 and "--by platform compares platforms for one --tag" in many.stderr
    bad = run("--db", demo_db, "plot", "--out", "x.jpg", ok=False)
    assert bad.exit_code == 2 and "must end in .png or .svg" in bad.stderr


def test_search_lists_matching_posts_with_scores(run, store, write_jsonl):
    import_files(
        store,
        [
            write_jsonl(
                [
                    post(
                        "1",
                        "2025-11-20T10:00:00Z",
                        "Diplomacy isn't a game for realtors. What a mess.",
                        tags=["witkoffukraine"],
                        url="https://example.org/1",
                    ),
                    post(
                        "2",
                        "2025-11-21T10:00:00Z",
                        "Realtors at the table? Great news",
                        tags=["diplomacydebacle"],
                    ),
                    post("3", "2025-11-21T11:00:00Z", "Talks in Geneva", tags=["witkoffukraine"]),
                ]
            )
        ],
        VADER,
    )
    db = store.path
    found = run("--db", db, "search", "realtors").stdout.splitlines()
    assert found == [
        "2025-11-21 10:00 UTC  mastodon +0.625 supportive Realtors at the table? Great news",
        "2025-11-20 10:00 UTC  mastodon -0.361 skeptical  Diplomacy isn't a game for realtors. "
        "What a mess.",
        "    https://example.org/1",
    ]
    assert run("--db", db, "search", "realtors").stderr == "2 posts match\n"
    second = run("--db", db, "search", "realtors", "--limit", "1", "--page", "2")
    assert second.stdout.splitlines() == found[1:]
    assert second.stderr == "2 posts match; showing 2-2\n"
    first = run("--db", db, "search", "realtors", "--limit", "1")
    assert first.stdout.splitlines() == found[:1]
    assert first.stderr == "2 posts match; showing 1-1 (--page 2 for more)\n"
    assert run("--db", db, "search", "nothing-here").stderr == "0 posts match\n"
    tagged = run("--db", db, "search", "realtors", "--tag", "#WitkoffUkraine")
    assert tagged.stdout.count("realtors") == 1 and tagged.stderr == "1 post matches\n"
    assert run("--db", db, "search", "realtors", "--since", "2025-11-21").stdout.count("\n") == 1
    # Plain text as people type it: hashtags, apostrophes, dots, FTS words, a URL
    for typed in ("isn't", "Realtors.", "#WitkoffUkraine realtors", "AND OR", "https://x.org/a"):
        result = run("--db", db, "search", typed, ok=False)
        assert result.exit_code == 0 and "not a valid" not in result.stderr, typed
    assert run("--db", db, "search", "isn't").stdout.count("\n") == 2  # the post and its URL
    assert run("--db", db, "search", "table?").stdout.count("Realtors at the table") == 1
    either = run("--db", db, "search", "--fts", "mess OR table").stdout
    assert either.count("mastodon") == 2
    broken = run("--db", db, "search", "--fts", "AND OR", ok=False)
    assert broken.exit_code == 1 and "is not a valid full-text query" in broken.stderr


def test_search_matches_the_words_people_see_and_finds_links_only_when_asked(store, write_jsonl):
    """A URL slug is no match for the words in it; a search for the link, or its domain, finds
    the post; a deleted post leaves the index."""
    link = "https://news.example.org/2025/11/peace-plan-geneva"
    posts = [
        post("slug", "2025-11-20T10:00:00Z", f"Read this {link}", tags=["t"]),
        post("said", "2025-11-20T11:00:00Z", "The peace plan is shameful", tags=["t"]),
        post("bare", "2025-11-20T12:00:00Z", "via bsky.app/profile/peace-plan.bsky", tags=["t"]),
    ]
    import_files(store, [write_jsonl(posts)], VADER)

    def ids(query: str, fts: bool = False) -> list[str]:
        return sorted(row["id"] for row in store.search(query, fts=fts))

    assert ids("peace plan") == ["said"]
    assert ids(link) == ["slug"]
    assert ids("news.example.org") == ["slug"]
    assert ids("bsky.app/profile/peace-plan.bsky") == ["bare"]
    assert ids("links: geneva", fts=True) == ["slug"]  # FTS syntax reaches the links column
    store.delete_posts([("mastodon", "slug")])
    assert ids(link) == []
    store.db.execute("INSERT INTO posts_fts (posts_fts) VALUES ('integrity-check')")


def test_report_names_a_known_platform_difference(store, write_jsonl, tmp_path):
    negative, positive = "A terrible disaster", "Great talks, I love it"
    records = [
        post(
            f"r{i}",
            "2025-11-20T12:00:00Z",
            negative if i < 20 else positive,
            platform="reddit",
            tags=["witkoffukraine"],
        )
        for i in range(30)
    ]
    records += [
        post(
            f"m{i}",
            "2025-11-20T12:00:00Z",
            negative if i < 5 else positive,
            platform="mastodon",
            tags=["witkoffukraine"],
        )
        for i in range(30)
    ]
    records += [
        post("b1", "2025-11-20T12:00:00Z", negative, platform="bluesky", tags=["witkoffukraine"])
    ]  # one post: n too small to compare
    import_files(store, [write_jsonl(records)], VADER)
    config = replace(Config(), tags=("witkoffukraine",), reports_dir=tmp_path / "reports")
    html = write_report(store, config, date(2025, 11, 20), days=7).read_text()
    assert (
        "On 2025-11-20: mastodon is less skeptical than reddit: 17% vs 67% (n scored = 30 vs 30; "
        "z = -4.7, p = 2.2e-06)"
    ) in html
    assert "mastodon is more supportive than reddit: 83% vs 33%" in html
    assert "bluesky" in html and html.count("n too small") >= 1
    assert (tmp_path / "reports" / "2025-11-20" / "platforms-witkoffukraine.png").is_file()


def test_gaps_from_a_runs_table_with_a_known_outage_are_shaded(store, tmp_path):
    def add(started, finished, status, error=None, source="mastodon"):
        store.db.execute(
            "INSERT INTO runs (job, source, started_at, finished_at, status, error)"
            " VALUES ('collect', ?, ?, ?, ?, ?)",
            (source, started, finished, status, error),
        )

    add("2025-11-20T00:00:00Z", "2025-11-20T00:01:00Z", "ok")
    add("2025-11-20T00:15:00Z", "2025-11-20T00:16:00Z", "error", "HTTP 503")
    add("2025-11-20T06:00:00Z", "2025-11-20T06:01:00Z", "ok")
    add("2025-11-20T06:15:00Z", "2025-11-21T23:59:00Z", "ok")
    add("2025-11-20T00:00:00Z", "2025-11-20T00:01:00Z", "ok", source="x")
    path = tmp_path / "monitor.toml"
    path.write_text('[schedule]\ncollect_every = "1d"\n')
    config = replace(load_config(path), database=store.path)
    gaps = gaps_between(store, config, date(2025, 11, 20), date(2025, 11, 20), ["mastodon"])
    assert [(g.source, g.start, g.end, g.reason) for g in gaps] == [
        (
            "mastodon",
            datetime(2025, 11, 20, 0, 1, tzinfo=UTC),
            datetime(2025, 11, 20, 6, 0, tzinfo=UTC),
            "HTTP 503",
        )
    ]
    frame = trends.series(store, ["t"], date(2025, 11, 19), date(2025, 11, 21))
    figure = charts.volume_chart(frame, gaps=gaps)
    (ax,) = figure.axes
    spans = [p for p in ax.patches if p.get_hatch() == "//"]
    assert len(spans) == 1
    x0, x1 = spans[0].get_x(), spans[0].get_x() + spans[0].get_width()
    assert (pd.Timestamp(x0, unit="D").round("s"), pd.Timestamp(x1, unit="D").round("s")) == (
        pd.Timestamp("2025-11-20 00:01"),
        pd.Timestamp("2025-11-20 06:00"),
    )
    assert "collection gap" in [
        t.get_text()
        for legend in ax.findobj(lambda o: hasattr(o, "get_texts"))
        for t in legend.get_texts()
    ]


def test_days_no_archive_or_collect_covered_are_not_collected_not_zero(run, tmp_path, write_jsonl):
    """Two archives imported in one run, a week apart, in New York's days: the days outside
    them are "not collected" spans (whole local days), the volume line has no point there
    instead of a zero, and a source's first collect covers from its backfill horizon on."""

    def posts(days):
        return [
            post(f"{day}-{i}", f"{day}T{12 + i}:00:00Z", "The talks go on", tags=["t"])
            for day in days
            for i in range(3)
        ]

    first = write_jsonl(posts(["2025-11-10", "2025-11-11", "2025-11-12"]), "first.jsonl")
    second = write_jsonl(posts(["2025-11-19", "2025-11-20"]), "second.jsonl")
    config_path = tmp_path / "monitor.toml"
    config_path.write_text(
        'tags = ["t"]\ndatabase = "m.db"\ntimezone = "America/New_York"\n'
        "[collect]\nbackfill_days = 1\n"
    )
    run("--config", config_path, "import", first, second)
    config = load_config(config_path)
    zone = config.zone

    def local(day: str) -> datetime:
        return datetime.combine(date.fromisoformat(day), datetime.min.time(), zone).astimezone(UTC)

    with Store(config.database) as store:
        gaps = gaps_between(store, config, date(2025, 11, 8), date(2025, 11, 22))
        assert [(g.start, g.end, g.reason) for g in gaps] == [
            (local("2025-11-08"), local("2025-11-10"), "not collected"),
            (local("2025-11-13"), local("2025-11-19"), "not collected"),
            (local("2025-11-21"), local("2025-11-23"), "not collected"),
        ]
        frame = trends.series(store, ["t"], date(2025, 11, 8), date(2025, 11, 22), config.timezone)
        (ax,) = charts.volume_chart(frame, gaps=gaps, timezone=config.timezone).axes
        (line,) = ax.get_lines()
        counts = dict(zip(frame["period"].dt.strftime("%d"), line.get_ydata(), strict=True))
        assert counts["10"] == 3 and counts["20"] == 3
        assert all(np.isnan(counts[day]) for day in ("08", "09", "13", "18", "21", "22"))
        legend = [
            t.get_text()
            for lg in ax.findobj(lambda o: hasattr(o, "get_texts"))
            for t in lg.get_texts()
        ]
        assert "not collected" in legend and "collection gap" not in legend
        store.db.execute(  # mastodon's first collect: it covers from a day before it on
            "INSERT INTO runs (job, source, started_at, finished_at, status)"
            " VALUES ('collect', 'mastodon', '2025-11-21T12:00:00Z', '2025-11-21T12:01:00Z', 'ok')"
        )
        later = gaps_between(store, config, date(2025, 11, 8), date(2025, 11, 22))
        uncovered = [g.end for g in later if g.reason == "not collected"]
        assert uncovered == [local("2025-11-10"), local("2025-11-19")]
        rests_on = coverage_between(store, config, date(2025, 11, 8), date(2025, 11, 22))
        assert [(c.what, c.start, c.end) for c in rests_on] == [
            ("imported from first.jsonl", date(2025, 11, 10), date(2025, 11, 12)),
            ("imported from second.jsonl", date(2025, 11, 19), date(2025, 11, 20)),
            ("collected from mastodon", date(2025, 11, 20), None),
        ]


def test_plot_prints_which_platforms_differ_beyond_chance(run, demo_db):
    # The demo leans Bluesky supportive and Reddit skeptical, as in the story it mimics.
    out = run(
        "--db",
        demo_db,
        "plot",
        "--tag",
        "witkoffukraine",
        "--by",
        "platform",
        "--since",
        "2025-11-10",
        "--until",
        "2025-11-23",
        "--out",
        "c.png",
    ).stdout
    wrote, *lines = out.splitlines()
    assert wrote.startswith("wrote ") and wrote.endswith(".png")  # the path, always
    assert any(
        line.startswith("2025-11-10 to 2025-11-23: bluesky is more supportive than reddit")
        for line in lines
    )
    assert all("; z = " in line for line in lines)


def test_plot_refuses_a_start_after_the_end(run, demo_db):
    result = run(
        "--db",
        demo_db,
        "plot",
        "--since",
        "2025-11-20",
        "--until",
        "2025-11-10",
        "--out",
        "x.png",
        ok=False,
    )
    assert result.exit_code == 2
    assert "2025-11-20 is after --until 2025-11-10" in result.stderr
    assert not Path("x.png").exists()


@pytest.mark.parametrize("freq", ["W", "M"])
def test_plot_by_week_or_month_sums_the_days_and_names_each_period(run, demo_db, freq):
    """The demo's 14 days by ISO week (from Mondays) and by calendar month: the CSV's periods
    start the weeks or months (the first cut by --since), its counts sum the daily ones."""
    since, until = (END - timedelta(days=13)).isoformat(), END.isoformat()
    window = ["--since", since, "--until", until, "--kind", "volume"]
    run("--db", demo_db, "plot", *window, "--out", "d.png", "--csv", "d.csv")
    run("--db", demo_db, "plot", *window, "--freq", freq, "--out", "p.svg", "--csv", "p.csv")
    daily = pd.read_csv("d.csv", parse_dates=["period"])
    grouped = pd.read_csv("p.csv", parse_dates=["period"])
    rule = "W-SUN" if freq == "W" else "M"
    expected = daily.groupby([daily["period"].dt.to_period(rule), "tag"])["n"].sum()
    got = grouped.set_index([grouped["period"].dt.to_period(rule), "tag"])["n"]
    assert got.sort_index().tolist() == expected.sort_index().tolist()
    starts = sorted(set(grouped["period"]))
    assert starts[0] == pd.Timestamp(since)
    if freq == "W":
        assert all(day.weekday() == 0 for day in starts[1:])
    else:
        assert all(day.day == 1 for day in starts[1:])
    assert Path("p.svg").stat().st_size < 300_000


def test_plot_with_no_posts_to_draw_names_the_filters_and_writes_nothing(run, demo_db):
    result = run(
        "--db",
        demo_db,
        "plot",
        "--tag",
        "WitkoffUkraine",
        "--platform",
        "bluesky",
        "--since",
        "2024-01-01",
        "--until",
        "2024-01-31",
        "--out",
        "x.png",
        "--csv",
        "x.csv",
        ok=False,
    )
    assert result.exit_code == 1
    assert result.stderr == (
        "error: no posts with #witkoffukraine on bluesky from 2024-01-01 to 2024-01-31: "
        "nothing to draw, x.png not written\n"
    )
    assert not Path("x.png").exists() and not Path("x.csv").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2014-01-01", "--until", "2025-01-01"], "more than 3660 days at --freq D"),
        (["--freq", "H", "--since", "2025-01-01", "--until", "2025-11-01"], "more than 92 days"),
    ],
)
def test_plot_refuses_a_range_too_long_to_draw(run, demo_db, args, message):
    result = run("--db", demo_db, "plot", *args, "--out", "x.png", ok=False)
    assert result.exit_code == 2 and message in result.stderr


@pytest.mark.parametrize("day", ["0001-01-05", "9999-12-31", "2005-05-31"])
def test_report_refuses_a_day_no_post_can_be_on(run, demo_db, day):
    result = run("--db", demo_db, "report", "--date", day, ok=False)
    assert result.exit_code == 2 and f"{day} is outside 2005-06-01 to tomorrow" in result.stderr


def test_the_notebook_facade_folds_tags_and_uses_the_config(demo_db, tmp_path):
    """From a notebook: tags as the user writes them, the config's time zone and min_posts,
    two tags by platform refused, an empty range a figure that says so."""
    (tmp_path / "monitor.toml").write_text(
        'tags = ["witkoffukraine", "diplomacydebacle"]\ntimezone = "Europe/Berlin"\n'
        "[analysis]\nmin_posts = 1000\n"
    )
    with Monitor(tmp_path / "monitor.toml", db=demo_db) as m:
        written = m.series(["#WitkoffUkraine"], "2025-11-10", "2025-11-23")
        folded = m.series(["witkoffukraine"], "2025-11-10", "2025-11-23")
        assert written["n"].sum() == folded["n"].sum() > 0
        pd.testing.assert_frame_equal(written, folded)
        berlin = trends.series(
            m.store, ["witkoffukraine"], date(2025, 11, 10), END, "Europe/Berlin", min_posts=1000
        )
        pd.testing.assert_frame_equal(folded, berlin)
        assert folded["too_small"].all()  # the config's min_posts, as the report would
        both = m.series(None, "2025-11-10", "2025-11-23", by="platform")
        with pytest.raises(ValueError, match="compares platforms for one tag; this frame holds 2"):
            charts.chart(both, "split", by="platform")
        empty = m.chart("volume", ["WitkoffUkraine"], "2024-01-01", "2024-01-14")
        texts = [t.get_text() for ax in empty.axes for t in ax.texts]
        assert texts == ["No posts from 2024-01-01 to 2024-01-14."]
        figure = m.chart("split", ["WitkoffUkraine"], "2025-11-10", "2025-11-23")
        assert figure.axes[0].get_title(loc="left").endswith("\n2025-11-10 to 2025-11-23")
        grid = m.chart(
            "split",
            ["WitkoffUkraine"],
            "2025-11-10",
            "2025-11-23",
            "D",
            "platform",
            platforms=["reddit", "bluesky"],
        )
        assert grid.get_suptitle().endswith(
            "\n#witkoffukraine, 2025-11-10 to 2025-11-23, reddit, bluesky only"
        )
        month = m.chart("split", ["WitkoffUkraine"], "2025-10-25", "2025-11-23")
        assert {t.get_rotation() for t in month.axes[0].texts if t.get_text().startswith("n=")} == {
            90.0
        }  # 30 bars: upright n labels that never touch
        legend = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
        assert "n too small (< 1000)" in legend  # the config's min_posts, not the default


def test_plot_honours_several_platforms_and_refuses_names_the_database_lacks(
    run, demo_db, tmp_path
):
    two = run(
        "--db",
        demo_db,
        "plot",
        "--tag",
        "WitkoffUkraine",
        "--platform",
        "reddit",
        "--platform",
        "Bluesky",
        "--since",
        "2025-11-10",
        "--until",
        "2025-11-23",
        "--out",
        tmp_path / "two.png",
        "--csv",
        tmp_path / "two.csv",
    )
    assert two.stdout.startswith(f"wrote {tmp_path / 'two.png'} and {tmp_path / 'two.csv'}")
    frame = pd.read_csv(tmp_path / "two.csv")
    with Store(demo_db) as store:
        expected = trends.series(
            store, ["witkoffukraine"], date(2025, 11, 10), END, platforms=["reddit", "bluesky"]
        )
        only_one = trends.series(
            store, ["witkoffukraine"], date(2025, 11, 10), END, platforms=["bluesky"]
        )
    assert frame["n"].sum() == expected["n"].sum() > only_one["n"].sum()
    tag = run("--db", demo_db, "plot", "--tag", "nosuch", "--out", tmp_path / "x.png", ok=False)
    assert tag.exit_code == 2 and "no posts tagged #nosuch; the database holds" in tag.stderr
    assert "witkoffukraine" in tag.stderr and not (tmp_path / "x.png").exists()
    platform = run(
        "--db", demo_db, "plot", "--platform", "twitter", "--out", tmp_path / "x.png", ok=False
    )
    assert platform.exit_code == 2
    assert "no posts from x; the database holds bluesky, mastodon, reddit" in platform.stderr


def test_events_are_labelled_lines_on_charts_and_listed_in_the_report(demo_db, tmp_path, run):
    (tmp_path / "monitor.toml").write_text(
        '[events]\n"2025-11-18" = "Politico story"\n2025-11-21 = "Geneva talks"\n'
        '"2024-01-01" = "outside the range"\n'
    )
    with Monitor(tmp_path / "monitor.toml", db=demo_db) as m:
        for kind, by in (("split", "tag"), ("volume", "tag"), ("split", "platform")):
            figure = m.chart(kind, ["witkoffukraine"], "2025-11-10", "2025-11-23", by=by)
            panels = [ax for ax in figure.axes if ax.axison]
            labels = [t.get_text() for t in panels[0].texts]
            assert "Politico story" in labels and "Geneva talks" in labels
            assert "outside the range" not in labels
            for ax in panels:  # a dotted line through every panel at the middle of each day
                dotted = [
                    line.get_xdata()[0] for line in ax.get_lines() if line.get_linestyle() == ":"
                ]
                assert [pd.Timestamp(x).strftime("%Y-%m-%d %H:%M") for x in dotted] == [
                    "2025-11-18 12:00",
                    "2025-11-21 12:00",
                ]
        m.report("2025-11-23", days=14)
    folder = tmp_path / "reports" / "2025-11-23"
    assert "<li>2025-11-18: Politico story</li>" in (folder / "index.html").read_text()
    assert "- 2025-11-21: Geneva talks" in (folder / "report.md").read_text()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["config"]["events"]["2025-11-18"] == "Politico story"
    (tmp_path / "monitor.toml").write_text('[events]\n"next week" = "x"\n')
    bad = run("--config", tmp_path / "monitor.toml", "status", ok=False)
    assert bad.exit_code == 2
    assert "events.next week: expected a date YYYY-MM-DD as the key" in bad.stderr
