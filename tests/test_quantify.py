"""Adjusted counts: known misclassification rates undone exactly, the simplex kept, intervals
that hold both the day's posts and the hand labels behind the rates, and the method chosen
from what the store and the scorer know."""

from dataclasses import replace

import numpy as np
import pytest

from monitor import quantify
from monitor.config import Config
from monitor.evaluation import agreement, confusion
from monitor.notebook import Monitor
from monitor.quantify import Rates, adjust, estimate, matrix, to_simplex
from monitor.scoring.vader import VaderScorer
from monitor.store import Store
from monitor.wiring import share_method

# A scorer right on 60% of each label's posts: P(says j | truly i) as counts per hand label.
ERRING = ((60, 25, 15), (20, 60, 20), (15, 25, 60))


def test_the_adjustment_undoes_known_rates_exactly():
    truth = np.array([0.7, 0.2, 0.1])
    rates = matrix(np.array(ERRING, dtype=float))
    counted = rates @ truth  # what classify-and-count would publish
    assert counted[0] == pytest.approx(0.7 * 0.6 + 0.2 * 0.2 + 0.1 * 0.15)  # 0.475, not 0.7
    assert adjust(counted, rates) == pytest.approx(truth)


def test_shares_beyond_the_simplex_are_projected_onto_it():
    projected = to_simplex(np.array([[1.2, -0.1, -0.1], [0.5, 0.5, 0.5], [0.6, 0.5, -0.3]]))
    assert projected == pytest.approx(np.array([[1, 0, 0], [1 / 3, 1 / 3, 1 / 3], [0.55, 0.45, 0]]))


def test_many_hand_labels_and_a_far_mix_give_the_true_split_inside_a_narrow_interval():
    truth = np.array([0.8, 0.1, 0.1])
    counted = matrix(np.array(ERRING, dtype=float)) @ truth
    many = Rates(tuple(tuple(100 * c for c in row) for row in ERRING), "test")
    day = np.round(counted * 100_000)[None]
    published = estimate(day, many)
    assert published.share[0] == pytest.approx(truth, abs=0.01)
    assert (published.lo[0] <= truth).all() and (truth <= published.hi[0]).all()
    assert published.hi[0, 0] - published.lo[0, 0] < 0.08


# The same scorer's probabilities summed by hand label (softer than its labels: PACC's M).
SOFT = ((50, 30, 20), (25, 50, 25), (20, 30, 50))


def test_summed_probabilities_are_adjusted_by_the_rates_probability_sums():
    """With rates that carry the scorer's probability sums, the published point is the
    probability-weighted adjusted count (PACC): a day whose summed probabilities are exactly
    M_soft p gives p, whatever its label counts say; the interval still holds the point."""
    truth = np.array([0.8, 0.1, 0.1])
    rates = Rates(
        tuple(tuple(100 * c for c in row) for row in ERRING),
        "test",
        tuple(tuple(100 * c for c in row) for row in SOFT),
    )
    probabilities = (matrix(np.array(SOFT, dtype=float)) @ truth * 1000)[None]
    counts = np.round(matrix(np.array(ERRING, dtype=float)) @ np.array([0.6, 0.2, 0.2]) * 1000)
    weighed = estimate(counts[None], rates, probabilities)
    assert weighed.share[0] == pytest.approx(truth, abs=1e-9)
    assert (weighed.lo[0] <= truth).all() and (truth <= weighed.hi[0]).all()
    assert estimate(counts[None], rates).share[0, 0] == pytest.approx(0.6, abs=0.01)
    without = Rates(rates.confusion, "test")  # rates measured without probabilities
    assert estimate(counts[None], without, probabilities).share[0, 0] == pytest.approx(
        0.6, abs=0.01
    )


