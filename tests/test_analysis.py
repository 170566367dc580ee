"""Spike, shift, comparison and gap rules on hand-made series with known answers."""

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from monitor.analysis import (
    between_periods,
    collection_gaps,
    compare_groups,
    share_shifts,
    volume_spikes,
)
from monitor.quantify import Rates, shares, wilson_interval
from monitor.settings import Analysis

RULES = Analysis()


def days(counts, negative=None, positive=None, tag="t", start="2025-11-01", scored=None):
    """A trend frame as ``trends.series`` makes it: counts, and counted shares with their
    Wilson intervals."""
    n = len(counts)
    frame = pd.DataFrame(
        {
            "period": pd.date_range(start, periods=n, freq="D"),
            "tag": [tag] * n,
            "n": counts,
            "n_scored": scored if scored is not None else counts,
            "n_negative": negative if negative is not None else [0] * n,
            "n_positive": positive if positive is not None else [0] * n,
        }
    )
    for label in ("negative", "positive"):
        k, total = frame[f"n_{label}"], frame["n_scored"]
        frame[f"share_{label}"] = k / total
        frame[f"share_{label}_lo"], frame[f"share_{label}_hi"] = wilson_interval(k, total)
    return frame


def test_a_flat_series_raises_nothing():
    frame = days([100] * 14, negative=[30] * 14, positive=[40] * 14)
    assert volume_spikes(frame, RULES) == [] and share_shifts(frame, RULES) == []


def test_volume_spike_against_a_flat_baseline_uses_the_poisson_floor():
    (alert,) = volume_spikes(days([100] * 7 + [400]), RULES)
    assert (alert.period, alert.value, alert.baseline, alert.z) == (
        pd.Timestamp("2025-11-08"),
        400,
        100,
        30.0,
    )
    assert alert.describe({}, 7) == (
        "#t volume spike on Sat 08 Nov: 400 posts against a median of 100 over the previous "
        "7 days (4.0x, robust z = 30.0)"
    )


def test_volume_spike_against_a_noisy_baseline():
    baseline = [90, 110, 100, 95, 105, 100, 98]  # median 100, MAD 5 → scale max(7.4, 10, 1)
    alerts = volume_spikes(days(baseline + [130, 200]), RULES)
    assert [(a.period.day, a.z) for a in alerts] == [(9, 10.0)]  # 130 has z = 3.0 < 3.5


def test_small_counts_raise_nothing_until_min_posts():
    alerts = volume_spikes(days([1] * 7 + [8, 20]), RULES)
    assert [(a.period.day, a.value, a.z) for a in alerts] == [(9, 20, 19.0)]


def test_days_before_the_first_post_are_no_baseline():
    # Data that starts on day 4: no "spike from zero"; day 8 compares with days 4 to 7 only.
    alerts = volume_spikes(days([0, 0, 0, 100, 100, 100, 100, 100, 400]), RULES)
    assert [(a.period.day, a.baseline) for a in alerts] == [(9, 100)]


def test_share_shift_beyond_its_interval_and_not_within():
    frame = days([100] * 9, negative=[30] * 7 + [50, 36], positive=[40] * 9)
    (alert,) = share_shifts(frame, RULES)
    assert (alert.label, alert.period.day, alert.value, alert.baseline) == ("negative", 8, 0.5, 0.3)
    # The standard error is the difference's: the day's Wilson interval toward the baseline
    # (50 of 100: lo 0.4038) and the baseline's toward the day (210 of 700: hi 0.3350).
    lo, base_hi = wilson_interval(50, 100)[0], wilson_interval(210, 700)[1]
    assert (round(float(lo), 4), round(float(base_hi), 4)) == (0.4038, 0.3350)
    assert alert.z == pytest.approx(0.2 / (math.hypot(0.5 - lo, base_hi - 0.3) / 1.959963984540054))
    assert alert.describe({"negative": "skeptical"}, 7) == (
        "#t skeptical share up on Sat 08 Nov: 50% of 100 scored posts against 30% over the "
        "previous 7 days (+20 points, z = 3.8)"
    )
    # Posts in languages the scorer does not read add volume, not weight: the same alert.
    more = days([300] * 9, negative=[30] * 7 + [50, 36], positive=[40] * 9, scored=[100] * 9)
    assert share_shifts(more, RULES) == [alert]


