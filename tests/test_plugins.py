"""Adding a platform, a source, an import format, a scorer and a delivery channel touches only
new files: the test-only plug-ins in tests/plugin_examples/ are dropped into a copy of the
package, which then passes the plug-in contract and runs them through the real commands."""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

EXAMPLES = REPO / "tests" / "plugin_examples"
NEW_FILES = sorted(p.relative_to(EXAMPLES) for p in EXAMPLES.rglob("*.py"))


def package_with_examples(root: Path) -> Path:
    """A copy of ``monitor/`` with the example plug-ins added as new files."""
    copy = root / "monitor"
    shutil.copytree(REPO / "monitor", copy, ignore=shutil.ignore_patterns("__pycache__"))
    for relative in NEW_FILES:
        target = copy / relative
        assert not target.exists(), f"{relative} would replace a file, not add one"
        shutil.copy(EXAMPLES / relative, target)
    return root


def only_new_files(root: Path) -> set[str]:
    """The copy's files that the package does not have; asserts no other file differs."""
    added = set()
    for path in (root / "monitor").rglob("*.py"):
        relative = path.relative_to(root / "monitor")
        original = REPO / "monitor" / relative
        if original.exists():
            assert filecmp.cmp(path, original, shallow=False), f"{relative} was edited"
        else:
            added.add(str(relative))
    return added


def test_one_new_file_each_adds_a_platform_source_format_scorer_and_channel(tmp_path, httpserver):
    root = package_with_examples(tmp_path / "pkg")
    assert only_new_files(root) == {str(p) for p in NEW_FILES} and len(NEW_FILES) == 5
    work = tmp_path / "work"
    work.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": f"{root}{os.pathsep}{REPO}",
        "EXAMPLE_TOKEN": "example-sekrit",
        "MONITOR_CONFIG": "",
    }

    def python(*args: str, cwd: Path = work) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    def monitor(*args: str, cwd: Path = work) -> subprocess.CompletedProcess:
        return python("-m", "monitor", *args, cwd=cwd)

    # The copy is what runs, and the contract holds for every plug-in, the examples included.
    checked = python(
        "-c",
        "import json, monitor; from tests.contract import check_contract;"
        "from monitor.sources import SOURCES;"
        "print(json.dumps([monitor.__file__, check_contract(),"
        " [e for c in SOURCES.values() for e in c.secret_envs()]]))",
    )
    where, found, secrets = json.loads(checked.stdout)
    assert where == str(root / "monitor" / "__init__.py")
    assert "example" in found["sources"] and "example-lines" in found["import formats"]
    assert "example" in found["scorers"] and "file" in found["delivery channels"]
    assert "EXAMPLE_TOKEN" in secrets

    # monitor init writes each new plug-in's part of the config.
    init = tmp_path / "init"
    init.mkdir()
    monitor("init", cwd=init)
    text = (init / "monitor.toml").read_text()
    assert "[sources.example]" in text and "[deliver.file]" in text
    assert '"example": an example scorer' in text

    # Import with the new format, collect with the new source, score with the new scorer,
    # deliver through the new channel.
    httpserver.expect_request(
        "/posts", query_string="tag=peace", headers={"Authorization": "Bearer example-sekrit"}
    ).respond_with_json(
        {
            "items": [
                {
                    "example_id": "c2",
                    "at": "2025-11-20T11:00:00Z",
                    "text": "the talks went bad today #peace",
                },
                {
                    "example_id": "c1",
                    "at": "2025-11-20T10:00:00Z",
                    "text": "the talks went good today #peace",
                },
            ]
        }
    )
    disabled = "".join(f"[sources.{n}]\nenabled = false\n" for n in ("mastodon", "bluesky"))
    disabled += "".join(f"[sources.{n}]\nenabled = false\n" for n in ("reddit", "x"))
    (work / "monitor.toml").write_text(
        'tags = ["peace"]\ndatabase = "data/m.db"\nreports_dir = "reports"\n'
        '[scoring]\nscorer = "example"\n'
        f"{disabled}"
        f'[sources.example]\nbase_url = "{httpserver.url_for("").rstrip("/")}"\n'
        '[deliver.file]\nenabled = true\npath = "sent.txt"\n'
    )
    (work / "data").mkdir()
    lines = [
        {"example_id": f"i{n}", "at": f"2025-11-20T0{n}:00:00Z", "text": text, "tags": ["peace"]}
        for n, text in enumerate(["this is good news", "this is bad news", "this is some news"])
    ]
    (work / "items.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    monitor("import", "items.jsonl")
    monitor("collect")
    monitor("report", "--date", "2025-11-20")
    monitor("deliver", "--date", "2025-11-20")

    with sqlite3.connect(work / "data" / "m.db") as db:
        rows = db.execute(
            "SELECT id, label FROM posts WHERE scorer_version LIKE 'example-%' ORDER BY id"
        ).fetchall()
    assert rows == [
        ("c1", "positive"),
        ("c2", "negative"),
        ("i0", "positive"),
        ("i1", "negative"),
        ("i2", "neutral"),
    ]
    sent = (work / "sent.txt").read_text()
    assert sent.startswith("Sentiment report 2025-11-20: #peace: 5 posts")
