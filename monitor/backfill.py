"""``monitor backfill``: years of archive through the import's own per-record path, run by Dask
over many files, written as Parquet by day.

One Dask task per input file (the public dumps come a month to a file; a ``.zst`` stream cannot
be cut at a byte offset). A task reads the file with ``formats.read_posts`` (the reader,
filters and platform parsers ``monitor import`` uses), counts skips and rejections as import
does (``pipeline.batches``), merges each batch by key (``pipeline.merge``), scores each
distinct text with the active scorer (the language gate included), and writes its posts under
``OUT/day=YYYY-MM-DD/<file>-<hash>.parquet`` (UTC days), each file written whole under a
temporary name and renamed. Names depend only on the input, so a re-run, or a task Dask runs
again after its worker died, writes the same files with the same rows (and removes the files an
earlier run with other filters wrote for days this one has none).

``monitor import OUT`` then loads the Parquet like any other file, keeping the stored scores
when their scorer version is the active one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.errors import MonitorError
from monitor.formats import read_posts
from monitor.formats.base import Damaged, ImportOptions
from monitor.models import Post, Rejection, Score
from monitor.pipeline import IngestResult, batches, merge
from monitor.scoring.base import Scorer
from monitor.text import format_timestamp, text_key

BATCH = 5000
# The local cluster's workers, tuned for long pure-Python tasks (measured with
# bench/backfill.py). Dask sets glibc's MALLOC_TRIM_THRESHOLD_ (64 KiB) in its workers, and
# setting it turns off glibc's adaptive mmap threshold: every megabyte-sized buffer a dump is
# read in is then mapped and unmapped afresh, and a worker read at 59% of a plain process.
# Left unset, glibc adapts: 83-110%. (The earlier fix, a fixed 64 MiB mmap threshold, made a
# worker read at 11% with the packages installed on 2026-11-27.) Dask's statistical profiler
# and 20 ms ticks cost about 10% more.
WORKER_CONFIG = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
}


class ShardError(MonitorError):
    """An input file that cannot be read: its task fails, naming the file and the offset."""


@dataclass
class FileResult:
    """One input file's counts (what its task sends back)."""

    path: str
    read: int = 0  # input items: lines, or records of a JSON document
    matched: int = 0  # posts that passed the filters
    stored: int = 0  # rows written (matched, less repeats of a post within the file)
    rejected: int = 0
    rejections: list[Rejection] = field(default_factory=list)  # the first few, where and why
    skipped: Counter[str] = field(default_factory=Counter)
    days: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None


def shard_name(path: str) -> str:
    """A file's output name: its own name (less compression suffixes) and a hash of where it
    is, so two files of one name in different folders never overwrite each other."""
    stem = re.sub(r"(\.(zst|gz|jsonl?|ndjson|csv))+$", "", path.rstrip("/").split("/")[-1])
    digest = hashlib.sha1(path.encode()).hexdigest()[:10]
    return f"{re.sub(r'[^A-Za-z0-9._-]', '_', stem)}-{digest}"


def backfill_file(
    path: str, out: str, options: ImportOptions, scorer: Scorer, format_name: str | None
) -> FileResult:
    """One Dask task: read, filter, parse, gate and score one file; write its posts by day."""
    started = time.perf_counter()
    result, counts = FileResult(path), IngestResult()
    writers: dict[str, Any] = {}  # day → (temporary path, final path, ParquetWriter)
    seen: set[tuple[str, str]] = set()
    name = shard_name(path)
    for leftover in Path(out).glob(f"day=*/.{name}.*.tmp"):  # of an attempt killed mid-write
        leftover.unlink(missing_ok=True)
    try:
        for batch in batches(
            _failing_on_damage(read_posts(path, options, format_name)), BATCH, counts
        ):
            result.matched += len(batch)
            posts = [p for key, p in merge(batch).items() if key not in seen]
            seen.update(p.key for p in posts)
            scores = _scores(posts, scorer)
            for day, rows in _by_day(posts, scores, scorer.version).items():
                _write(writers, Path(out), day, name, rows)
                result.stored += len(rows)
        for temporary, final, writer in writers.values():
            writer.close()
            os.replace(temporary, final)
        for earlier in Path(out).glob(f"day=*/{name}.parquet"):  # days an earlier run wrote
            if earlier.parent.name.removeprefix("day=") not in writers:
                earlier.unlink()
    finally:
        for temporary, _, writer in writers.values():
            writer.close()
            Path(temporary).unlink(missing_ok=True)
    result.read, result.rejected, result.skipped = counts.read, counts.rejected, counts.skipped
    result.rejections = counts.rejections
    result.days = sorted(writers)
    result.seconds = time.perf_counter() - started
    return result


def _failing_on_damage(items: Any) -> Any:
    """The items, until the file cannot be read further: then the task fails, naming where."""
    for item in items:
        if isinstance(item, Damaged):
            raise ShardError(f"{item.where}: {item.reason}")
        yield item


def _scores(posts: Sequence[Post], scorer: Scorer) -> list[Score]:
    """Each post's score, each distinct text scored once (as import does)."""
    keys = [text_key(p.text) for p in posts]
    distinct = dict(zip(keys, (p.text for p in posts), strict=True))
    scored = dict(zip(distinct, scorer.score(list(distinct.values())), strict=True))
    return [scored[k] for k in keys]