def test_days_that_differ_beyond_their_sampling_widen_the_share_test():
    # Seven days of 1,000 posts whose counted skeptical share wanders from 26% to 34%, where
    # sampling alone moves it about 1.4 points. Their steps (4, -8, 6, -4, 5, -6 points:
    # squares summing to 0.0193) against the sampling of a step (2 * 0.21 / 1000 = 0.00042):
    # 46 on 6 degrees of freedom, beyond chance; the variance beyond sampling is half the
    # mean squared step less its sampling, which the day and the baseline's days each carry.
    wandering = [300, 340, 260, 320, 280, 330, 270]
    spread = between_periods(np.array(wandering) / 1000, np.full(7, 1000.0), 0.3)
    assert spread == pytest.approx((0.0193 - 6 * 0.00042) / 12)
    assert round(spread, 6) == 0.001398

    def eighth_day(negative):
        frame = days([1000] * 8, negative=negative, positive=[400] * 8)
        return [a for a in share_shifts(frame, RULES) if a.period.day == 8]

    # Against a flat 30% a day at 37% is an alert; against these days it is an ordinary day.
    assert len(eighth_day([300] * 7 + [370])) == 1
    assert eighth_day(wandering + [370]) == []
    (alert,) = eighth_day(wandering + [420])
    lo, base_hi = wilson_interval(420, 1000)[0], wilson_interval(2100, 7000)[1]
    sampling = math.hypot(0.42 - lo, base_hi - 0.3) / 1.959963984540054
    assert alert.z == pytest.approx(0.12 / math.sqrt(sampling**2 + spread * (1 + 1 / 7)))
    assert (round(alert.z, 2), round(0.12 / sampling, 2)) == (2.78, 7.32)  # with, without
    assert alert.describe({"negative": "skeptical"}, 7) == (
        "#t skeptical share up on Sat 08 Nov: 42% of 1000 scored posts against 30% over the "
        "previous 7 days (+12 points, z = 2.8; its days differ by 4 points beyond their "
        "sampling)"
    )
    # Days that differ no more than sampling makes them, or not clearly more (steps of 3, -3,
    # -3 and 3 points: 8.6 on 6 degrees of freedom, below chi-square's 95th percentile,
    # 12.6), add nothing.
    assert between_periods(np.array([0.3, 0.31, 0.29, 0.3]), np.full(4, 1000.0), 0.3) == 0
    unclear = np.array([300, 330, 300, 270, 300, 300, 300]) / 1000
    assert between_periods(unclear, np.full(7, 1000.0), 0.3) == 0
    # A move inside the baseline is one step of six, not a spread on every day: four days at
    # 30%, then three at 45%, and a day at 55% after them is flagged (around the baseline's
    # mean the same days would spread by 0.0062, z = 2.2: not flagged).
    moved = np.array([300, 300, 300, 300, 450, 450, 450]) / 1000
    assert between_periods(moved, np.full(7, 1000.0), 0.3) == pytest.approx(
        (0.15**2 - 6 * 0.00042) / 12
    )
    assert len(eighth_day([300] * 4 + [450] * 3 + [550])) == 1


def test_the_spread_is_measured_on_four_weeks_of_steps_not_only_the_baseline():
    # Three weeks whose days swing between 26% and 34%, then a quiet week at 30%: a day at
    # 37% is ordinary for this tag (seven days' steps alone would call it an alert).
    swinging = [260, 340] * 10 + [260]
    frame = days([1000] * 29, negative=swinging + [300] * 7 + [370], positive=[400] * 29)
    assert [a.period.day for a in share_shifts(frame, RULES) if a.period.day > 22] == []
    assert [a.period.day for a in share_shifts(frame.iloc[21:], RULES)] == [29]


def test_known_platform_difference_is_found_and_equal_shares_are_not():
    frame = pd.DataFrame(
        {
            "platform": ["reddit", "mastodon", "bluesky"],
            "n": [180, 100, 50],  # posts; the shares rest on the scored ones
            "n_scored": [100, 100, 5],
            "n_negative": [60, 30, 5],  # bluesky has too few scored posts to compare
            "n_positive": [20, 20, 0],
        }
    )
    (difference,) = compare_groups(frame, "platform", RULES)
    assert (difference.label, difference.a, difference.b) == ("negative", "mastodon", "reddit")
    # Wilson standard errors 0.0481 and 0.0451: z = -0.30 / hypot(0.0481, 0.0451).
    assert round(difference.z, 2) == -4.55 and difference.p < 0.001
    assert difference.describe({"negative": "skeptical"}) == (
        "mastodon is less skeptical than reddit: 30% vs 60% (n scored = 100 vs 100; z = -4.5, "
        f"p = {difference.p:.2g})"
    )


def test_adjusted_comparisons_show_the_adjusted_shares_and_judge_chance_on_the_labels():
    # A scorer right on 60% of posts, wrong 20% each way: counted, reddit 60% vs mastodon 30%
    # skeptical; its true splits are M^-1 q = 100% vs 25%. However many hand labels the rates
    # rest on, two groups of one mix get the same labels from it: z is the counted shares'
    # (-4.55, as in the counted comparison above), the shares shown are the adjusted ones.
    frame = pd.DataFrame(
        {
            "platform": ["reddit", "mastodon"],
            "n": [100, 100],
            "n_scored": [100, 100],
            "n_negative": [60, 30],
            "n_positive": [20, 20],
        }
    )

    def rates(k):
        return Rates(((3 * k, k, k), (k, 3 * k, k), (k, k, 3 * k)), "test")

    sure, unsure = (compare_groups(frame, "platform", RULES, rates(k)) for k in (1000, 5))
    for (found,) in (sure, unsure):
        assert (found.label, found.a, found.b, round(found.z, 2)) == (
            "negative",
            "mastodon",
            "reddit",
            -4.55,
        )
    assert (sure[0].share_a, sure[0].share_b) == pytest.approx((0.25, 1.0), abs=0.03)
    # On 5 hand labels of each label the rates cannot tell the labels apart: nothing is said
    # to differ.
    assert compare_groups(frame, "platform", RULES, rates(1)) == []


