"""How the calibrated scorer's design was chosen: variants fitted on 500 labels drawn from each
set's train split and measured on 2,000 other train rows (three draws), never on a test split.
Prints mean macro-F1 / share distance per set and variant (``base`` is the issue's starting
point: word 1-2-grams + VADER, class-balanced logistic regression, C = 1).

    .venv/bin/python bench/tune_calibration.py
"""

from __future__ import annotations

import random
import statistics

import numpy as np
from labelled import SETS
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from monitor.evaluation import macro_f1, share_distance
from monitor.scoring.vader import VaderScorer

VADER = VaderScorer()
NAMES = ("gop_debate_2015", "hcr_2010", "debate08_obama_mccain", "cic_catalonia_independence_es")
VARIANTS = {
    "base": {},
    "C=0.3": {"c": 0.3},
    "C=3": {"c": 3.0},
    "min_df=1": {"min_df": 1},
    "+char 2-5": {"chars": True},
    "VADER x3": {"vader": 3.0},
    "unbalanced": {"balanced": False},
    "+char 2-5, VADER x3": {"chars": True, "vader": 3.0},
}


def features(vectorizers: list, texts: list[str], fit: bool, vader: float):
    grams = [v.fit_transform(texts) if fit else v.transform(texts) for v in vectorizers]
    numbers = sparse.csr_matrix(np.array(VADER.numbers(texts)) * vader)
    return sparse.hstack([*grams, numbers]).tocsr()


def score(train, held, c=1.0, min_df=2, chars=False, vader=1.0, balanced=True):
    vectorizers = [TfidfVectorizer(ngram_range=(1, 2), min_df=min_df, sublinear_tf=True)]
    if chars:
        vectorizers.append(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)
        )
    texts, truth = [t for t, _ in train], [label for _, label in train]
    model = LogisticRegression(
        C=c, class_weight="balanced" if balanced else None, max_iter=5000
    ).fit(features(vectorizers, texts, True, vader), truth)
    expected = [label for _, label in held]
    guessed = model.predict(features(vectorizers, [t for t, _ in held], False, vader))
    return macro_f1(expected, list(guessed)), share_distance(expected, list(guessed))


def main() -> None:
    results: dict[str, dict[str, list]] = {v: {} for v in VARIANTS}
    for labelled in (s for s in SETS if s.name in NAMES):
        rows = labelled.rows("train")
        for draw in range(3):
            random.Random(100 + draw).shuffle(rows)
            for name, options in VARIANTS.items():
                outcome = score(rows[:500], rows[500:2500], **options)
                results[name].setdefault(labelled.name, []).append(outcome)
    print("variant | " + " | ".join(NAMES))
    for name, by_set in results.items():
        cells = [
            f"{statistics.mean(f for f, _ in runs):.3f} / {statistics.mean(d for _, d in runs):.3f}"
            for runs in by_set.values()
        ]
        print(f"{name} | " + " | ".join(cells))


if __name__ == "__main__":
    main()
