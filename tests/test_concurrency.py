"""Reading while writing: reports, plots, status and search run while a large import writes;
none fails with 'database is locked', and the database stays consistent."""

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import date

from monitor.demo import generate, write_jsonl
from tests.conftest import REPO


def monitor(*args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", *map(str, args)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def test_reports_plots_and_searches_while_an_import_writes(tmp_path):
    source = write_jsonl(generate(date(2025, 11, 23), days=60), tmp_path / "posts.jsonl")
    db = tmp_path / "m.db"
    first = monitor("--db", db, "import", source, cwd=tmp_path)
    assert first.wait(timeout=300) == 0  # a database with data to read
    second = write_jsonl(generate(date(2025, 9, 23), days=60, seed=9), tmp_path / "more.jsonl")
    writer = monitor("--db", db, "import", second, cwd=tmp_path)
    readers, rounds = [], 0
    while writer.poll() is None and rounds < 6:
        rounds += 1
        readers += [
            monitor("--db", db, "report", "--date", "2025-11-20", "--days", "30", cwd=tmp_path),
            monitor(
                *("--db", db, "plot", "--kind", "volume", "--out", f"p{rounds}.png"),
                *("--since", "2025-09-01", "--until", "2025-11-23"),  # where the posts are
                cwd=tmp_path,
            ),
            monitor("--db", db, "search", "talks", "--limit", "5", cwd=tmp_path),
            monitor("--db", db, "status", "--json", cwd=tmp_path),
        ]
        time.sleep(0.5)
    assert rounds >= 2, "the import finished before any reader ran"
    assert writer.wait(timeout=300) == 0, writer.stderr.read()
    for reader in readers:
        out, err = reader.communicate(timeout=120)
        assert reader.returncode == 0, err
        assert "locked" not in err
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = set(conn.execute("SELECT platform, id FROM posts").fetchall())
    expected = {
        (r["platform"], r["id"]) for f in (source, second) for r in map(json.loads, f.open())
    }
    assert stored == expected  # each post once (the two files share some), none lost


def report_running(db, pid: int) -> bool:
    with sqlite3.connect(db) as conn:
        query = "SELECT 1 FROM runs WHERE job = 'report' AND status = 'running' AND pid = ?"
        return conn.execute(query, (pid,)).fetchone() is not None


def test_report_files_are_never_seen_half_written_and_a_killed_report_leaves_no_trace(tmp_path):
    """A reader polling the report pages while reports are rewritten and killed never finds
    them missing, empty or cut short; a report killed with SIGKILL leaves the earlier report
    whole, its run is marked interrupted by the next command, and its staging folder goes."""
    source = write_jsonl(generate(date(2025, 11, 23), days=30), tmp_path / "posts.jsonl")
    db = tmp_path / "m.db"
    assert monitor("--db", db, "import", source, cwd=tmp_path).wait(timeout=300) == 0
    report = ("--db", db, "report", "--date", "2025-11-20")
    assert monitor(*report, cwd=tmp_path).wait(timeout=300) == 0
    pages = [
        tmp_path / "reports" / "index.html",
        tmp_path / "reports" / "2025-11-20" / "index.html",
    ]
    seen, bad, done = [0], [], threading.Event()

    def read_pages() -> None:
        while not done.is_set():
            for page in pages:
                try:
                    text = page.read_text()
                except OSError as exc:
                    bad.append(f"{page}: {exc}")
                    continue
                seen[0] += 1
                if not text.rstrip().endswith("</html>"):
                    bad.append(f"{page}: {len(text)} characters, cut short")

    reader = threading.Thread(target=read_pages)
    reader.start()
    try:
        for delay in (0.0, 0.7, 1.4, None):  # three killed mid-way, one to the end
            writer = monitor(*report, cwd=tmp_path)
            if delay is None:
                assert writer.wait(timeout=300) == 0
                break
            while writer.poll() is None and not report_running(db, writer.pid):  # its run began
                time.sleep(0.05)
            time.sleep(delay)
            writer.kill()
            writer.wait(timeout=60)
    finally:
        done.set()
        reader.join()
    assert bad == [] and seen[0] > 100
    with sqlite3.connect(db) as conn:
        states = [s for (s,) in conn.execute("SELECT status FROM runs WHERE job = 'report'")]
    assert "running" not in states and states.count("interrupted") >= 1, states
    leftovers = [p.name for p in (tmp_path / "reports").iterdir() if p.name.startswith(".")]
    assert leftovers == []
    day = tmp_path / "reports" / "2025-11-20"
    manifest = json.loads((day / "manifest.json").read_text())
    assert sorted(p.name for p in day.iterdir()) == manifest["files"]


def test_an_import_behind_a_writer_that_never_lets_go_ends_in_one_line(tmp_path):
    """Another process holds the write lock for longer than the busy timeout: the import
    waits that long, then says so in one line and exits 1, and the database is as it was."""
    source = write_jsonl(generate(date(2025, 11, 23), days=1), tmp_path / "posts.jsonl")
    db = tmp_path / "x.db"
    first = monitor("--db", db, "import", source)
    assert first.wait() == 0, first.stderr.read()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        blocked = monitor("--db", db, "import", source)
        out, err = blocked.communicate()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert blocked.returncode == 1 and "Traceback" not in err
    assert err == (
        f"error: {db}: another process has been writing to the database for over 30 s (a "
        "long import, backfill load or rescore?); this command's write was not made, "
        "everything stored before it is intact: run it again when the other is done\n"
    )
    with sqlite3.connect(db) as check:
        assert check.execute("SELECT job, status FROM runs").fetchall() == [("import", "ok")]
