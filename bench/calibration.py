"""The calibration loop on the public labelled sets, run through the CLI as a user would:
import a set's test split as posts, `monitor evaluate` stock VADER on its labels, `monitor
calibrate` on 500 posts drawn at random (seed 0) from the train split, activate the model,
`monitor rescore`, and `monitor evaluate` again. Nothing is fitted or chosen on a test split.

    .venv/bin/python bench/calibration.py [--labels 500] [--sets gop_debate_2015,...]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

from labelled import SETS, LabelledSet


def monitor(config: Path, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "monitor", "--config", str(config), *args]
    return subprocess.run(command, capture_output=True, text=True)


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def evaluated(config: Path, labels: Path) -> dict | str:
    done = monitor(config, "evaluate", str(labels), "--json")
    return json.loads(done.stdout) if done.returncode == 0 else done.stderr.strip()


def run_set(labelled: LabelledSet, count: int, work: Path) -> dict:
    config = work / "monitor.toml"
    config.write_text('tags = ["eval"]\ndatabase = "eval.db"\nreports_dir = "."\n')
    test = labelled.rows("test")
    posts = work / "posts.jsonl"
    with posts.open("w", encoding="utf-8") as out:
        for number, (text, _) in enumerate(test):
            record = {
                "platform": "eval",
                "id": str(number),
                "created_at": "2025-11-20T10:00:00Z",
                "text": text,
                "tags": ["eval"],
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    monitor(config, "import", str(posts)).check_returncode()
    test_labels = write_csv(
        work / "test_labels.csv",
        ["platform", "id", "label"],
        [["eval", str(n), label] for n, (_, label) in enumerate(test)],
    )
    train = random.Random(0).sample(labelled.rows("train"), count)
    train_labels = write_csv(work / "train_labels.csv", ["text", "label"], [list(r) for r in train])
    stock = evaluated(config, test_labels)
    fitted = monitor(config, "calibrate", str(train_labels), "--out", str(work / "model.json"))
    result = {"set": labelled.name, "test": len(test), "stock": stock, "calibrate": fitted.stdout}
    if fitted.returncode:
        result["calibrated"] = fitted.stderr.strip()
        return result
    config.write_text(config.read_text() + '[scoring]\nmodel = "model.json"\n')
    monitor(config, "rescore").check_returncode()
    result["calibrated"] = evaluated(config, test_labels)
    return result


def line(name: str, result: dict | str, test: int) -> str:
    if isinstance(result, str):
        return f"| {name} | {result} | | | |"
    (f1_lo, f1_hi), (d_lo, d_hi) = (result["intervals"][k] for k in ("macro_f1", "share_distance"))
    return (
        f"| {name} | {result['macro_f1']:.3f} ({f1_lo:.3f}-{f1_hi:.3f}) | "
        f"{result['share_distance']:.3f} ({d_lo:.3f}-{d_hi:.3f}) | "
        f"{result['n']} of {test} ({result['n'] / test:.1%}) | {result['scorer_version']} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--labels", type=int, default=500, help="train posts labelled")
    parser.add_argument(
        "--sets",
        default="gop_debate_2015,hcr_2010,debate08_obama_mccain,cic_catalonia_independence_es",
    )
    args = parser.parse_args()
    wanted = args.sets.split(",")
    print("| set and scorer | macro-F1 (95%) | share distance (95%) | test posts scored | version")
    print("|---|---|---|---|---")
    for labelled in (s for s in SETS if s.name in wanted):
        with tempfile.TemporaryDirectory(prefix="monitor-calibration-") as tmp:
            result = run_set(labelled, args.labels, Path(tmp))
        print(line(f"{labelled.name}: stock VADER", result["stock"], result["test"]))
        print(line(f"{labelled.name}: calibrated", result["calibrated"], result["test"]))
        for text in result["calibrate"].strip().splitlines():
            print(f"|   {text.strip()} | | | | |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
