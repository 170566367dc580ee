"""Backfill: the import's per-record path as Dask tasks on a LocalCluster of 2 processes, on
the real Reddit samples and on synthetic .zst shards built from them: the same posts, texts,
languages, labels and scores as `monitor import`; the same bytes on a re-run; nothing added by
a second import; a worker killed mid-task; a shard that cannot be read."""

from __future__ import annotations

import hashlib
import os
import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import zstandard
from dask.distributed import Client, LocalCluster

from monitor.backfill import backfill
from monitor.formats.base import ImportOptions
from monitor.pipeline import import_files
from monitor.store import Store
from tests.conftest import VADER, shared_path

COLUMNS = "platform, id, text, language, label, compound, pos, neu, neg"
# Every post gets a second tag, so a backfill that kept one tag per post would show.
OPTIONS = ImportOptions(tags=("reddit",), add_tags=("archive",))


def stored_rows(db: Path) -> list[tuple]:
    with Store(db) as store:
        return store.db.execute(f"SELECT {COLUMNS} FROM posts ORDER BY platform, id").fetchall()


def parquet_rows(out: Path) -> list[tuple]:
    names = [c.strip() for c in COLUMNS.split(",")]
    rows = []
    for file in sorted(out.rglob("*.parquet")):
        for record in pq.read_table(file).to_pylist():
            rows.append(tuple(record[n] for n in names))
    return sorted(set(rows), key=lambda r: (r[0], r[1]))  # a post in two files: once


def file_hashes(out: Path) -> dict[str, str]:
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


def make_shards(folder: Path, count: int, copies: int = 1) -> list[Path]:
    """``count`` .zst shards of the real December 2005 comments, each a distinct slice (ids
    made unique per copy), compressed as the dumps are."""
    source = shared_path("formats", "reddit", "RC_2005-12.zst")
    with source.open("rb") as raw:
        lines = zstandard.ZstdDecompressor(max_window_size=2**31).stream_reader(raw).read()
    lines = lines.splitlines(keepends=True)
    shards = []
    for n in range(count):
        body = b"".join(
            line.replace(b'"id":"', f'"id":"s{n}c{c}'.encode(), 1)
            for c in range(copies)
            for line in lines[n::count]
        )
        path = folder / f"RC_shard{n}.zst"
        path.write_bytes(zstandard.ZstdCompressor().compress(body))
        shards.append(path)
    return shards


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as c:
        yield c


def test_backfill_equals_import_on_real_samples_and_shards(tmp_path, cluster):
    files = [
        shared_path("formats", "reddit", "RC_2005-12.zst"),
        shared_path("formats", "reddit", "pushshift_mixed_eras_RC_27comments.json"),
        shared_path("formats", "reddit", "pushshift_mixed_eras_RS_31submissions.json"),
        *make_shards(tmp_path, 3),
    ]
    out = tmp_path / "out"
    result = backfill(
        [str(f) for f in files], out, VADER, OPTIONS, scheduler=cluster.scheduler_address
    )
    assert result.failed == [] and result.workers == 2
    with Store(tmp_path / "direct.db") as store:
        direct = import_files(store, files, VADER, OPTIONS)
    # each file is deduplicated by itself; a post in two files is one when imported
    assert sum(f.stored for f in result.files) == direct.new + direct.duplicate > 1900
    assert sum(f.read for f in result.files) == direct.read
    assert parquet_rows(out) == stored_rows(tmp_path / "direct.db")

    # the output loads into a database as the direct import did, scoring nothing again
    with Store(tmp_path / "loaded.db") as store:
        loaded = import_files(store, [out], VADER)
        again = import_files(store, [out], VADER)
    assert (loaded.new, loaded.scored, loaded.rejected) == (direct.new, 0, 0)
    assert (again.new, again.duplicate) == (0, direct.new + direct.duplicate)
    assert stored_rows(tmp_path / "loaded.db") == stored_rows(tmp_path / "direct.db")
    with Store(tmp_path / "loaded.db") as a, Store(tmp_path / "direct.db") as b:
        tags = (
            "SELECT p.platform, p.id, t.tag FROM post_tags t JOIN posts p USING (post_id)"
            " ORDER BY 1, 2, 3"
        )
        assert a.db.execute(tags).fetchall() == b.db.execute(tags).fetchall()
        per_post = "SELECT count(*) FROM post_tags GROUP BY post_id"
        assert {n for (n,) in a.db.execute(per_post)} >= {2}  # posts with several tags

    # a re-run writes the same files, byte for byte
    before = file_hashes(out)
    backfill([str(f) for f in files], out, VADER, OPTIONS, scheduler=cluster.scheduler_address)
    assert file_hashes(out) == before and len(before) > 10


