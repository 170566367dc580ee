"""How the published share's method was chosen (``monitor/quantify.py``), on train rows only:
the calibrated scorer fitted on 500 labels drawn from each set's train split (its
misclassification rates from cross-validation on the same 500, as ``monitor calibrate``
keeps them), then 200 simulated days of 300 posts drawn from the *other* train rows (dev or
val rows where a set has them), each day's label mix from a flat Dirichlet. Never a test split.

Prints, per set and method: the slope of estimated vs true skeptical share, the mean absolute
error of that share, how often the truth is inside the 95% interval, and the share distance
(total variation) on the natural mix (every pool row).

    .venv/bin/python bench/choose_quantifier.py [--seeds 0,1,2] [--days 200]
"""

from __future__ import annotations

import argparse
import random
import statistics

import numpy as np
from labelled import SETS, LabelledSet

from monitor import quantify
from monitor.calibration import cross_validated_rates, out_of_fold
from monitor.models import LABELS
from monitor.scoring import calibrated

# Where the rows not drawn for labelling come from: a set's own held-back split when it has
# one, else the rest of its train split (TweetEval has no train split: its val split is both).
POOLS = {"hcr_2010": "dev", "cic_catalonia_independence_es": "val"}
LABEL_SPLIT = {"tweeteval_sentiment": "val"}


def fitted(labelled: LabelledSet, labels: int, seed: int):
    """(the pool's texts, their hand labels, the scorer's labels on them, CV confusion)."""
    train = labelled.rows(LABEL_SPLIT.get(labelled.name, "train"))
    random.Random(seed).shuffle(train)
    drawn, rest = train[:labels], train[labels:]
    pool = labelled.rows(POOLS[labelled.name]) if labelled.name in POOLS else rest
    texts, truth = [t for t, _ in drawn], [label for _, label in drawn]
    rates = cross_validated_rates(truth, out_of_fold(texts, truth, seed))
    model = calibrated.fit(texts, truth, [])
    guessed = calibrated.labels(model, [t for t, _ in pool])
    hand = np.array([LABELS.index(label) for _, label in pool])
    said = np.array([LABELS.index(label) for label in guessed])
    return hand, said, rates


def days(hand: np.ndarray, said: np.ndarray, count: int, size: int, seed: int):
    """Label counts the scorer gives on each simulated day, and each day's true shares."""
    rng = np.random.default_rng(seed)
    by_label = [np.flatnonzero(hand == i) for i in range(3)]
    mixes = rng.dirichlet(np.ones(3), size=count)
    counted, truth = np.zeros((count, 3)), np.zeros((count, 3))
    for d, mix in enumerate(mixes):
        per_label = rng.multinomial(size, mix)
        picks = np.concatenate(
            [rng.choice(by_label[i], k) for i, k in enumerate(per_label) if k]
        ).astype(int)
        truth[d] = per_label / size
        counted[d] = np.bincount(said[picks], minlength=3)
    return counted, truth


def figures(estimated: np.ndarray, lo, hi, truth: np.ndarray) -> dict[str, float]:
    negative = LABELS.index("negative")
    e, t = estimated[:, negative], truth[:, negative]
    slope = float(np.polyfit(t, e, 1)[0])
    inside = (lo[:, negative] <= t) & (t <= hi[:, negative]) if lo is not None else None
    return {
        "slope": slope,
        "mae": float(np.abs(e - t).mean()),
        "coverage": float(inside.mean()) if inside is not None else float("nan"),
    }


def methods(counts: np.ndarray, rates: quantify.Rates) -> dict[str, tuple]:
    """Each candidate's (share, lo, hi)."""
    observed = quantify.count_shares(counts)
    counted = quantify.shares(counts, None)
    plain = quantify.adjust(observed, quantify.matrix(np.asarray(rates.confusion, dtype=float)))
    published = quantify.estimate(counts, rates)
    return {
        "count (Wilson)": (counted.share, counted.lo, counted.hi),
        "ACC": (plain, published.lo, published.hi),
        "blend": (published.share, published.lo, published.hi),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--days", type=int, default=200)
    parser.add_argument("--labels", type=int, default=500)
    parser.add_argument("--sets", default=",".join(s.name for s in SETS))
    args = parser.parse_args()
    table: dict[str, dict[str, list[dict]]] = {}
    for labelled in (s for s in SETS if s.name in args.sets.split(",")):
        for seed in map(int, args.seeds.split(",")):
            hand, said, rates = fitted(labelled, args.labels, seed)
            counts, truth = days(hand, said, args.days, 300, seed)
            natural = np.bincount(said, minlength=3)[None].astype(float)
            natural_truth = np.bincount(hand, minlength=3) / len(hand)
            for name, (share, lo, hi) in methods(counts, rates).items():
                result = figures(share, lo, hi, truth)
                nat = methods(natural, rates)[name][0][0]
                result["natural"] = float(np.abs(nat - natural_truth).sum() / 2)
                table.setdefault(labelled.name, {}).setdefault(name, []).append(result)
    print("| set | method | slope | MAE | coverage | natural-mix distance |")
    print("|---|---|---|---|---|---|")
    overall: dict[str, list[float]] = {}
    for name, by_method in table.items():
        for method, runs in by_method.items():
            mean = {k: statistics.mean(r[k] for r in runs) for k in runs[0]}
            overall.setdefault(method, []).append(mean["mae"])
            print(
                f"| {name} | {method} | {mean['slope']:.2f} | {mean['mae']:.3f} | "
                f"{mean['coverage']:.0%} | {mean['natural']:.3f} |"
            )
    for method, maes in overall.items():
        print(f"mean MAE over sets, {method}: {statistics.mean(maes):.3f}")


if __name__ == "__main__":
    main()
