"""Daily trends on a small hand-made set with known counts, shares and Wilson bounds."""

from datetime import date, timedelta

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest

from monitor.charts import volume_chart
from monitor.pipeline import import_files, rescore
from monitor.quantify import wilson_interval
from monitor.scoring.vader import VaderScorer
from monitor.text import wall_clock
from monitor.trends import buckets, day_buckets, series
from tests.conftest import VADER, post

POSITIVE = "Great talks, I love it"
NEGATIVE = "A terrible disaster"
NEUTRAL = "The delegation arrived this morning"
TAG = ["witkoffukraine"]


@pytest.fixture
def loaded(store, write_jsonl):
    # New York is UTC-5 in November: local midnight is 05:00Z.
    records = [
        post("a", "2025-11-20T04:30:00Z", POSITIVE, tags=TAG),  # 19 Nov 23:30 local
        post("b", "2025-11-20T05:30:00Z", POSITIVE, tags=TAG),  # 20 Nov 00:30 local
        post("c", "2025-11-20T20:00:00Z", NEGATIVE, tags=TAG),
        post("d", "2025-11-21T04:59:59Z", POSITIVE, tags=TAG, platform="reddit"),
        post("e", "2025-11-21T05:00:00Z", NEUTRAL, tags=TAG, platform="reddit"),  # 21 Nov 00:00
    ]
    import_files(store, [write_jsonl(records)], VADER)
    return store


def test_days_follow_the_configured_timezone_and_empty_days_are_zero_rows(loaded):
    frame = series(loaded, TAG, date(2025, 11, 19), date(2025, 11, 22), "America/New_York")
    assert list(frame["period"]) == list(pd.date_range("2025-11-19", "2025-11-22"))
    assert frame[["n", "n_scored", "n_negative", "n_neutral", "n_positive"]].values.tolist() == [
        [1, 1, 0, 0, 1],
        [3, 3, 1, 0, 2],
        [1, 1, 0, 1, 0],
        [0, 0, 0, 0, 0],
    ]
    nov20 = frame.iloc[1]
    assert nov20["share_positive"] == pytest.approx(2 / 3)
    assert (round(nov20["share_positive_lo"], 6), round(nov20["share_positive_hi"], 6)) == (
        0.20766,
        0.938508,
    )
    assert (round(nov20["share_negative_lo"], 6), round(nov20["share_negative_hi"], 6)) == (
        0.061492,
        0.79234,
    )
    assert (round(nov20["share_neutral_lo"], 6), round(nov20["share_neutral_hi"], 6)) == (
        0.0,
        0.561497,
    )
    pos, neg = (s.compound for s in VADER.score([POSITIVE, NEGATIVE]))
    assert nov20["mean_compound"] == pytest.approx((2 * pos + neg) / 3)
    empty = frame.iloc[3]
    assert np.isnan(empty["share_positive"]) and np.isnan(empty["mean_compound"])
    one = frame.iloc[0]  # one post: a share, a Wilson interval, but no spread for the mean
    assert (round(one["share_positive_lo"], 6), one["share_positive_hi"]) == (0.206549, 1.0)
    assert np.isnan(one["mean_compound_lo"])


def test_the_same_posts_in_utc_fall_on_other_days(loaded):
    frame = series(loaded, TAG, date(2025, 11, 19), date(2025, 11, 21), "UTC")
    assert frame["n"].tolist() == [0, 3, 2]


def test_by_platform_splits_and_fills_every_platform(loaded):
    frame = series(
        loaded, TAG, date(2025, 11, 20), date(2025, 11, 21), "America/New_York", by="platform"
    )
    assert frame[["platform", "n"]].values.tolist() == [
        ["mastodon", 2],
        ["reddit", 1],
        ["mastodon", 0],
        ["reddit", 1],
    ]


def test_a_new_threshold_is_a_rescore_that_moves_posts_between_labels(loaded):
    strict = VaderScorer(threshold=0.9)
    assert strict.version != VADER.version
    assert loaded.count_stale(strict.version) == 5
    assert rescore(loaded, strict) == 5
    frame = series(loaded, TAG, date(2025, 11, 20), date(2025, 11, 20), "UTC")
    assert frame[["n_negative", "n_neutral", "n_positive"]].values.tolist() == [[0, 3, 0]]
    assert loaded.count_stale(strict.version) == 0


GERMAN = "Gute Nachrichten aus Genf: die Gespräche waren konstruktiv."
SPANISH = "No hay paz sin justicia para Ucrania, esto es un error."


