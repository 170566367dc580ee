"""`make bench`: time the naive pipeline, vaderSentiment alone, `monitor import`, `monitor
report --days 90` and `monitor rescore` on one corpus, each in a fresh process, and print
posts/s, seconds and peak RSS (the process and its children, from getrusage). The
`calibrated` step rescores the posts with a model calibrated (once, not timed) on 500 of them,
labelled from their tweets' human ratings, and reports again: its shares are adjusted by the
rates the model's cross-validation measured. The `crowded` step imports the same corpus into
a database already holding --crowd posts (half of them reposts of 3,000 texts), to show that
looking up stored scores does not grow with the database."""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from corpus import write_corpus  # noqa: E402

PYTHON = sys.executable


def measure(args: list[str], cwd: Path) -> tuple[float, float]:
    """Run a command in a fresh process; its wall seconds and peak RSS in MB (the process or
    any of its children, whichever is larger)."""
    wrapper = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "code = subprocess.call(sys.argv[1:]); s = time.perf_counter() - t; "
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss; "
        "print(f'{s} {peak}', file=sys.stderr); sys.exit(code)"
    )
    done = subprocess.run([PYTHON, "-c", wrapper, *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr[-2000:]}")
    seconds, peak_kb = done.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(peak_kb) / 1024


def monitor(*args: str) -> list[str]:
    return [PYTHON, "-m", "monitor", *args]


def one_round(
    corpus: Path,
    posts: int,
    work: Path,
    steps: set[str],
    crowded: Path | None,
    model_config: Path | None,
) -> dict[str, tuple]:
    results = {}
    db = work / "bench.db"
    if "naive" in steps:
        naive_db = work / "naive.db"
        naive_db.unlink(missing_ok=True)
        results["naive pipeline"] = measure(
            [PYTHON, str(HERE / "naive.py"), str(corpus), str(naive_db)], work
        )
        naive_db.unlink(missing_ok=True)
    if "vader" in steps:
        results["vaderSentiment alone (1 core)"] = measure(
            [PYTHON, str(HERE / "vader_only.py"), str(corpus)], work
        )
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    results["monitor import"] = measure(monitor("--db", str(db), "import", str(corpus)), work)
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT count(*) FROM posts").fetchone()[0]
    if stored != posts:
        raise SystemExit(f"monitor import stored {stored} posts of {posts}")
    if crowded is not None:
        into = work / "crowded-run.db"
        shutil.copyfile(crowded, into)
        results["monitor import into crowded db"] = measure(
            monitor("--db", str(into), "import", str(corpus)), work
        )
        into.unlink()
    if "report" in steps:
        results["monitor report --days 90"] = measure(
            monitor("--db", str(db), "report", "--date", "2025-11-23", "--days", "90"), work
        )
    if model_config is not None:  # the same posts scored by a calibrated model, reported
        with_model = ("--config", str(model_config), "--db", str(db))
        results["monitor rescore, calibrated"] = measure(monitor(*with_model, "rescore"), work)
        results["monitor report --days 90, calibrated"] = measure(
            monitor(*with_model, "report", "--date", "2025-11-23", "--days", "90"), work
        )
    if "export" in steps:
        for suffix in ("csv", "parquet"):
            results[f"monitor export .{suffix}"] = measure(
                monitor("--db", str(db), "export", "--out", str(work / f"posts.{suffix}")), work
            )
    if "rescore" in steps:
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE posts SET scorer_version = 'older'")
        results["monitor rescore"] = measure(monitor("--db", str(db), "rescore"), work)
    return results


def calibrated_model(corpus: Path, work: Path) -> Path:
    """A config whose scorer is a model calibrated on the corpus's label sheet (not timed):
    its shares are adjusted by the rates its cross-validation measured."""
    print("calibrating a model on 500 labelled posts (not timed)", flush=True)
    db = work / "labelled.db"
    measure(monitor("--db", str(db), "import", str(corpus)), work)
    measure(
        monitor("--db", str(db), "calibrate", str(work / "labels.csv"), "--out", "model.json"),
        work,
    )
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    config = work / "calibrated.toml"
    config.write_text(f'[scoring]\nmodel = "{work / "model.json"}"\n', encoding="utf-8")
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--reposts", type=float, default=0.05, help="share of exact reposts")
    parser.add_argument("--runs", type=int, default=3, help="rounds; the median is printed")
    parser.add_argument(
        "--steps",
        default="naive,vader,report,calibrated,export,rescore,crowded",
        help="comma-separated subset of naive,vader,report,calibrated,export,rescore,crowded",
    )
    parser.add_argument(
        "--crowd", type=int, default=1_000_000, help="posts already stored for 'crowded'"
    )
    args = parser.parse_args()
    steps = set(args.steps.split(",")) if args.steps else set()
    with tempfile.TemporaryDirectory(prefix="monitor-bench-") as tmp:
        work = Path(tmp)
        corpus = write_corpus(
            work / "corpus.jsonl", args.posts, args.reposts, labels_out=work / "labels.csv"
        )
        size = corpus.stat().st_size
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}; corpus: {args.posts} posts, "
            f"{size / args.posts:.0f} bytes per JSON line, {args.reposts:.0%} reposts; "
            f"median of {args.runs} runs"
        )
        crowded = None
        if "crowded" in steps:
            crowded = work / "crowded.db"
            crowd = write_corpus(
                work / "crowd.jsonl", args.crowd, 0.5, seed=7, prefix="c", repost_pool=3000
            )
            print(f"building the crowded database ({args.crowd} posts, not timed)", flush=True)
            measure(monitor("--db", str(crowded), "import", str(crowd)), work)
            crowd.unlink()
        model_config = calibrated_model(corpus, work) if "calibrated" in steps else None
        rounds = []
        for number in range(1, args.runs + 1):
            rounds.append(one_round(corpus, args.posts, work, steps, crowded, model_config))
            print(
                f"run {number}: " + ", ".join(f"{n} {s:.2f} s" for n, (s, _) in rounds[-1].items())
            )
    names = list(rounds[0])
    median = {
        n: (statistics.median(r[n][0] for r in rounds), statistics.median(r[n][1] for r in rounds))
        for n in names
    }
    print(f"{'step':<38} {'seconds':>9} {'posts/s':>9} {'peak RSS MB':>12}")
    for name in names:
        seconds, peak = median[name]
        rate = f"{args.posts / seconds:,.0f}" if "report" not in name else "-"
        print(f"{name:<38} {seconds:>9.2f} {rate:>9} {peak:>12.0f}")
    imported = median["monitor import"][0]
    if "naive pipeline" in median:
        print(f"monitor import vs naive pipeline: {median['naive pipeline'][0] / imported:.2f}x")
    if "monitor import into crowded db" in median:
        crowded = median["monitor import into crowded db"][0]
        print(f"import into the crowded database vs an empty one: {crowded / imported:.2f}x")
    if "vaderSentiment alone (1 core)" in median:
        vader = median["vaderSentiment alone (1 core)"][0]
        print(f"monitor import vs vaderSentiment alone: {vader / imported:.2f}x")


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    main()
