"""Publishing a report: written whole into a staging folder, which then takes the day folder's
place by rename, so a reader (or a kill -9) never meets half a report; pages replaced the same
way. Apart from the report's numbers and rendering, which never touch the final paths."""

from __future__ import annotations

import ctypes
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from monitor.files import staged_file
from monitor.store import process_alive


@contextmanager
def staged_folder(reports: Path, name: str) -> Iterator[Path]:
    """A fresh staging folder in ``reports`` to write into; published as ``reports/name`` when
    the block ends normally, removed when it raises (nothing half-written is ever seen)."""
    reports.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(reports)
    staging = reports / f".{name}.{os.getpid()}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        yield staging
        _publish(staging, reports / name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def replace_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` in one step: readers see the old page or the new one, never
    an empty one."""
    with staged_file(path) as staged:
        staged.write_text(text)


_LEFTOVER = re.compile(r"\.(?:\d{4}-\d{2}-\d{2}|index\.html)\.(\d+)\.(?:tmp|old)")


def _remove_leftovers(reports: Path) -> None:
    """Staging folders of report runs that died (their process is gone)."""
    for path in reports.iterdir():
        match = _LEFTOVER.fullmatch(path.name)
        if match and not process_alive(int(match[1])):
            _remove(path)


def _remove(path: Path) -> None:
    if path.is_symlink() or not path.is_dir():
        path.unlink()
    else:
        shutil.rmtree(path)


def _publish(staging: Path, final: Path) -> None:
    """Put the staged folder where the day's folder is: a rename, never a write through a
    symlink planted there (a symlink is replaced, not followed). Replacing an earlier report
    is one atomic exchange where the system offers it (Linux renameat2), else two renames."""
    if not (final.is_symlink() or final.exists()):
        os.rename(staging, final)
        return
    if final.is_dir() and not final.is_symlink() and _exchange(staging, final):
        _remove(staging)  # now holding the earlier report
        return
    old = final.with_name(f".{final.name}.{os.getpid()}.old")
    os.rename(final, old)
    os.rename(staging, final)
    _remove(old)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    return (
        renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange) == 0
    )