def test_posts_in_other_languages_count_in_volume_but_not_in_shares(store, write_jsonl):
    records = [
        post("en1", "2025-11-20T10:00:00Z", POSITIVE, tags=TAG),
        post("en2", "2025-11-20T11:00:00Z", NEGATIVE, tags=TAG, platform="reddit"),
        post("de1", "2025-11-20T12:00:00Z", GERMAN, tags=TAG),
        post("de2", "2025-11-20T13:00:00Z", GERMAN + " Endlich.", tags=TAG, platform="reddit"),
        post("es1", "2025-11-20T14:00:00Z", SPANISH, tags=TAG),
        post("und", "2025-11-20T15:00:00Z", "#WitkoffUkraine https://example.org/x", tags=TAG),
    ]
    import_files(store, [write_jsonl(records)], VADER)
    day = date(2025, 11, 20)
    (row,) = series(store, TAG, day, day).to_dict("records")
    assert (row["n"], row["n_scored"], row["n_negative"], row["n_neutral"]) == (6, 2, 1, 0)
    assert (row["n_positive"], row["share_positive"]) == (1, 0.5)
    by_language = series(store, TAG, day, day, by="language")
    assert by_language[["language", "n", "n_scored"]].values.tolist() == [
        ["de", 2, 0],
        ["en", 2, 2],
        ["es", 1, 0],
        ["und", 1, 0],
    ]
    by_platform = series(store, TAG, day, day, by="platform")
    assert by_platform[["platform", "n", "n_scored"]].values.tolist() == [
        ["mastodon", 4, 1],
        ["reddit", 2, 1],
    ]
    stored = dict(store.db.execute("SELECT id, language FROM posts").fetchall())
    assert stored == {"en1": "en", "en2": "en", "de1": "de", "de2": "de", "es1": "es", "und": "und"}
    assert store.db.execute(
        "SELECT count(*) FROM posts WHERE label IS NULL AND compound IS NULL"
    ).fetchone() == (4,)


def test_a_dst_day_is_25_hours_long():
    (bucket,) = day_buckets(date(2025, 11, 2), date(2025, 11, 2), "America/New_York")
    assert bucket.end_ts - bucket.start_ts == 25 * 3600


def test_wilson_interval_matches_published_values():
    lo, hi = wilson_interval(np.array([0, 5, 0]), np.array([1, 10, 0]))
    assert np.round(lo[:2], 4).tolist() == [0.0, 0.2366]
    assert np.round(hi[:2], 4).tolist() == [0.7935, 0.7634]
    assert np.isnan(lo[2]) and np.isnan(hi[2])


def test_hourly_periods_are_local_hours_and_filter_by_platform(loaded):
    frame = series(
        loaded,
        TAG,
        date(2025, 11, 20),
        date(2025, 11, 20),
        "America/New_York",
        freq="H",
        platforms=["mastodon"],
    )
    assert len(frame) == 24
    busy = frame[frame["n"] > 0][["period", "n"]].values.tolist()
    zone = "America/New_York"
    assert busy == [
        [pd.Timestamp("2025-11-20 00:00", tz=zone), 1],
        [pd.Timestamp("2025-11-20 15:00", tz=zone), 1],
    ]


def test_the_hour_a_fall_back_repeats_is_two_rows_told_apart_by_their_offset(
    store, write_jsonl, tmp_path
):
    """New York's clocks went from 01:59 EDT back to 01:00 EST on 2 November 2025: the hourly
    series has 25 hours, two of them 01:00, each with its posts, and the CSV, the alert text
    and the chart's axis all show which 01:00 is which."""
    zone = "America/New_York"
    records = [
        post("edt", "2025-11-02T05:30:00Z", POSITIVE, tags=TAG),  # 01:30 EDT (UTC-4)
        post("est1", "2025-11-02T06:10:00Z", NEGATIVE, tags=TAG),  # 01:10 EST (UTC-5)
        post("est2", "2025-11-02T06:20:00Z", NEGATIVE, tags=TAG),
    ]
    import_files(store, [write_jsonl(records)], VADER)
    frame = series(store, TAG, date(2025, 11, 2), date(2025, 11, 2), zone, freq="H")
    assert len(frame) == 25 and frame["period"].is_unique
    one_am = frame[frame["period"].dt.hour == 1]
    assert [(p.isoformat(), n) for p, n in zip(one_am["period"], one_am["n"], strict=True)] == [
        ("2025-11-02T01:00:00-04:00", 1),
        ("2025-11-02T01:00:00-05:00", 2),
    ]
    csv = tmp_path / "hours.csv"
    frame.to_csv(csv, index=False)
    assert "2025-11-02 01:00:00-05:00" in csv.read_text()
    second = one_am["period"].iloc[1].to_pydatetime()
    assert wall_clock(second, "%a %d %b %H:00") == "Sun 02 Nov 01:00 (UTC-05:00)"
    assert wall_clock(second.replace(hour=3), "%H:00") == "03:00"  # no offset where none repeats
    figure = volume_chart(frame)
    label = figure.axes[0].xaxis.get_major_formatter()
    assert label(mdates.date2num(second), 0) == "02 Nov 01:00 (UTC-05:00)"
    assert label(mdates.date2num(one_am["period"].iloc[0]), 0) == "02 Nov 01:00 (UTC-04:00)"


