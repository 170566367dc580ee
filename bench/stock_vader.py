"""How far stock VADER's labels agree with people on the labelled test splits: macro-F1,
accuracy, and the label shares it predicts against the human ones (total-variation distance).
Evaluation only: nothing is fitted or chosen here. The report's method text cites this output
(``STOCK_AGREEMENT`` in monitor/scoring/vader.py).

    .venv/bin/python bench/stock_vader.py
"""

from __future__ import annotations

from collections import Counter

from labelled import SETS

from monitor.models import LABELS
from monitor.scoring.vader import VaderScorer, label_for


def macro_f1(truth: list[str], predicted: list[str]) -> float:
    scores = []
    for label in LABELS:
        tp = sum(t == p == label for t, p in zip(truth, predicted, strict=True))
        fp = sum(p == label != t for t, p in zip(truth, predicted, strict=True))
        fn = sum(t == label != p for t, p in zip(truth, predicted, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


def shares(labels: list[str]) -> dict[str, float]:
    counts = Counter(labels)
    return {label: counts[label] / len(labels) for label in LABELS}


def main() -> None:
    scorer = VaderScorer()
    print("set | n | macro-F1 | accuracy | human neg/neu/pos | VADER neg/neu/pos | distance")
    for labelled in SETS:
        rows = labelled.rows("test")
        truth = [label for _, label in rows]
        predicted = [label_for(n[0]) for n in scorer.numbers([text for text, _ in rows])]
        accuracy = sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(rows)
        human, vader = shares(truth), shares(predicted)
        distance = sum(abs(human[k] - vader[k]) for k in LABELS) / 2
        print(
            f"{labelled.name} | {len(rows)} | {macro_f1(truth, predicted):.3f} | {accuracy:.3f} | "
            + "/".join(f"{human[k]:.0%}" for k in LABELS)
            + " | "
            + "/".join(f"{vader[k]:.0%}" for k in LABELS)
            + f" | {distance:.2f}"
        )


if __name__ == "__main__":
    main()
