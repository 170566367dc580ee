"""One collect at a time per database, by an OS file lock beside it.

``flock`` locks belong to the open file: the kernel drops them when the holder exits, however it
exits (SIGKILL and crashes included), so the lock can never go stale. The holder's pid is written
into the file for the message a waiting run prints."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from monitor.errors import MonitorError

POLL_SECONDS = 0.2


class LockBusy(MonitorError):
    """Another process holds the lock and did not let go within the wait."""


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".collect.lock")


@contextmanager
def collect_lock(database: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold the collect lock of ``database``; wait up to ``wait`` seconds for it, then raise
    LockBusy naming the holder."""
    path = lock_path(database)
    handle = path.open("a+")
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "unknown"
                    raise LockBusy(
                        f"another collect is running on {database} (pid {holder}); "
                        f"waited {wait:.0f} s, skipping this one"
                    ) from None
                time.sleep(POLL_SECONDS)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()  # closing the file releases the lock