@pytest.mark.parametrize("days", [22, 31, 61, 92])
def test_a_long_daily_axis_has_no_tick_past_its_last_day(loaded, days):
    """The axis runs to the end of the last day's bar; matplotlib's own locator put a tick
    on the midnight after it ("01 Nov" under a chart of October) for 31, 61 and 92 days."""
    first = date(2025, 10, 1)
    frame = series(loaded, TAG, first, first + timedelta(days=days - 1), "America/New_York")
    ax = volume_chart(frame).axes[0]
    last = mdates.date2num(pd.Timestamp(first + timedelta(days=days - 1)))
    ticks = ax.xaxis.get_major_locator()()
    assert 4 <= len(ticks) <= 22
    assert mdates.date2num(pd.Timestamp(first)) <= min(ticks) and max(ticks) <= last + 0.5
    assert ax.get_xlim()[1] == last + 1  # the last day's whole span


def test_hour_buckets_across_dst_are_each_an_hour():
    spans = buckets(date(2025, 11, 2), date(2025, 11, 2), "America/New_York", "H")
    assert len(spans) == 25 and {b.end_ts - b.start_ts for b in spans} == {3600}


def test_a_day_the_time_zone_skipped_has_no_row_and_no_report(run, tmp_path, write_jsonl):
    """Samoa (Pacific/Apia) jumped from 29 to 31 December 2011: that zone's series has no row
    for the 30th, the 31st reports normally, and a report for the 30th is a clear error."""
    zone = "Pacific/Apia"
    assert [
        b.end_ts - b.start_ts for b in day_buckets(date(2011, 12, 29), date(2011, 12, 31), zone)
    ] == [
        86400,
        86400,
    ]
    (tmp_path / "monitor.toml").write_text(f'tags = ["t"]\ntimezone = "{zone}"\n')
    records = write_jsonl(
        [
            post("1", "2011-12-29T12:00:00Z", "good talks", tags=["t"]),  # 29th, 02:00 local
            post("2", "2011-12-30T12:00:00Z", "bad talks", tags=["t"]),  # 31st, 02:00 local
        ]
    )
    run("import", records)
    run("report", "--date", "2011-12-31")
    daily = pd.read_csv(tmp_path / "reports" / "2011-12-31" / "daily.csv")
    assert "2011-12-30" not in set(daily["period"])
    assert daily.set_index("period").loc[["2011-12-29", "2011-12-31"], "n"].tolist() == [1, 1]
    skipped = run("report", "--date", "2011-12-30", ok=False)
    assert skipped.exit_code == 1
    assert "2011-12-30 did not happen in Pacific/Apia" in skipped.stderr


def test_weeks_and_months_are_iso_weeks_and_calendar_months_cut_by_the_range():
    """Wednesday 2025-10-29 to Tuesday 2025-11-18 in New York: a cut first week from the
    Wednesday, whole weeks from each Monday (the one across the DST change an hour longer),
    a cut last week; months likewise, from the first of each."""
    zone = "America/New_York"

    def local(day: date) -> int:
        return int(pd.Timestamp(day).tz_localize(zone).timestamp())

    weeks = buckets(date(2025, 10, 29), date(2025, 11, 18), zone, "W")
    assert [(b.start_ts, b.end_ts) for b in weeks] == [
        (local(date(2025, 10, 29)), local(date(2025, 11, 3))),
        (local(date(2025, 11, 3)), local(date(2025, 11, 10))),
        (local(date(2025, 11, 10)), local(date(2025, 11, 17))),
        (local(date(2025, 11, 17)), local(date(2025, 11, 19))),
    ]
    assert weeks[0].end_ts - weeks[0].start_ts == 5 * 86400 + 3600  # 2 Nov is 25 hours long
    months = buckets(date(2024, 12, 15), date(2025, 3, 1), zone, "M")
    assert [pd.Timestamp(b.start_ts, unit="s", tz=zone).date() for b in months] == [
        date(2024, 12, 15),
        date(2025, 1, 1),
        date(2025, 2, 1),
        date(2025, 3, 1),
    ]
    assert months[-1].end_ts == local(date(2025, 3, 2))


def test_weekly_and_monthly_series_sum_the_days_they_hold(loaded):
    first, last = date(2025, 11, 1), date(2025, 12, 31)
    daily = series(loaded, TAG, first, last, "America/New_York")
    for freq, period in (("W", "W-SUN"), ("M", "M")):
        frame = series(loaded, TAG, first, last, "America/New_York", freq=freq)
        expected = daily.groupby(daily["period"].dt.to_period(period))["n"].sum()
        assert frame["n"].tolist() == expected.tolist() and frame["n"].sum() > 0
        assert frame["period"].dt.to_period(period).tolist() == expected.index.tolist()
    monthly = series(loaded, TAG, first, last, "America/New_York", freq="M")
    ax = volume_chart(monthly).axes[0]
    assert ax.get_xlabel() == "month"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Nov 2025", "Dec 2025"]
    weekly = series(loaded, TAG, first, last, "America/New_York", freq="W")
    labels = [t.get_text() for t in volume_chart(weekly).axes[0].get_xticklabels()]
    mondays = [date(2025, 11, 3) + timedelta(weeks=i) for i in range(9)]
    assert labels == [f"{day:%d %b %Y}" for day in [first, *mondays]]  # each week's first day