def test_adjusted_share_shifts_are_flagged_on_the_labels_and_shown_adjusted():
    # Counted, the skeptical share moves from 30% to 50% of 100 posts (z = 4.1, as counted
    # above); through the rates of a scorer right on 60% of posts the published shares move
    # from about 25% to 75%: the alert shows those, with the counted z. Its interval, which
    # holds the rates' error, is far wider than the counted one.
    frame = days([100] * 8, negative=[30] * 7 + [50], positive=[30] * 8)
    counted = share_shifts(frame, RULES)
    rates = Rates(((300, 100, 100), (100, 300, 100), (100, 100, 300)), "test")
    negative, scored, positive = (
        frame[c].to_numpy(dtype=float) for c in ("n_negative", "n_scored", "n_positive")
    )
    counts = np.stack([negative, scored - negative - positive, positive], axis=1)
    published = shares(counts, rates)
    for i, label in enumerate(("negative", "neutral", "positive")):
        frame[f"share_{label}"] = published.share[:, i]
        frame[f"share_{label}_lo"], frame[f"share_{label}_hi"] = (
            published.lo[:, i],
            published.hi[:, i],
        )
    assert published.hi[7, 0] - published.lo[7, 0] > 0.3
    (alert,) = share_shifts(frame, RULES)
    assert (alert.label, alert.period.day, alert.z) == ("negative", 8, counted[0].z)
    assert (alert.value, alert.baseline) == pytest.approx(
        (published.share[7, 0], published.share[0, 0])
    )
    assert alert.value - alert.baseline > 0.3  # wider than the counted move of 0.2
    assert alert.describe({"negative": "skeptical"}, 7) == (
        f"#t skeptical share up on Sat 08 Nov: {alert.value:.0%} of 100 scored posts against "
        f"{alert.baseline:.0%} over the previous 7 days "
        f"({(alert.value - alert.baseline) * 100:+.0f} points, z = 3.8; the scorer's labels: "
        "50% against 30%)"
    )
    assert share_shifts(frame, RULES, rates=rates) == [alert]
    # Rates on 5 hand labels of each label cannot tell the labels apart beyond their own
    # error: the same counted move says nothing of opinion.
    blind = Rates(((3, 1, 1), (1, 3, 1), (1, 1, 3)), "test")
    assert share_shifts(frame, RULES, rates=blind) == []


def test_gaps_from_a_runs_table_with_a_known_outage():
    def run(start, minutes, status, error=None):
        started = datetime(2025, 11, 20, tzinfo=UTC) + timedelta(minutes=start)
        fmt = "%Y-%m-%dT%H:%M:%SZ"
        return {
            "source": "mastodon",
            "status": status,
            "error": error,
            "started_at": started.strftime(fmt),
            "finished_at": (started + timedelta(minutes=minutes)).strftime(fmt),
        }

    runs = [
        run(0, 1, "ok"),
        run(15, 1, "ok"),
        run(30, 1, "error", "HTTP 503"),
        run(45, 1, "error", "HTTP 503"),
        run(60, 1, "ok"),
        run(300, 1, "ok"),
        {"source": None, "status": "skipped", "started_at": "2025-11-20T02:00:00Z"},
    ]
    gaps = collection_gaps(runs, timedelta(minutes=15), datetime(2025, 11, 20, 5, 10, tzinfo=UTC))
    assert [
        (g.source, g.start.strftime("%H:%M"), g.end.strftime("%H:%M"), g.reason) for g in gaps
    ] == [
        ("mastodon", "00:16", "01:00", "HTTP 503"),
        ("mastodon", "01:01", "05:00", "no collect ran"),
    ]
    assert gaps[1].hours == pytest.approx(3 + 59 / 60)


def test_no_share_alert_when_the_published_share_moved_the_other_way():
    # The labels counted moved up beyond chance, but the published share (as an adjustment
    # through another label's change could make it) moved down: the alert would say "up" of a
    # share that fell, so none is raised.
    frame = days([100] * 8, negative=[30] * 7 + [50], positive=[30] * 8)
    assert [a.label for a in share_shifts(frame, RULES)] == ["negative"]
    frame["share_negative"] = [0.4] * 7 + [0.35]
    assert share_shifts(frame, RULES) == []
