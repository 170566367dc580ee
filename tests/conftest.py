"""Shared fixtures: real SQLite files in temp dirs, the real CLI, and ../shared/ material."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.cli import cli
from monitor.store import Store

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A file under ../shared/: skipped with a reason where absent, a failure under CI."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        message = f"{path} is absent: the real data in ../shared/ is needed for this test"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "test.db") as opened:
        yield opened


@pytest.fixture
def write_jsonl(tmp_path: Path) -> Callable[..., Path]:
    def write(records: list, name: str = "posts.jsonl") -> Path:
        path = tmp_path / name
        lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    return write


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run the monitor CLI in-process, in tmp_path as the working directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MONITOR_CONFIG", raising=False)

    def invoke(*args: str, ok: bool = True) -> Result:
        result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output + result.stderr
        return result

    return invoke


def post(id: str, created_at: str, text: str, platform: str = "mastodon", **extra) -> dict:
    """A canonical post record for tests."""
    return {"platform": platform, "id": id, "created_at": created_at, "text": text, **extra}
