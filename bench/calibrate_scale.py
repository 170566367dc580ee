"""How `monitor calibrate` scales: time, peak memory and model size for 10,000 and 100,000
labels, run through the CLI in a fresh process as a user would.

The labels are the train, dev and val splits of the shared labelled sets (never a test split);
past their ~40,000 rows, each further label joins two of their texts (the first one's label),
so every text is distinct, as in a real sheet. The figures are about cost, not agreement.

    .venv/bin/python bench/calibrate_scale.py [--sizes 10000,100000]
"""

from __future__ import annotations

import argparse
import csv
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from labelled import LABELLED, STANCE, tsv_rows

from monitor.models import LABELS

MEASURED = """
import resource, sys
from monitor.cli import cli
try:
    cli.main(args=sys.argv[1:], prog_name="monitor")
except SystemExit as stop:
    status = stop.code
print("peak_kb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.exit(status)
"""


def fitting_rows() -> list[tuple[str, str]]:
    """(text, label) of every train, dev and val split under ../shared/data/labelled/."""
    rows = []
    for path in sorted(LABELLED.rglob("*.tsv")):
        if "test" in path.stem:
            continue
        for row in tsv_rows(str(path.relative_to(LABELLED))):
            label = STANCE.get(row.get("label", ""), row.get("label", ""))
            if label in LABELS and row.get("text"):
                rows.append((" ".join(row["text"].split()), label))
    return rows


def label_sheet(path: Path, size: int, seed: int = 0) -> Path:
    rows = fitting_rows()
    chosen = list(rows)
    draw = random.Random(seed)
    while len(chosen) < size:
        (first, label), (second, _) = draw.choice(rows), draw.choice(rows)
        chosen.append((f"{first} {second}", label))
    draw.shuffle(chosen)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(chosen[:size])
    return path


def measure(size: int, work: Path) -> dict:
    sheet = label_sheet(work / f"labels_{size}.csv", size)
    model = work / f"model_{size}.json"
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            MEASURED,
            "--db",
            str(work / "x.db"),
            "-v",
            "calibrate",
            str(sheet),
            "--out",
            str(model),
            "--force",
        ],
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"calibrate on {size} labels failed:\n{done.stderr}")
    progress = [
        update.strip()
        for update in done.stderr.replace("\r", "\n").splitlines()
        if update.startswith("calibrate:")
    ]
    return {
        "labels": size,
        "seconds": seconds,
        "peak_mb": int(done.stderr.split("peak_kb ")[1]) / 1024,
        "model_mb": model.stat().st_size / 2**20,
        "progress_updates": len(progress),
        "last_progress": progress[-1] if progress else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            row = measure(size, Path(folder))
            print(
                f"{row['labels']:>7,} labels: {row['seconds']:6.0f} s, "
                f"peak {row['peak_mb']:5.0f} MB, model {row['model_mb']:5.1f} MB; "
                "progress on stderr: "
                f"{row['progress_updates']} updates, the last {row['last_progress']!r}",
                flush=True,
            )


if __name__ == "__main__":
    main()