def test_the_interval_spreads_the_rates_as_if_the_labels_were_fewer(monkeypatch):
    """The rates' bootstrap is spread RATE_INFLATION times in variance (the days' posts are not
    the labelled sample): with a huge day, the rates' error is the interval's width, which
    grows by the square root; the published point does not move."""
    counted = matrix(np.array(ERRING, dtype=float)) @ np.array([0.8, 0.1, 0.1])
    day = np.round(counted * 1_000_000)[None]
    rates = Rates(tuple(tuple(4 * c for c in row) for row in ERRING), "test")
    monkeypatch.setattr(quantify, "RATE_INFLATION", 1.0)
    plain = estimate(day, rates)
    monkeypatch.setattr(quantify, "RATE_INFLATION", 4.0)
    spread = estimate(day, rates)
    assert spread.share == pytest.approx(plain.share)
    ratio = (spread.hi - spread.lo)[0, 0] / (plain.hi - plain.lo)[0, 0]
    assert 1.7 < ratio < 2.3


def test_fewer_hand_labels_widen_the_interval_and_the_same_input_gives_the_same_answer():
    day = np.array([[60.0, 25.0, 15.0]])
    few = Rates(tuple(tuple(c // 10 for c in row) for row in ERRING), "ten per label")
    many = Rates(ERRING, "a hundred per label")

    def width(rates: Rates) -> float:
        published = estimate(day, rates)
        return float(published.hi[0, 0] - published.lo[0, 0])

    assert width(few) > width(many) * 1.5
    again = estimate(day, few)
    assert again.share.tolist() == estimate(day, few).share.tolist()


def test_a_rows_share_and_interval_are_the_same_whatever_rows_come_with_it():
    """A day shows the same share and interval in every report (its draws are seeded by its
    own counts), however many rows are bootstrapped with it, in whatever blocks, and whichever
    rows share its counts."""
    rng = np.random.default_rng(5)
    rows = 2 * quantify.ROWS_PER_BLOCK + 7
    posts = rng.integers(1, 200, rows)
    posts[::9] = 0  # days without a scored post are left out of the blocks
    counts = np.stack([rng.multinomial(n, [0.5, 0.3, 0.2]) for n in posts]).astype(float)
    probabilities = 0.7 * counts + 0.1 * posts[:, None]
    # The last row repeats row 1's counts (drawn once for both) with other probabilities.
    counts[-1], posts[-1] = counts[1], posts[1]
    probabilities[-1] = 0.4 * counts[1] + 0.2 * posts[1]
    rates = Rates(ERRING, "t", SOFT)
    together = estimate(counts, rates, probabilities)
    assert np.isnan(together.share[posts == 0]).all()
    assert not np.isnan(together.share[posts > 0]).any()
    assert together.share[1].tolist() != together.share[-1].tolist()
    for row in (1, quantify.ROWS_PER_BLOCK, rows - 1):
        alone = estimate(counts[row : row + 1], rates, probabilities[row : row + 1])
        for bound in ("share", "lo", "hi"):
            assert getattr(together, bound)[row].tolist() == getattr(alone, bound)[0].tolist()


def test_a_period_without_scored_posts_has_no_share():
    published = estimate(np.array([[0.0, 0.0, 0.0], [10.0, 5.0, 5.0]]), Rates(ERRING, "t"))
    assert np.isnan(published.share[0]).all() and np.isnan(published.lo[0]).all()
    assert not np.isnan(published.share[1]).any()
    assert published.share[1].sum() == pytest.approx(1)


def test_rates_that_cannot_tell_the_labels_apart_give_intervals_that_say_nothing():
    assert Rates(ERRING, "t").usable and Rates(ERRING, "t").tell_labels_apart
    stance = Rates(((10, 0, 0), (0, 0, 0), (0, 0, 10)), "no neutral labels")
    assert not stance.usable and stance.missing == ("neutral",)
    chance = Rates(((5, 5, 0), (5, 5, 0), (0, 0, 10)), "two labels told apart by chance")
    assert chance.usable and not chance.tell_labels_apart
    # Right on 3 of 5 posts of each label: on 5 hand labels of each, no better than its
    # sampling error can explain; on 25 of each, told apart.
    few = ((3, 1, 1), (1, 3, 1), (1, 1, 3))
    assert not Rates(few, "t").tell_labels_apart
    assert Rates(tuple(tuple(5 * c for c in row) for row in few), "t").tell_labels_apart
    # The day's labels are shown as counted, with intervals that say any share fits.
    published = estimate(np.array([[30.0, 50.0, 20.0], [0.0, 0.0, 0.0]]), chance)
    assert published.share[0].tolist() == [0.3, 0.5, 0.2]
    assert published.lo[0].tolist() == [0, 0, 0] and published.hi[0].tolist() == [1, 1, 1]
    assert np.isnan(published.share[1]).all() and np.isnan(published.hi[1]).all()


def test_the_method_follows_the_setting_and_what_is_measured(tmp_path):
    scorer = VaderScorer.from_settings(Config().scoring, Config().labels, {}, "config")
    with Store(tmp_path / "m.db") as store:
        counted = share_method("", scorer, store)
        assert counted.name == "count" and counted.rates is None
        assert "run 'monitor evaluate'" in counted.note
        truth = ["negative"] * 6 + ["neutral"] * 6 + ["positive"] * 6
        said = ["negative"] * 4 + ["neutral"] * 2 + ["neutral"] * 4 + ["positive"] * 2
        said += ["positive"] * 4 + ["negative"] * 2
        store.save_evaluation(
            "labels.csv",
            {
                "scorer_version": scorer.version,
                "n": 18,
                "accuracy": 12 / 18,
                "macro_f1": 0.66,
                "confusion": confusion(truth, said),
                "held_out": True,
            },
        )
        adjusted = share_method("", scorer, store)
        assert adjusted.name == "adjusted"
        assert adjusted.rates.confusion == ((4, 2, 0), (0, 4, 2), (2, 0, 4))
        assert "a held-out check on 18 hand labels (labels.csv" in adjusted.note
        assert share_method("count", scorer, store).rates is None
        assert share_method("adjusted", scorer, store) == adjusted
        stance = [label for label in truth if label != "neutral"]  # favor and against alone
        store.save_evaluation(
            "stance.csv",
            {
                "scorer_version": scorer.version,
                "n": 12,
                "accuracy": 8 / 12,
                "macro_f1": 0.5,
                "confusion": confusion(stance, said[:6] + said[12:]),
                "held_out": True,
            },
        )
        counted = share_method("", scorer, store)
        day = store.latest_evaluation(scorer.version)["created_at"][:10]
        assert counted.name == "count" and counted.rates is None
        assert counted.note == (
            "counted from the scorer's labels (its misclassification rates (a held-out check "
            f"on 12 hand labels (stance.csv, {day})) have no hand label "
            "'neutral': adjusting needs posts of every label; label some and run 'monitor "
            "evaluate')"
        )


def test_bootstrap_rounds_are_enough_for_stable_percentiles():
    # The interval's ends move by less than three points between two seeds of the bootstrap
    # (rates from 180 hand labels, spread by RATE_INFLATION).
    day = np.array([[120.0, 100.0, 80.0]])
    labels = Rates(tuple(tuple(10 * c for c in row) for row in ERRING), "t")
    first = estimate(day, labels)
    seed = quantify.SEED
    try:
        quantify.SEED = seed + 1
        second = estimate(day, labels)
    finally:
        quantify.SEED = seed
    assert np.abs(first.lo - second.lo).max() < 0.03
    assert np.abs(first.hi - second.hi).max() < 0.03


def keep_a_check(store: Store, counts: tuple[tuple[int, ...], ...] = ERRING) -> None:
    """A held-out check of stock VADER on hand labels whose confusion counts are ``counts``
    (by default ``ERRING``: 300 labels), as ``monitor evaluate`` keeps it: the report's shares
    become adjusted."""
    from tests.conftest import VADER

    labels = ("negative", "neutral", "positive")
    truth = [hand for hand, row in zip(labels, counts, strict=True) for _ in range(sum(row))]
    said = [label for row in counts for label, k in zip(labels, row, strict=True) for _ in range(k)]
    store.save_evaluation(
        "labels.csv",
        {
            "scorer_version": VADER.version,
            "scorer": "vader",
            "labelled": len(truth),
            **agreement(truth, said),
            "not_scored": 0,
            "not_scored_by_language": {},
            "held_out": True,
            "left_out": 0,
        },
    )


def test_the_report_publishes_adjusted_shares_and_says_what_they_rest_on(
    store, write_jsonl, tmp_path
):
    """Once a held-out check of the scorer is kept, every published share is the adjusted
    estimate: the cards, daily.csv, the index headline (with n and the interval), and the
    page names the method and the labels it rests on."""
    from datetime import date

    from monitor.pipeline import import_files
    from monitor.report import write_report
    from tests.conftest import VADER, post

    # Labelled 60 / 25 / 15 by a scorer with these rates: exactly what a day of skeptical
    # posts only looks like (M's first column), so the adjusted share is near 100%.
    texts = ["a terrible, shameful disaster"] * 60 + ["the delegation arrived"] * 25
    texts += ["great, wonderful news"] * 15
    records = [
        post(str(i), "2025-11-20T10:00:00Z", t, tags=["witkoffukraine"])
        for i, t in enumerate(texts)
    ]
    import_files(store, [write_jsonl(records)], VADER)
    config = Config(tags=("witkoffukraine",), reports_dir=tmp_path / "reports")
    counted = write_report(store, config, date(2025, 11, 20), days=3).parent
    assert (
        "counted from the scorer&#39;s labels (no misclassification rates"
        in (counted / "index.html").read_text()
    )
    keep_a_check(store)
    folder = write_report(store, config, date(2025, 11, 20), days=3).parent
    expected = estimate(np.array([[60.0, 25.0, 15.0]]), Rates(ERRING, "t"))
    assert expected.share[0, 0] > 0.9
    daily = __import__("pandas").read_csv(folder / "daily.csv")
    day = daily[daily["period"] == "2025-11-20"].iloc[0]
    for i, label in enumerate(("negative", "neutral", "positive")):
        assert day[f"share_{label}"] == pytest.approx(expected.share[0, i], abs=1e-5)
        assert day[f"share_{label}_lo"] == pytest.approx(expected.lo[0, i], abs=1e-5)
    assert (day["n_negative"], day["n_scored"]) == (60, 100)  # the counts stay counts
    manifest = __import__("json").loads((folder / "manifest.json").read_text())
    assert manifest["shares"]["method"] == "adjusted" and manifest["shares"]["rates"]["n"] == 300
    share, lo, hi = (round(100 * x[0, 0]) for x in (expected.share, expected.lo, expected.hi))
    assert manifest["counts"]["headline"]["witkoffukraine"] == (
        f"#witkoffukraine: 100 posts, {share}% skeptical ({lo}-{hi}%, n=100), "
        f"{round(100 * expected.share[0, 2])}% supportive "
        f"({round(100 * expected.lo[0, 2])}-{round(100 * expected.hi[0, 2])}%)"
    )
    page = (folder / "index.html").read_text()
    assert (
        "adjusted counts: the scorer&#39;s labels corrected by its misclassification rates, "
        + ("measured by a held-out check on 300 hand labels (labels.csv")
        in page
    )
    assert "the adjusted count (ACC) solves the labels counted" in page
    widths = (expected.hi - expected.lo)[0, [0, 2]]
    assert ("Wide intervals: they hold" in page) == bool((widths > 0.5).any())
    assert "share distance 0.03 (95%" in page  # beside macro-F1: TV of 32/37/32% vs 33% each
    assert "a bootstrap over the day's posts and over the 300 hand labels behind M" in page
    assert "label a fresh sample now and then" in page  # the rates cannot see a later period


def test_adjusted_shares_need_min_posts_adjusted_posts():
    rules = Config().analysis
    assert (rules.min_posts, rules.min_posts_adjusted) == (10, 20)
    assert rules.for_shares("count") == rules
    assert rules.for_shares("adjusted").min_posts == 20
    assert replace(rules, min_posts=50).for_shares("adjusted").min_posts == 50  # the larger
    assert replace(rules, min_posts_adjusted=5).for_shares("adjusted").min_posts == 10


def test_a_day_too_small_for_an_adjusted_share_is_n_too_small_but_counted_it_is_shown(
    store, write_jsonl, tmp_path, run
):
    """15 scored posts: enough for a count (min_posts 10), too few for an adjusted share
    (min_posts_adjusted 20): the card, report.md and index headline say "n too small", the
    page says why; asked to count, the same day shows its shares. Volume alerts keep
    min_posts either way (a volume is no share)."""
    from datetime import date

    from monitor.pipeline import import_files
    from monitor.report import day_alerts, write_report
    from tests.conftest import VADER, post

    texts = ["a terrible, shameful disaster"] * 9 + ["great, wonderful news"] * 6
    records = [
        post(str(i), "2025-11-20T10:00:00Z", t, tags=["witkoffukraine"])
        for i, t in enumerate(texts)
    ]
    records += [
        post(f"quiet{d}", f"2025-11-{d}T10:00:00Z", "fine talks", tags=["witkoffukraine"])
        for d in (16, 17, 18, 19)
    ]  # a post a day before: 15 is a volume spike
    import_files(store, [write_jsonl(records)], VADER)
    keep_a_check(store)
    (tmp_path / "monitor.toml").write_text('tags = ["witkoffukraine"]\n')
    with Monitor(tmp_path / "monitor.toml", db=store.path) as notebook:
        assert notebook.rules.min_posts == 20  # the rule the notebook's charts draw by
        figure = notebook.chart("split", None, "2025-11-19", "2025-11-20")
        legend = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
        assert "n too small (< 20)" in legend
        frame = notebook.series(None, "2025-11-19", "2025-11-20")
    assert frame["too_small"].tolist() == [True, True]  # 1 and 15 posts: the notebook's numbers
    run(
        "--config",
        tmp_path / "monitor.toml",
        "--db",
        store.path,
        "plot",
        "--since",
        "2025-11-19",
        "--until",
        "2025-11-20",
        "--out",
        "p.png",
        "--csv",
        "p.csv",
    )
    plotted = __import__("pandas").read_csv(tmp_path / "p.csv")
    assert plotted["too_small"].tolist() == [True, True]  # and plot --csv's
    config = Config(tags=("witkoffukraine",), reports_dir=tmp_path / "reports")
    for shares, too_small in (("", True), ("count", False)):
        setup = replace(config, scoring=replace(config.scoring, shares=shares))
        folder = write_report(store, setup, date(2025, 11, 20), days=3).parent
        page, text = (folder / "index.html").read_text(), (folder / "report.md").read_text()
        manifest = __import__("json").loads((folder / "manifest.json").read_text())
        headline = manifest["counts"]["headline"]["witkoffukraine"]
        assert manifest["shares"]["method"] == ("adjusted" if too_small else "count")
        assert (headline == "#witkoffukraine: 15 posts, n too small for shares") == too_small
        assert ("fewer than 20 scored posts: no shares shown" in page) == too_small
        row = next(line for line in text.splitlines() if line.startswith("| \\#witkoff"))
        assert row.startswith("| \\#witkoffukraine | 15 | 15 |")
        assert row.endswith("| n too small | n too small |") == too_small
        assert ("Adjusted shares need more posts than counted ones" in page) == too_small
        assert ("Why counted: the scorer labels posts of an unchanged mix alike" in page) == (
            too_small
        )
        assert ("60% skeptical" in headline) == (not too_small)
        for name in ("daily.csv", "daily_by_platform.csv"):
            rows = __import__("pandas").read_csv(folder / name).set_index("period")
            assert rows.loc["2025-11-20", "too_small"] == too_small  # the CSVs say so too
        assert "#witkoffukraine volume spike on Thu 20 Nov: 15 posts against a median" in page
        alerts = day_alerts(store, setup, date(2025, 11, 20))
        assert [a.kind for a in alerts] == ["volume", "volume"]  # the day, and its hour


def test_rates_that_cannot_tell_the_labels_apart_are_said_and_raise_no_share_alert(
    store, write_jsonl, tmp_path, run
):
    """A check on 48 hand labels, each label right on half of its posts: the rates cannot
    tell the labels apart beyond their own error. The page and report.md say so above all
    else, every share's interval in daily.csv is 0-100% (the share as counted), and the
    skeptical jump that raises a share alert with ERRING's rates raises none."""
    from datetime import date

    from monitor import trends
    from monitor.pipeline import import_files
    from monitor.report import day_alerts, write_report
    from monitor.wiring import BLIND
    from tests.conftest import VADER, post

    mixes = {d: (9, 12, 9) for d in range(13, 20)} | {20: (24, 3, 3)}
    texts = ("a terrible, shameful disaster", "the delegation arrived", "great, wonderful news")
    records = [
        post(f"{d}-{label}-{i}", f"2025-11-{d}T10:00:00Z", texts[label], tags=["witkoffukraine"])
        for d, mix in mixes.items()
        for label, k in enumerate(mix)
        for i in range(k)
    ]
    import_files(store, [write_jsonl(records)], VADER)
    config = Config(tags=("witkoffukraine",), reports_dir=tmp_path / "reports")
    day = date(2025, 11, 20)

    def share_alerts() -> list[str]:
        return [a.text for a in day_alerts(store, config, day) if a.kind == "share"]

    keep_a_check(store)
    assert len(share_alerts()) == 1
    keep_a_check(store, ((8, 4, 4), (4, 8, 4), (4, 4, 8)))  # the newest check counts
    assert share_alerts() == []
    folder = write_report(store, config, day, days=8).parent
    html, markdown = (folder / name for name in ("index.html", "report.md"))
    assert "labels these posts little better than chance" in html.read_text()
    assert f"**{BLIND}**" in markdown.read_text()
    daily = __import__("pandas").read_csv(folder / "daily.csv")
    assert daily["n_scored"].tolist() == [30] * 8
    assert daily["share_negative"].tolist() == [0.3] * 7 + [0.8]  # as counted
    assert (daily["share_negative_lo"] == 0).all() and (daily["share_negative_hi"] == 1).all()
    manifest = __import__("json").loads((folder / "manifest.json").read_text())
    assert manifest["shares"]["warning"] == BLIND
    # The headline (index, email subject, webhook) and the card do not show a share as told.
    assert manifest["counts"]["headline"]["witkoffukraine"] == (
        "#witkoffukraine: 30 posts, shares not told: the scorer cannot tell the labels apart "
        "(as labelled 80% skeptical, 10% supportive)"
    )
    assert '<div class="big muted">not told</div>' in html.read_text()
    assert "| not told (80% as labelled) | not told (10% as labelled) |" in markdown.read_text()
    assert "Wide intervals" not in html.read_text()
    frame = trends.series(
        store, config.tags, day, day, "UTC", rates=share_method("", VADER, store).rates
    )
    assert frame.attrs["shares"] == "blind"  # the charts' subtitle: as labelled, not adjusted
    assert f"warning: {BLIND}" in run("--db", store.path, "status").output
    plotted = run(
        "--db",
        store.path,
        "plot",
        "--tag",
        "witkoffukraine",
        "--until",
        "2025-11-20",
        "--out",
        "p.png",
    )
    assert f"warning: {BLIND}" in plotted.output
