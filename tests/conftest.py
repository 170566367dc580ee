"""Shared fixtures: real SQLite files in temp dirs, the real CLI, and ../shared/ material."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from monitor.cli import cli
from monitor.config import Config, load_config
from monitor.delivery import CHANNELS
from monitor.scoring.vader import VaderScorer
from monitor.sources import SOURCES
from monitor.store import Store

# Stock VADER as the default config sets it up (English, threshold 0.05, no lexicon changes).
VADER = VaderScorer()

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


# Every variable a source or channel reads a secret from, as each plug-in declares them. Tests
# never run with a developer's real tokens: a source left at its public default URL would then
# reach the network.
CREDENTIALS = tuple(
    name for cls in [*SOURCES.values(), *CHANNELS.values()] for name in cls.secret_envs()
)


@pytest.fixture(autouse=True)
def no_real_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CREDENTIALS:
        monkeypatch.delenv(name, raising=False)


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


def recorded(platform: str, name: str) -> tuple[Any, list[tuple[str, str]]]:
    """A recorded body from ../shared/payloads and its recorded response headers (if any),
    less the transfer headers that no longer apply (the body files are decompressed)."""
    body = json.loads(shared_path("payloads", platform, name).read_text(encoding="utf-8"))
    headers_file = SHARED / "payloads" / platform / "headers" / name
    headers: list[tuple[str, str]] = []
    if headers_file.exists():
        for key, value in json.loads(headers_file.read_text())["headers"].items():
            if key.lower() in (
                "content-encoding",
                "content-length",
                "transfer-encoding",
                "connection",
            ):
                continue
            for one in value if isinstance(value, list) else [value]:
                headers.append((key, one))
    return body, headers


def config_file(tmp_path: Path, text: str) -> Config:
    """A real monitor.toml in tmp_path, loaded the way the CLI loads it."""
    path = tmp_path / "monitor.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


ALL_OFF = "\n".join(f"[sources.{name}]\nenabled = false" for name in ("bluesky", "reddit", "x"))


def mastodon_config(
    tmp_path: Path, *instances: str, tag: str = "ichbinhanna", extra: str = ""
) -> Config:
    """A config collecting one tag from Mastodon instances only, reaching back far enough for
    the 2022 recordings."""
    listed = ", ".join(f'"{url.rstrip("/")}"' for url in instances)
    return config_file(
        tmp_path,
        f"""
tags = ["{tag}"]
[collect]
backfill_days = 10000
{extra}
[sources.mastodon]
instances = [{listed}]
""",
    )


def markdown_blocks_are_valid(text: str) -> None:
    """Every table is its own block (a blank line before it, a separator row after its header,
    each row on one line with the header's number of cells); every heading starts a block."""
    lines = text.splitlines()
    for number, line in enumerate(lines):
        starts_block = number == 0 or not lines[number - 1].strip()
        if line.startswith("#"):
            assert starts_block, f"heading inside a block at line {number + 1}: {line!r}"
        if line.startswith("|") and not starts_block:
            assert lines[number - 1].startswith("|"), f"table joins a paragraph: line {number + 1}"
        if line.startswith("|") and starts_block:
            header_cells = line.count(" | ") + 1
            assert set(lines[number + 1].replace(":", "").strip("|").split("|")) == {"---"}
            row = number + 2
            while row < len(lines) and lines[row].startswith("|"):
                cells = lines[row].replace("\\|", "").count(" | ") + 1
                assert cells == header_cells, f"line {row + 1}: {lines[row]!r}"
                row += 1
            assert row == len(lines) or not lines[row].strip(), f"line {row + 1} joins a table"
