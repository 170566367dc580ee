"""Does the published daily share move as opinion moves? The calibrated scorer fitted on 500
labels drawn from each set's train split (its misclassification rates from cross-validation on
the same 500, as ``monitor calibrate`` keeps them), then simulated days of posts drawn from the
set's test split, whose true label mix is known:

- 200 days of 300 posts, each day's mix from a flat Dirichlet;
- a 30-day drift of the true skeptical share from 15% to 75% (the rest split as in the set);
- the natural mix: the whole test split as one day.

Prints, per set and method (the plain count, the plain adjusted counts from labels (ACC) and
from probabilities (PACC), and what the monitor publishes: ``quantify.shares``), the slope of
the estimated vs true skeptical share, its mean absolute error, how often the truth lies inside
the published 95% interval and that interval's mean width, and the share distance (total
variation) on the natural mix. Means over the seeds.

``--tune`` draws the days from rows never used for fitting *outside* the test split (the rest
of train, or a dev / val split): how the method was chosen. ``--cli`` runs the drift through
the command line as a user would (import 30 days, calibrate, rescore, ``monitor report --days
30``) for GOP and HCR and reads the published ``daily.csv``.

``--sets unseen`` runs the sets no choice of the method was made on (``labelled.UNSEEN``:
Catalan CIC and seven languages of xlmt): labels from their train splits, days from their
test splits, which nothing else here reads for shares.

``--sizes 10,20,50`` shows the published share on Dirichlet days of those many posts (what
the "n too small" rule rests on).

``--alerts`` shows how often a share alert flags a jump in the true skeptical share (and, for
a jump of 0, how often it raises a false alarm), for counted and published shares; ``--wander
SD`` lets each day's true share wander, ``--moved M`` moves the baseline's last three days
first, ``--history H`` gives H days before the judged one.

``--inflation K`` and ``--regularisation C`` (with ``--tune``) try another spread of the rates
or another regularisation of the model.

``--checked N`` compares the rates a calibrated model keeps, a later held-out check on N
tuning rows (``monitor evaluate``), and both pooled (what the monitor uses).

    .venv/bin/python bench/trend_fidelity.py [--seeds 0,1,2] [--tune] [--cli] [--checked 150]
    .venv/bin/python bench/trend_fidelity.py --tune --sizes 10,20,30,50,100,300
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import tempfile
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from calibration import monitor, write_csv
from labelled import SETS, UNSEEN, LabelledSet
from scipy.stats import chi2, chi2_contingency

from monitor import analysis, quantify
from monitor.calibration import checked_rates, cross_validated_rates, out_of_fold
from monitor.models import LABELS
from monitor.scoring import calibrated
from monitor.settings import Analysis

NEGATIVE = LABELS.index("negative")
# Rows held back from fitting when tuning: a set's own dev / val split where it has one, else
# the rest of its train split (TweetEval has no train split: its val split is both).
TUNING_POOLS = {"hcr_2010": "dev", "cic_catalonia_independence_es": "val"}
LABEL_SPLIT = {"tweeteval_sentiment": "val"}
DRIFT_DAYS, DRIFT_FROM, DRIFT_TO = 30, 0.15, 0.75
JUMPS = (0.0, 0.1, 0.2, 0.3)  # share alerts: 0 measures false alarms


def chosen_sets(choice: str | None, default: list[LabelledSet]) -> list[LabelledSet]:
    """The sets ``--sets`` names ("unseen": ``labelled.UNSEEN``), else ``default``."""
    if choice is None:
        return default
    if choice == "unseen":
        return UNSEEN
    known = {s.name: s for s in SETS + UNSEEN}
    if unknown := [name for name in choice.split(",") if name not in known]:
        raise SystemExit(
            f"--sets: no labelled set {', '.join(unknown)} (known: {', '.join(known)})"
        )
    return [known[name] for name in choice.split(",")]


def drawn_labels(labelled: LabelledSet, labels: int, seed: int):
    """The ``labels`` rows drawn for fitting, and the rest of their split."""
    rows = labelled.rows(LABEL_SPLIT.get(labelled.name, "train"))
    random.Random(seed).shuffle(rows)
    return rows[:labels], rows[labels:]


def pool_rows(labelled: LabelledSet, rest: list, tune: bool) -> list[tuple[str, str]]:
    if not tune:
        return labelled.rows("test")
    return labelled.rows(TUNING_POOLS[labelled.name]) if labelled.name in TUNING_POOLS else rest


def fitted(labelled: LabelledSet, labels: int, seed: int, tune: bool):
    """(the pool's hand labels, the scorer's label probabilities on them, the
    cross-validated rates)."""
    drawn, rest = drawn_labels(labelled, labels, seed)
    texts, truth = [t for t, _ in drawn], [label for _, label in drawn]
    rates = cross_validated_rates(truth, out_of_fold(texts, truth, seed))
    model = calibrated.fit(texts, truth, [])
    pool = pool_rows(labelled, rest, tune)
    hand = np.array([LABELS.index(label) for _, label in pool])
    return hand, calibrated.probabilities(model, [t for t, _ in pool]), rates


def sample_days(hand: np.ndarray, mixes: np.ndarray, size: int, rng: np.random.Generator):
    """Indices of the posts of each day (each label drawn with replacement to the day's mix),
    and each day's true shares."""
    by_label = [np.flatnonzero(hand == i) for i in range(3)]
    picks, truth = [], np.zeros((len(mixes), 3))
    for d, mix in enumerate(mixes):
        per_label = rng.multinomial(size, mix)
        picks.append(
            np.concatenate([rng.choice(by_label[i], k) for i, k in enumerate(per_label)]).astype(
                int
            )
        )
        truth[d] = per_label / size
    return picks, truth


def day_sums(probabilities: np.ndarray, picks: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Each day's label counts (the most probable label of each post) and summed label
    probabilities: what the trend index aggregates for a calibrated scorer."""
    said = probabilities.argmax(axis=1)
    counts = np.array([np.bincount(said[p], minlength=3) for p in picks], dtype=float)
    return counts, np.array([probabilities[p].sum(axis=0) for p in picks])


def drift_mixes(hand: np.ndarray) -> np.ndarray:
    """The skeptical share from 15% to 75% over 30 days; neutral and supportive share the
    rest in the proportion the set has them."""
    counts = np.bincount(hand, minlength=3).astype(float)
    others = np.delete(counts, NEGATIVE) / np.delete(counts, NEGATIVE).sum()
    mixes = []
    for negative in np.linspace(DRIFT_FROM, DRIFT_TO, DRIFT_DAYS):
        rest = (1 - negative) * others
        mixes.append(np.insert(rest, NEGATIVE, negative))
    return np.array(mixes)


def figures(share, lo, hi, truth) -> dict[str, float]:
    """Slope, mean absolute error, coverage and mean width of the interval of the skeptical
    share (1-D arrays per day)."""
    e, t = share, truth
    inside = (lo <= t + 1e-9) & (t - 1e-9 <= hi)
    return {
        "slope": float(np.polyfit(t, e, 1)[0]),
        "mae": float(np.abs(e - t).mean()),
        "coverage": float(inside.mean()),
        "width": float((hi - lo).mean()),
    }


def skeptical_figures(estimate: quantify.Estimate, truth: np.ndarray) -> dict[str, float]:
    """``figures`` of the skeptical share of an estimate of days' splits against their true
    splits ([days, 3])."""
    bounds = (estimate.share, estimate.lo, estimate.hi)
    return figures(*(bound[:, NEGATIVE] for bound in bounds), truth[:, NEGATIVE])


def methods(
    counts: np.ndarray, probabilities: np.ndarray, rates: quantify.Rates
) -> dict[str, quantify.Estimate]:
    """What the count, plain ACC, plain PACC and the published share say of days' label
    counts and summed probabilities (ACC and PACC shown with the published interval)."""
    published = quantify.shares(counts, rates, probabilities)
    plain = {
        "adjusted (plain ACC)": (counts, rates.confusion),
        "adjusted (plain PACC)": (probabilities, rates.probabilities),
    }
    return {
        "count": quantify.shares(counts, None),
        **{
            name: quantify.Estimate(
                quantify.adjust(quantify.count_shares(observed), quantify.matrix(np.array(m))),
                published.lo,
                published.hi,
            )
            for name, (observed, m) in plain.items()
        },
        "published": published,
    }


def simulate(labelled: LabelledSet, args: argparse.Namespace, seed: int) -> dict:
    hand, probabilities, rates = fitted(labelled, args.labels, seed, args.tune)
    said = probabilities.argmax(axis=1)
    rng = np.random.default_rng(seed)
    out: dict[str, dict[str, dict[str, float]]] = {}
    natural_truth = np.bincount(hand, minlength=3) / len(hand)
    for scenario, mixes in (
        ("dirichlet", rng.dirichlet(np.ones(3), size=args.days)),
        ("drift", drift_mixes(hand)),
    ):
        picks, truth = sample_days(hand, mixes, args.posts, rng)
        counts, sums = day_sums(probabilities, picks)
        for name, estimate in methods(counts, sums, rates).items():
            out.setdefault(name, {})[scenario] = skeptical_figures(estimate, truth)
    natural = np.bincount(said, minlength=3)[None].astype(float)
    for name, estimate in methods(natural, probabilities.sum(axis=0)[None], rates).items():
        distance = float(np.abs(estimate.share[0] - natural_truth).sum() / 2)
        out[name]["natural"] = {"distance": distance}
    return out


def simulations(args: argparse.Namespace) -> None:
    results = {s.name: [simulate(s, args, seed) for seed in args.seed_list] for s in args.set_list}
    where = "tuning rows (never a test split)" if args.tune else "test splits"
    print(
        f"\n{args.labels} train labels, seeds {args.seeds}; days of {args.posts} posts "
        f"from the {where}\n"
    )
    print(
        "| set | method | Dirichlet slope | MAE | coverage | width | drift slope | MAE "
        "| coverage | width | natural-mix distance |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    overall: dict[str, list[float]] = {}
    for name, runs in results.items():
        for method in runs[0]:
            mean = {
                (scenario, key): statistics.mean(r[method][scenario][key] for r in runs)
                for scenario in runs[0][method]
                for key in runs[0][method][scenario]
            }
            overall.setdefault(method, []).append(mean["dirichlet", "mae"])
            print(
                f"| {name} | {method} | {mean['dirichlet', 'slope']:.2f} | "
                f"{mean['dirichlet', 'mae']:.3f} | {mean['dirichlet', 'coverage']:.0%} | "
                f"{mean['dirichlet', 'width']:.2f} | {mean['drift', 'slope']:.2f} | "
                f"{mean['drift', 'mae']:.3f} | {mean['drift', 'coverage']:.0%} | "
                f"{mean['drift', 'width']:.2f} | {mean['natural', 'distance']:.3f} |"
            )
    for method, maes in overall.items():
        print(f"Dirichlet MAE averaged over sets, {method}: {statistics.mean(maes):.3f}")


def pooling(labelled: LabelledSet, args: argparse.Namespace, seed: int) -> dict:
    """Rates from the model's cross-validation, from a later held-out check on ``args.checked``
    tuning rows (as ``monitor evaluate`` measures), or both pooled (what the monitor uses),
    on Dirichlet days drawn from the rest of the tuning rows."""
    hand, probabilities, kept = fitted(labelled, args.labels, seed, tune=True)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(hand))
    check, rest_of_pool = order[: args.checked], order[args.checked :]
    checked = checked_rates([LABELS[i] for i in hand[check]], [probabilities[check]], "check")
    probabilities, hand = probabilities[rest_of_pool], hand[rest_of_pool]
    picks, truth_shares = sample_days(
        hand, rng.dirichlet(np.ones(3), size=args.days), args.posts, rng
    )
    counts, sums = day_sums(probabilities, picks)
    out: dict = {"agreement p": homogeneity(checked, kept)}
    for name, rates in (
        ("cross-validated", kept),
        ("check", checked),
        ("pooled", checked.pooled(kept)),
    ):
        estimate = quantify.shares(counts, rates, sums)
        out[name] = skeptical_figures(estimate, truth_shares)
    return out


def homogeneity(a: quantify.Rates, b: quantify.Rates) -> float:
    """The p-value of a chi-square test that two measurements' label counts come from the same
    misclassification rates (each hand label's row a 2 x 3 table, the tables' statistics and
    degrees of freedom summed): a rule that kept the check alone when they differ was weighed
    on it."""
    tables = [
        np.stack([row_a, row_b])[:, np.add(row_a, row_b) > 0]
        for row_a, row_b in zip(np.asarray(a.confusion), np.asarray(b.confusion), strict=True)
    ]
    tests = [
        chi2_contingency(t, correction=False)
        for t in tables
        if t.shape[1] > 1 and (t.sum(axis=1) > 0).all()
    ]
    df = sum(t.dof for t in tests)
    return float(chi2.sf(sum(t.statistic for t in tests), df)) if df else 1.0


def pooling_runs(args: argparse.Namespace) -> None:
    print(
        f"\nRates from {args.labels} labels' cross-validation, a check on {args.checked} more "
        "(tuning rows), or pooled; Dirichlet days from the rest of the tuning rows\n"
    )
    print("| set | rates | slope | MAE | coverage | width |")
    print("|---|---|---|---|---|---|")
    overall: dict[str, list[float]] = {}
    for labelled in args.set_list:
        runs = [pooling(labelled, args, seed) for seed in args.seed_list]
        agreement = ", ".join(f"{r.pop('agreement p'):.2f}" for r in runs)
        print(f"| {labelled.name} | check vs cross-validated: chi-square p {agreement} | | | | |")
        for name in runs[0]:
            mean = {k: statistics.mean(r[name][k] for r in runs) for k in runs[0][name]}
            overall.setdefault(name, []).append(mean["mae"])
            print(
                f"| {labelled.name} | {name} | {mean['slope']:.2f} | {mean['mae']:.3f} | "
                f"{mean['coverage']:.0%} | {mean['width']:.2f} |"
            )
    for name, maes in overall.items():
        print(f"MAE averaged over sets, {name}: {statistics.mean(maes):.3f}")


def day_size(labelled: LabelledSet, args: argparse.Namespace, seed: int) -> dict:
    """The published share on Dirichlet days of each size in ``args.size_list``: what the
    "n too small" rule (``[analysis] min_posts``) rests on."""
    hand, probabilities, rates = fitted(labelled, args.labels, seed, args.tune)
    rng = np.random.default_rng(seed)
    out = {}
    for size in args.size_list:
        picks, truth = sample_days(hand, rng.dirichlet(np.ones(3), size=args.days), size, rng)
        counts, sums = day_sums(probabilities, picks)
        estimate = quantify.shares(counts, rates, sums)
        out[size] = skeptical_figures(estimate, truth)
    return out


def day_size_runs(args: argparse.Namespace) -> None:
    where = "tuning rows" if args.tune else "test splits"
    print(f"\nThe published share by posts per day (Dirichlet days from the {where})\n")
    print("| set | posts a day | slope | MAE | coverage | width |")
    print("|---|---|---|---|---|---|")
    for labelled in args.set_list:
        runs = [day_size(labelled, args, seed) for seed in args.seed_list]
        for size in args.size_list:
            mean = {k: statistics.mean(r[size][k] for r in runs) for k in runs[0][size]}
            print(
                f"| {labelled.name} | {size} | {mean['slope']:.2f} | {mean['mae']:.3f} | "
                f"{mean['coverage']:.0%} | {mean['width']:.2f} |"
            )


def alert_rates(labelled: LabelledSet, args: argparse.Namespace, seed: int) -> dict:
    """How often ``analysis.share_shifts`` flags the last of eight days of ``args.posts`` posts
    whose true skeptical share is the first seven's (30%, each day's moved by ``args.wander``,
    the last three's by ``args.moved``) plus each jump in ``JUMPS`` (the rest split evenly),
    for counted and published shares."""
    hand, probabilities, rates = fitted(labelled, args.labels, seed, args.tune)
    rng = np.random.default_rng(seed)
    rules = Analysis()
    out: dict[str, dict[float, float]] = {"count": {}, "published": {}}
    for jump in JUMPS:
        fired = {name: 0 for name in out}
        for _ in range(args.days):
            # Each day's true skeptical share wanders by args.wander (a standard deviation)
            # around 30%, the eighth's jumps on top; the rest split evenly.
            skeptical = 0.3 + np.clip(rng.normal(0, args.wander, args.history + 1), -0.2, 0.2)
            skeptical[-4:] += args.moved  # a first move, three days before the eighth
            skeptical[-1] += jump
            mixes = np.column_stack([skeptical, 0.55 - skeptical / 2, 0.45 - skeptical / 2])
            picks, _truth = sample_days(hand, mixes, args.posts, rng)
            counts, sums = day_sums(probabilities, picks)
            for name, estimate, by in (
                ("count", quantify.shares(counts, None), None),
                ("published", quantify.shares(counts, rates, sums), rates),
            ):
                frame = pd.DataFrame(
                    {
                        "period": pd.date_range("2025-11-01", periods=args.history + 1),
                        "tag": "t",
                        "n_scored": counts.sum(axis=1).astype(int),
                        "n_negative": counts[:, 0].astype(int),
                        "n_positive": counts[:, 2].astype(int),
                    }
                )
                for i, label in enumerate(LABELS):  # as trends.series makes it (intervals too,
                    # so the same run measures a library that read alerts off them: before 3f2b373)
                    frame[f"share_{label}"] = estimate.share[:, i]
                    frame[f"share_{label}_lo"] = estimate.lo[:, i]
                    frame[f"share_{label}_hi"] = estimate.hi[:, i]
                last = frame["period"].iloc[-1]
                shifts = analysis.share_shifts(frame, rules, ("negative",), by)
                fired[name] += any(a.period == last for a in shifts)
        for name in out:
            out[name][jump] = fired[name] / args.days
    return out


def alert_runs(args: argparse.Namespace) -> None:
    where = "tuning rows" if args.tune else "test splits"
    print(
        f"\nShare alerts: how often a jump in the true skeptical share on the eighth day of "
        f"{args.posts} posts is flagged ({args.days} trials; days from the {where}; each "
        f"day's true share wandering by {args.wander:.0%}; moved by {args.moved:.0%} on the "
        "fifth)\n"
    )
    print("| set | shares | " + " | ".join(f"jump +{j:.2f}" for j in JUMPS) + " |")
    print("|---|---|" + "---|" * len(JUMPS))
    for labelled in args.set_list:
        runs = [alert_rates(labelled, args, seed) for seed in args.seed_list]
        for name in runs[0]:
            cells = [f"{statistics.mean(r[name][j] for r in runs):.1%}" for j in JUMPS]
            print(f"| {labelled.name} | {name} | " + " | ".join(cells) + " |")


def through_the_cli(labelled: LabelledSet, args: argparse.Namespace, seed: int) -> dict:
    """The drift as a user meets it: 30 days of test tweets imported, a model calibrated on
    500 train labels, rescored, ``monitor report --days 30``; daily.csv against the truth."""
    rng = np.random.default_rng(seed)
    test = labelled.rows("test")
    hand = np.array([LABELS.index(label) for _, label in test])
    picks, truth = sample_days(hand, drift_mixes(hand), args.posts, rng)
    first = date(2025, 11, 1)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        config = work / "monitor.toml"
        config.write_text('tags = ["drift"]\ndatabase = "drift.db"\nreports_dir = "reports"\n')
        with (work / "posts.jsonl").open("w", encoding="utf-8") as out:
            for day, chosen in enumerate(picks):
                when = (first + timedelta(days=day)).isoformat() + "T12:00:00Z"
                for number, index in enumerate(chosen):
                    record = {
                        "platform": "x",
                        "id": f"{day}-{number}",
                        "created_at": when,
                        "text": test[index][0],
                        "tags": ["drift"],
                    }
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
        monitor(config, "import", str(work / "posts.jsonl")).check_returncode()
        drawn, _ = drawn_labels(labelled, args.labels, seed)
        write_csv(work / "train.csv", ["text", "label"], [list(r) for r in drawn])
        fitted_model = monitor(
            config, "calibrate", str(work / "train.csv"), "--out", str(work / "model.json")
        )
        if fitted_model.returncode:
            return {"error": fitted_model.stderr.strip()}
        config.write_text(config.read_text() + '[scoring]\nmodel = "model.json"\n')
        monitor(config, "rescore").check_returncode()
        last = first + timedelta(days=DRIFT_DAYS - 1)
        monitor(config, "report", "--date", last.isoformat(), "--days", "30").check_returncode()
        with (work / "reports" / last.isoformat() / "daily.csv").open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    published = (
        np.array([float(r[f"share_negative{end}"]) for r in rows]) for end in ("", "_lo", "_hi")
    )
    return figures(*published, truth[:, NEGATIVE])


def cli_runs(args: argparse.Namespace) -> None:
    print(f"\nThrough the CLI: 30 days of {args.posts} test tweets, skeptical 15% to 75%\n")
    print("| set | seed | daily.csv slope | MAE | truth inside share_negative_lo..hi | width |")
    print("|---|---|---|---|---|---|")
    drifted = [s for s in SETS if s.name in ("gop_debate_2015", "hcr_2010")]
    for labelled in chosen_sets(args.sets, drifted):
        for seed in args.seed_list:
            result = through_the_cli(labelled, args, seed)
            if "error" in result:
                print(f"| {labelled.name} | {seed} | {result['error']} | | | |")
                continue
            print(
                f"| {labelled.name} | {seed} | {result['slope']:.2f} | {result['mae']:.3f} | "
                f"{result['coverage']:.0%} | {result['width']:.2f} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--days", type=int, default=200)
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--labels", type=int, default=500)
    parser.add_argument(
        "--sets",
        help="Comma-separated (default: the five sets of issue 30; the CLI drift: GOP and "
        "HCR); 'unseen': the sets no choice was made on (labelled.UNSEEN).",
    )
    parser.add_argument("--tune", action="store_true", help="Days from tuning rows, not test.")
    parser.add_argument(
        "--inflation", type=float, help="quantify.RATE_INFLATION to try (with --tune)."
    )
    parser.add_argument(
        "--regularisation", type=float, help="calibrated.REGULARISATION (C) to try (with --tune)."
    )
    parser.add_argument("--cli", action="store_true", help="Also the drift through the CLI.")
    parser.add_argument("--cli-only", action="store_true", help="Only the CLI drift.")
    parser.add_argument(
        "--checked",
        type=int,
        help="Only: rates from cross-validation, a check on this many tuning rows, or pooled.",
    )
    parser.add_argument(
        "--alerts", action="store_true", help="Only: how often share alerts flag a jump."
    )
    parser.add_argument(
        "--wander",
        type=float,
        default=0.0,
        help="With --alerts: each day's true skeptical share wanders by this standard "
        "deviation (e.g. 0.03) around 30%%, as real days differ by more than their sampling.",
    )
    parser.add_argument(
        "--history",
        type=int,
        default=7,
        help="With --alerts: days before the judged one (the baseline is the last 7).",
    )
    parser.add_argument(
        "--moved",
        type=float,
        default=0.0,
        help="With --alerts: the true skeptical share already moved by this on the fifth day "
        "(a second move on the eighth, inside the baseline of the first).",
    )
    parser.add_argument(
        "--sizes", help="Only: Dirichlet days of these many posts each, e.g. 10,20,50,300."
    )
    args = parser.parse_args()
    if args.inflation is not None:
        quantify.RATE_INFLATION = args.inflation
    if args.regularisation is not None:
        calibrated.REGULARISATION = args.regularisation
    args.seed_list = [int(s) for s in args.seeds.split(",")]
    args.set_list = chosen_sets(args.sets, SETS)
    if args.checked:
        pooling_runs(args)
        return
    if args.alerts:
        alert_runs(args)
        return
    if args.sizes:
        args.size_list = [int(s) for s in args.sizes.split(",")]
        day_size_runs(args)
        return
    if not args.cli_only:
        simulations(args)
    if args.cli or args.cli_only:
        cli_runs(args)


if __name__ == "__main__":
    main()