def test_a_rerun_with_narrower_filters_leaves_exactly_its_own_output(tmp_path, cluster):
    (shard,) = make_shards(tmp_path, 1)
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    since = ImportOptions(tags=("reddit",), since=datetime(2005, 12, 25, tzinfo=UTC))
    backfill([str(shard)], out, VADER, OPTIONS, scheduler=cluster.scheduler_address)
    assert "day=2005-12-18" in {p.parent.name for p in out.rglob("*.parquet")}
    backfill([str(shard)], out, VADER, since, scheduler=cluster.scheduler_address)
    backfill([str(shard)], fresh, VADER, since, scheduler=cluster.scheduler_address)
    assert file_hashes(out) == file_hashes(fresh) and min(file_hashes(out)) >= "day=2005-12-25"


def test_a_worker_killed_mid_task_is_retried_and_the_output_is_exact(tmp_path, cluster):
    shards = make_shards(tmp_path, 2, copies=300)  # 160,000 lines each: about a second of work
    reference = tmp_path / "reference"
    backfill(
        [str(s) for s in shards], reference, VADER, OPTIONS, scheduler=cluster.scheduler_address
    )
    out = tmp_path / "out"
    outcome = {}
    run = threading.Thread(
        target=lambda: outcome.update(
            result=backfill(
                [str(s) for s in shards], out, VADER, OPTIONS, scheduler=cluster.scheduler_address
            )
        )
    )
    with Client(cluster.scheduler_address) as client:
        pids = client.run(os.getpid)
        run.start()
        deadline = time.monotonic() + 60
        busy = {}
        while not busy and time.monotonic() < deadline:
            busy = {w: keys for w, keys in client.processing().items() if keys}
            time.sleep(0.05)
        assert busy, "no task started"
        time.sleep(0.3)  # into reading its shard
        victim = next(iter(busy))
        still = client.processing()[victim]  # the task it runs at the moment of the kill
        os.kill(pids[victim], signal.SIGKILL)
        run.join(timeout=180)
    assert still, "the task ended before the kill: make the shards larger"
    assert not run.is_alive()
    assert outcome["result"].failed == []
    assert file_hashes(out) == file_hashes(reference)


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        ("corrupt", "(ZstdError: zstd decompressor error: Data corruption detected)"),
        ("cut", "(EOFError: the .zst file ends inside a frame: it is cut short)"),
    ],
)
def test_an_unreadable_shard_fails_alone_and_names_the_file_and_offset(
    tmp_path, run, damage, reason
):
    good, bad = make_shards(tmp_path, 2)
    data = bytearray(bad.read_bytes())
    if damage == "corrupt":
        data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)  # a damaged stretch mid-file
    else:
        del data[len(data) // 2 :]  # a download cut short
    bad.write_bytes(bytes(data))
    result = run(
        "backfill", good, bad, "--out", "out", "--workers", "2", "--tag", "reddit", ok=False
    )
    assert result.exit_code == 3
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"failed {bad}: {bad}: the file cannot be read near byte ")
    assert line.endswith(reason)
    assert "1 of 2 files" in result.stdout
    written = sorted((tmp_path / "out").rglob("*.parquet"))
    assert written and all(p.name.startswith("RC_shard0-") for p in written)
    assert not list((tmp_path / "out").rglob("*.tmp"))


def test_rejected_records_are_named_with_their_line_and_reason_and_counted(run, tmp_path):
    """As import names them: the first rejections on stderr with file, line and why, the
    summary's count; exit 3 when others were stored, 1 when every record was rejected."""
    sheet = tmp_path / "labelled.csv"
    sheet.write_text(
        "id,text,label\n1,The reform will bankrupt us,negative\n2,Care for all,positive\n",
        encoding="utf-8",
    )
    unusable = run("backfill", sheet, "--out", "out", "--time", "2010-03-20", ok=False)
    assert unusable.exit_code == 1
    assert unusable.stderr.splitlines() == [
        f"rejected {sheet}:2: missing platform (give --platform)",
        f"rejected {sheet}:3: missing platform (give --platform)",
    ]
    assert "2 matched" not in unusable.stdout and ", 2 rejected in " in unusable.stdout
    posts = tmp_path / "posts.jsonl"
    posts.write_text(
        '{"platform": "x", "id": "1", "created_at": "2010-03-20T10:00:00Z", "text": "fine"}\n'
        "{not json\n",
        encoding="utf-8",
    )
    partial = run("backfill", posts, "--out", "out", "--tag", "hcr", ok=False)
    assert partial.exit_code == 3
    (line,) = partial.stderr.splitlines()
    assert line.startswith(f"rejected {posts}:2: ")
    assert "1 matched, 1 stored, 0 skipped, 1 rejected in " in partial.stdout


def test_an_out_folder_under_a_regular_file_is_one_line(run, tmp_path):
    (tmp_path / "file").write_text("a regular file\n")
    source = tmp_path / "posts.jsonl"
    source.write_text("")
    out = tmp_path / "file" / "inside"
    result = run("backfill", source, "--out", out, ok=False)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert result.stderr == f"error: --out {out}: cannot be made a folder (Not a directory)\n"
