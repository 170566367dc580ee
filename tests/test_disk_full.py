"""A full disk: the run fails with one clear line, the database stays intact, and what was
stored before stays stored. On a real 1 MB tmpfs where mounting is allowed (root), else
against SQLite's own size limit (max_page_count), which raises the same SQLITE_FULL."""

import json
import os
import sqlite3
import subprocess
import sys
from datetime import date

import pytest

from monitor.demo import generate, write_jsonl
from monitor.pipeline import import_files
from monitor.store import Store, StoreFull
from tests.conftest import REPO, VADER


@pytest.fixture
def tiny_disk(tmp_path):
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode:
        pytest.skip(
            f"cannot mount a tmpfs here ({done.stderr.decode().strip()}); the "
            "max_page_count test covers SQLITE_FULL"
        )
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def check_intact(db) -> int:
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return conn.execute("SELECT count(*) FROM posts").fetchone()[0]


def test_import_onto_a_full_tmpfs_fails_cleanly(tmp_path, tiny_disk):
    source = write_jsonl(generate(date(2025, 11, 23), days=30), tmp_path / "posts.jsonl")
    db = tiny_disk / "m.db"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "--db", str(db), "import", str(source)]
        + ["--batch-size", "1000"],  # batches small enough for some to fit
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "the disk is full" in done.stderr and "Traceback" not in done.stderr
    stored = check_intact(db)
    assert 0 < stored < sum(1 for _ in source.open()) and stored % 1000 == 0


def test_sqlite_full_from_the_size_limit_rolls_back_the_batch(tmp_path):
    records = [
        {
            "platform": "x",
            "id": str(i),
            "created_at": "2025-11-20T10:00:00Z",
            "text": f"post number {i} with some words to fill pages " * 4,
            "tags": ["t"],
        }
        for i in range(3000)
    ]
    source = tmp_path / "many.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in records))
    with Store(tmp_path / "limited.db") as store:
        pages = store.db.execute("PRAGMA page_count").fetchone()[0]
        store.db.execute(f"PRAGMA max_page_count = {pages + 60}")
        with pytest.raises(StoreFull, match="the disk is full"):
            import_files(store, [source], VADER, batch_size=1000)
        assert store.db.execute("SELECT count(*) FROM posts").fetchone()[0] % 1000 == 0
    assert check_intact(tmp_path / "limited.db") % 1000 == 0


def test_a_report_onto_a_full_disk_names_the_disk_not_the_config(tmp_path, tiny_disk):
    source = write_jsonl(generate(date(2025, 11, 23), days=10), tmp_path / "posts.jsonl")
    (tiny_disk / "r").mkdir()
    (tiny_disk / "filler").write_bytes(bytes(1024 * 1024 - 16 * 1024))  # leaves a few KB
    config = tmp_path / "monitor.toml"
    config.write_text(
        f'tags = ["witkoffukraine"]\ndatabase = "m.db"\nreports_dir = "{tiny_disk / "r"}"\n'
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    monitor = [sys.executable, "-m", "monitor", "--config", str(config)]
    subprocess.run([*monitor, "import", str(source)], env=env, check=True, capture_output=True)
    done = subprocess.run(
        [*monitor, "report", "--date", "2025-12-01"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"error: cannot write reports to {tiny_disk / 'r'} (No space")
    assert "config error" not in done.stderr and "free space" in done.stderr


def test_an_export_sample_or_chart_onto_a_full_disk_leaves_no_half_file(tmp_path, tiny_disk):
    """One line, the export there before untouched, and no half-written file left to fill
    the disk further; a label sample and a chart the same (models and configs are written by
    the same code)."""
    source = write_jsonl(generate(date(2025, 11, 23), days=10), tmp_path / "posts.jsonl")
    (tiny_disk / "filler").write_bytes(bytes(600 * 1024))
    (tiny_disk / "out.csv").write_text("yesterday's export")
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def monitor(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "monitor", "--db", str(tmp_path / "m.db"), *args]
        return subprocess.run(command, env=env, capture_output=True, text=True)

    assert monitor("import", str(source)).returncode == 0
    done = monitor("export", "--out", str(tiny_disk / "out.csv"))
    assert done.returncode == 1 and done.stderr == (
        f"error: cannot write {tiny_disk / 'out.csv'} (No space left on device); nothing was "
        "written, the file there before stands: free space and run again\n"
    )
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["filler", "out.csv"]
    assert (tiny_disk / "out.csv").read_text() == "yesterday's export"
    (tiny_disk / "more").write_bytes(bytes(400 * 1024 - 16 * 1024))  # a few KB left
    sample = tiny_disk / "sample.xlsx"
    done = monitor("sample", "--out", str(sample), "--n", "2000")
    assert done.returncode == 1 and done.stderr == (
        f"error: cannot write {sample} (No space left on device); nothing was written: "
        "free space and run again\n"
    )
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["filler", "more", "out.csv"]
    chart = tiny_disk / "chart.png"
    days = ("--since", "2025-11-14", "--until", "2025-11-23")
    done = monitor("plot", "--tag", "WitkoffUkraine", *days, "--out", str(chart))
    assert done.returncode == 1 and done.stderr.startswith(f"error: cannot write {chart} (No")
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["filler", "more", "out.csv"]
