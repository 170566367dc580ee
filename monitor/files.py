"""Files written whole: into a staged path beside the final one, which takes its place only
when everything was written, so a reader (or a kill -9) never meets half a file and a full
disk is not left fuller by a half-written one."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from monitor.errors import MonitorError


@contextmanager
def staged_file(path: Path) -> Iterator[Path]:
    """A path beside ``path`` to write into: it takes ``path``'s place when the block ends
    normally and is removed when it raises, so no reader meets half a file and a full disk
    is not left fuller."""
    staged = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield staged
        os.replace(staged, path)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise


@contextmanager
def written_whole(path: Path) -> Iterator[Path]:
    """``staged_file`` for a file a command writes where the user asked (an export, a model,
    a label sheet): a failure to write it is one line naming the file and what stands."""
    try:
        with staged_file(path) as staged:
            yield staged
    except OSError as exc:
        full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
        raise MonitorError(
            f"cannot write {path} ({exc.strerror or exc}); nothing was written"
            + (", the file there before stands" if path.exists() else "")
            + (": free space and run again" if full else "")
        ) from None