def _by_day(
    posts: Sequence[Post], scores: Sequence[Score], version: str
) -> dict[str, list[dict[str, Any]]]:
    """Rows shaped as the store exports them, grouped by UTC day."""
    days: dict[str, list[dict[str, Any]]] = {}
    for post, score in zip(posts, scores, strict=True):
        stamp = format_timestamp(post.created_at)
        days.setdefault(stamp[:10], []).append(
            {
                "platform": post.platform,
                "id": post.id,
                "created_at": stamp,
                "author": post.author,
                "url": post.url,
                "text": post.text,
                "tags": ";".join(sorted(set(post.tags))),
                "lang": post.lang,
                "language": score.language,
                "label": score.label,
                "compound": score.compound,
                "pos": score.pos,
                "neu": score.neu,
                "neg": score.neg,
                "scorer_version": version,
                "metrics": (
                    json.dumps(post.metrics, ensure_ascii=False, sort_keys=True)
                    if post.metrics
                    else None
                ),
            }
        )
    return days


def _write(
    writers: dict[str, Any], out: Path, day: str, name: str, rows: list[dict[str, Any]]
) -> None:
    import pyarrow.parquet as pq

    from monitor.export import parquet_schema, parquet_table

    if day not in writers:
        folder = out / f"day={day}"
        folder.mkdir(parents=True, exist_ok=True)
        final = folder / f"{name}.parquet"
        temporary = folder / f".{name}.{os.getpid()}.tmp"
        writers[day] = (temporary, final, pq.ParquetWriter(temporary, parquet_schema()))
    writers[day][2].write_table(parquet_table(rows))


@dataclass
class BackfillResult:
    files: list[FileResult]
    seconds: float
    workers: int

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.error]

    @property
    def matched(self) -> int:
        return sum(f.matched for f in self.files)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)

    @property
    def rejections(self) -> list[Rejection]:
        """The first few rejections of each file, where and why."""
        return [rejection for f in self.files for rejection in f.rejections]

    def summary(self) -> str:
        """Lines read, matched, stored, skipped (by reason) and rejected, and per second (wall
        time, all workers)."""
        read = sum(f.read for f in self.files)
        stored = sum(f.stored for f in self.files)
        skipped = sum((f.skipped for f in self.files), Counter())
        reasons = ", ".join(f"{n:,} {reason}" for reason, n in skipped.most_common())
        rate = read / self.seconds if self.seconds else 0.0
        done = len(self.files) - len(self.failed)
        return (
            f"{done} of {len(self.files)} files: {read:,} lines read, "
            f"{self.matched:,} matched, {stored:,} stored, {skipped.total():,} skipped"
            f"{f' ({reasons})' if reasons else ''}, {self.rejected:,} rejected "
            f"in {self.seconds:.1f} s on {self.workers} worker{'s' * (self.workers != 1)} "
            f"({rate:,.0f} lines/s, {rate / max(self.workers, 1):,.0f} per worker)"
        )


def backfill(
    paths: Sequence[str],
    out: Path,
    scorer: Scorer,
    options: ImportOptions | None = None,
    format_name: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
    tell: Callable[[str], object] = print,
) -> BackfillResult:
    """Run ``backfill_file`` over ``paths`` on a Dask cluster: a local one of ``workers``
    processes, or the one at ``scheduler`` (``tcp://host:8786``). A file that fails is that
    file's error; the others' output stands."""
    import dask
    from dask.distributed import Client, LocalCluster, wait
    from dask.distributed import progress as progress_bar

    if logging.getLogger().level > logging.DEBUG:  # Dask's own chatter only at -vv
        logging.getLogger("distributed").setLevel(logging.ERROR)
    options = options or ImportOptions()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # under a regular file, or nowhere it may write
        raise MonitorError(
            f"--out {out}: cannot be made a folder ({exc.strerror or exc})"
        ) from None
    cluster = None
    if scheduler:
        client = Client(scheduler)
        tell(f"dashboard: {client.dashboard_link}")
    else:
        with dask.config.set(WORKER_CONFIG):
            cluster = LocalCluster(
                n_workers=workers or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",  # any free port: never a clash with another cluster
                silence_logs=logging.CRITICAL,  # a failed file is reported once, by this function
            )
        client = Client(cluster)
    started = time.perf_counter()  # from a running cluster: the work, not the start-up
    try:
        count = len(client.scheduler_info()["workers"])
        futures = [
            client.submit(
                backfill_file,
                path,
                str(out.resolve()) if not scheduler else str(out),
                options,
                scorer,
                format_name,
                key=f"backfill-{shard_name(path)}",
                pure=False,
            )
            for path in paths
        ]
        if progress:
            progress_bar(futures)
        wait(futures)
        files = []
        for path, future in zip(paths, futures, strict=True):
            if future.status == "finished":
                files.append(future.result())
            else:
                files.append(FileResult(path, error=_one_line(future.exception())))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return BackfillResult(files, time.perf_counter() - started, count)


def _one_line(exc: BaseException | None) -> str:
    text = str(exc) if isinstance(exc, MonitorError) else f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())[:500]
