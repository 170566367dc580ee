"""Stopping cleanly on a signal, for the scheduler and the one-shot commands cron runs: the
first SIGTERM or SIGINT lets the step in hand finish (a collect stops after the page it is
storing, committed whole) and starts no other; a second exits at once (SQLite rolls back what
was not committed)."""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

SIGNALS = (signal.SIGTERM, signal.SIGINT)


@dataclass
class Stop:
    """Set by the first signal; ``signum`` says which (0: none came)."""

    event: threading.Event = field(default_factory=threading.Event)
    signum: int = 0

    @property
    def exit_status(self) -> int:
        """The shell's status for a process ended by that signal (143 for SIGTERM)."""
        return 128 + self.signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


@contextmanager
def stop_on_signals(on_stop: Callable[[], object] = lambda: None) -> Iterator[Stop]:
    """While inside, SIGTERM and SIGINT set the Stop (and call ``on_stop``) instead of ending
    the process; a second signal ends it at once. The earlier handlers come back after."""
    stop = Stop()

    def on_signal(signum: int, frame: object) -> None:
        if stop.event.is_set():
            log.warning("second signal: exiting now")
            os._exit(128 + signum)
        stop.signum = signum
        log.warning("%s: stopping after the work in hand (send again to exit at once)", stop.name)
        stop.event.set()
        on_stop()

    earlier = {number: signal.signal(number, on_signal) for number in SIGNALS}
    try:
        yield stop
    finally:
        for number, handler in earlier.items():
            signal.signal(number, handler)
