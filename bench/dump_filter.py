"""How fast a Reddit dump streams through `monitor import --match` on one core.

Writes a synthetic month of comments shaped like Arctic Shift's RC_ lines (about 1.9 KB each,
real field names; 1 in 2,000 mentions the tracked word) as a `.zst` with the 2 GiB window, then
times the importer's reading and filtering alone (decompress, pre-filter the raw line, parse
and map what matches), which is what a backfill pays for every line it does not keep.

    .venv/bin/python bench/dump_filter.py [--gigabytes 2] [--keep FILE]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

import zstandard

from monitor.formats import read_posts
from monitor.formats.base import ImportOptions, Skip
from monitor.models import Post

WORDS = ["the", "of", "and", "to", "a", "in", "is", "it", "you", "that", "was", "for", "on", "but"]


def comment(number: int, rng: random.Random) -> dict:
    body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(10, 60)))
    if number % 2000 == 0:
        body += " witkoff"
    return {
        "all_awardings": [],
        "author": f"user{rng.randint(1, 10**6)}",
        "author_flair_text": None,
        "author_fullname": f"t2_{rng.randint(1, 10**9):x}",
        "body": body,
        "controversiality": 0,
        "created_utc": 1733011200 + number // 10,
        "distinguished": None,
        "gilded": 0,
        "id": f"m{number:x}",
        "link_id": f"t3_1h{number // 50:x}",
        "name": f"t1_m{number:x}",
        "parent_id": f"t3_1h{number // 50:x}",
        "permalink": f"/r/worldnews/comments/1h{number // 50:x}/title/m{number:x}/",
        "retrieved_on": 1733100000,
        "score": rng.randint(-5, 500),
        "subreddit": rng.choice(["worldnews", "politics", "europe", "ukraine", "news"]),
        "subreddit_id": "t5_2qh13",
        "padding": "x" * 1200,  # the dozens of flair, award and moderation fields real lines carry
    }


def write_dump(path: Path, gigabytes: float) -> int:
    rng, lines, written = random.Random(7), 0, 0
    target = gigabytes * 1e9
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=31)
    compressor = zstandard.ZstdCompressor(compression_params=params)
    with path.open("wb") as raw, compressor.stream_writer(raw) as out:
        while written < target:
            chunk = "".join(
                json.dumps(comment(lines + i, rng)) + "\n" for i in range(10_000)
            ).encode()
            out.write(chunk)
            written += len(chunk)
            lines += 10_000
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gigabytes", type=float, default=2.0)
    parser.add_argument("--keep", type=Path, help="write (or reuse) the dump here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.keep or Path(folder) / "RC_synthetic.zst"
        if not path.exists():
            started = time.perf_counter()
            lines = write_dump(path, args.gigabytes)
            seconds = time.perf_counter() - started
            print(
                f"wrote {lines:,} lines ({args.gigabytes:g} GB uncompressed, "
                f"{path.stat().st_size / 1e6:,.0f} MB .zst) in {seconds:.0f} s"
            )
        options = ImportOptions(tags=("witkoff",), match=("witkoff",))
        started = time.process_time()
        kept = skipped = 0
        for item in read_posts(path, options):
            kept += isinstance(item, Post)
            skipped += item.count if isinstance(item, Skip) else 0
        seconds = time.process_time() - started
        total = kept + skipped
        print(
            f"--match witkoff: {total:,} lines read, {kept:,} kept, {skipped:,} skipped in "
            f"{seconds:.1f} s of CPU: {total / seconds:,.0f} lines/s on one core "
            f"({args.gigabytes * 1e3 / seconds:,.0f} MB/s uncompressed; target 100,000 lines/s)"
        )


if __name__ == "__main__":
    main()
