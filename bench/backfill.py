"""How `monitor backfill` scales: the same shards in one process (no Dask), then on a local
Dask cluster of 1 and of 2 worker processes.

The shards are built from the real December 2005 Reddit comments in ../shared/formats/reddit/
(real lines, ids made unique per copy), compressed as the dumps are, filtered with
`--match iraq` (about 1 line in 130 holds it) as a story's backfill would be. Prints lines per
second per worker from the tasks' own time, and the wall time of the cluster runs from a
running cluster (start-up is a one-off of a second or two).

    .venv/bin/python bench/backfill.py [--shards 4] [--lines 500000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import zstandard

from monitor.backfill import backfill, backfill_file
from monitor.formats.base import ImportOptions
from monitor.scoring.vader import VaderScorer

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "formats" / "reddit" / "RC_2005-12.zst"
OPTIONS = ImportOptions(tags=("iraq",), match=("iraq",))


def build_shards(folder: Path, shards: int, lines: int) -> list[Path]:
    if not SAMPLE.exists():
        raise SystemExit(f"{SAMPLE} is absent: the benchmark builds its shards from it")
    with SAMPLE.open("rb") as raw:
        real = zstandard.ZstdDecompressor(max_window_size=2**31).stream_reader(raw).read()
    real_lines = real.splitlines(keepends=True)
    paths = []
    for n in range(shards):
        path = folder / f"RC_bench{n}.zst"
        with path.open("wb") as raw, zstandard.ZstdCompressor(level=3).stream_writer(raw) as out:
            for copy in range(lines // len(real_lines) + 1):
                prefix = f'"id":"b{n}x{copy}'.encode()
                chunk = [line.replace(b'"id":"', prefix, 1) for line in real_lines]
                out.write(b"".join(chunk[: max(0, lines - copy * len(real_lines))]))
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--lines", type=int, default=500_000, help="lines per shard")
    args = parser.parse_args()
    scorer = VaderScorer()
    print(f"machine: {os.cpu_count()} cores; {args.shards} shards x {args.lines:,} lines")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        started = time.perf_counter()
        shards = build_shards(root, args.shards, args.lines)
        size = sum(p.stat().st_size for p in shards) / 1e6
        print(f"built the shards in {time.perf_counter() - started:.0f} s ({size:,.0f} MB .zst)")
        started = time.perf_counter()
        single = [
            backfill_file(str(p), str(root / "single"), OPTIONS, scorer, None) for p in shards
        ]
        seconds = time.perf_counter() - started
        lines = sum(f.read for f in single)
        base = lines / seconds
        print(f"one process, no Dask:   {seconds:6.1f} s  {base:9,.0f} lines/s")
        walls = {}
        for workers in (1, 2):
            result = backfill(
                [str(p) for p in shards], root / f"dask{workers}", scorer, OPTIONS, workers=workers
            )
            assert not result.failed and sum(f.read for f in result.files) == lines
            task_rate = sum(f.read for f in result.files) / sum(f.seconds for f in result.files)
            walls[workers] = result.seconds
            print(
                f"Dask, {workers} worker{'s' if workers > 1 else ' '}:"
                f"       {result.seconds:6.1f} s  "
                f"{lines / result.seconds:9,.0f} lines/s; per worker {task_rate:,.0f} lines/s "
                f"({task_rate / base:.0%} of one process)"
            )
        print(f"2 workers vs 1: {walls[1] / walls[2]:.2f}x (target 1.7x)")
        matched = sum(f.matched for f in single)
        print(f"matched {matched:,} of {lines:,} lines")


if __name__ == "__main__":
    main()
