"""A file's bytes as they stream: local, standard input (``-``) or an fsspec URL; ``.gz`` and
``.zst`` decompressed as they are read (the decompressor fed a little at a time); lines read
with a bound, so one enormous line is a rejection and never held; binary files refused."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import zstandard

from monitor.errors import MonitorError
from monitor.text import UTF16_MARKS, utf16_export

ZSTD_WINDOW = 2**31  # Reddit's dumps are compressed with a 2 GiB window


# A line longer than this is one rejection, read through without being held: a twarc2 page of
# 500 tweets with their expansions is about 2 MB, one Reddit comment a few KB.
MAX_LINE_BYTES = 16 * 2**20


LINE_TOO_LONG = f"a line over {MAX_LINE_BYTES // 2**20} MiB (not a record of any known format)"


# Compressed bytes fed to the .zst decompressor at a time: its output for them is held whole,
# and zstd expands at most about 32,000 times (run-length blocks), so at most 8 MB. (1 KiB,
# 32 MB at a time, peaked at 800 MB on a 512 MiB one-line bomb in some processes: pieces that
# size defeat the allocator's reuse. 256 bytes reads a real dump as fast: 139 MB in 0.17 s.)
ZSTD_FEED = 256


def is_url(path: Path | str) -> bool:
    """An fsspec URL (``s3://``, ``gcs://``, ``https://``...), not a local path."""
    return "://" in str(path)


@contextmanager
def open_raw(path: Path | str) -> Iterator[BinaryIO]:
    if is_url(path):
        import fsspec  # Dask's own dependency: a backfill reads where its workers can

        try:
            opened = fsspec.open(str(path), "rb")
            handle = opened.open()
        except (OSError, ValueError, ImportError) as exc:
            raise MonitorError(f"{path}: cannot be opened ({type(exc).__name__}: {exc})") from None
        with handle, io.BufferedReader(handle, 1 << 20) as buffered:  # reads lines bounded
            yield buffered
        return
    path = Path(path)
    if not path.is_file():
        raise MonitorError(f"{path}: no such file")
    with path.open("rb") as handle:
        yield handle


class _ZstdFrames(io.RawIOBase):
    """A ``.zst`` file's content, frame after frame, that says when the file ends inside a
    frame (a download cut short): zstandard's own stream reader then just stops, and the
    missing rest of a month would pass unnoticed."""

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__()
        self.raw = raw
        self.frame = self._new_frame()
        self.inside = False  # a frame has begun and not ended
        self.pending, self.offset = memoryview(b""), 0  # decompressed, not yet read
        self.compressed, self.fed = memoryview(b""), 0  # read from the file, not yet fed

    @staticmethod
    def _new_frame() -> Any:
        return zstandard.ZstdDecompressor(max_window_size=ZSTD_WINDOW).decompressobj()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self.offset == len(self.pending):
            if self.fed == len(self.compressed):
                self.compressed, self.fed = memoryview(self.raw.read(1 << 18)), 0
                if not self.compressed:
                    if self.inside:
                        raise EOFError("the .zst file ends inside a frame: it is cut short")
                    return 0
            piece = self.compressed[self.fed : self.fed + ZSTD_FEED]
            self.fed += len(piece)
            self.pending, self.offset = memoryview(self._feed(bytes(piece))), 0
        size = min(len(buffer), len(self.pending) - self.offset)
        buffer[:size] = self.pending[self.offset : self.offset + size]
        self.offset += size
        return size

    def _feed(self, chunk: bytes) -> bytes:
        out = []
        while chunk:
            out.append(self.frame.decompress(chunk))
            self.inside, chunk = not self.frame.eof, b""
            if self.frame.eof:  # the next frame, if the file has more
                chunk, self.frame = self.frame.unused_data, self._new_frame()
        return b"".join(out)


@contextmanager
def decompressed(raw: BinaryIO, path: Path | str) -> Iterator[BinaryIO]:
    suffix = Path(str(path)).suffix.lower()
    if suffix == ".gz":
        with gzip.GzipFile(fileobj=raw, mode="rb") as handle:
            yield handle
    elif suffix == ".zst":
        with io.BufferedReader(_ZstdFrames(raw), buffer_size=1 << 20) as handle:
            yield handle
    else:
        yield raw


def position(raw: BinaryIO) -> int:
    """How far into the file its reader got (within the decompressor's read size: a hundred
    kilobytes or so), to say where it broke."""
    try:
        return raw.tell()
    except (OSError, ValueError, AttributeError):
        return 0


def bounded_lines(stream: BinaryIO) -> Iterator[tuple[int, bytes | None]]:
    """The stream's lines, numbered from 1; a line over MAX_LINE_BYTES comes as None, read
    through to its end a megabyte at a time and never held whole."""
    number = 0
    while line := stream.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(line) <= MAX_LINE_BYTES or line.endswith(b"\n"):
            yield number, line
            continue
        while (rest := stream.readline(1 << 20)) and not rest.endswith(b"\n"):
            pass
        yield number, None


def refuse_binary(path: Path, line: bytes) -> None:
    """A file that is no text (an image, a CAR archive) cannot be a CSV: one clear error
    instead of a CSV reader's complaint about its bytes."""
    head = line[:4096]
    if head.startswith(UTF16_MARKS):
        raise MonitorError(utf16_export(path, "import that"))
    try:
        head.decode()
        text = True
    except UnicodeDecodeError:  # a header in Latin-1 still names its columns
        text = any(delimiter in head for delimiter in b",;\t")
    if not text or any(byte < 0x20 and byte not in b"\t\n\r\f\v" or byte == 0x7F for byte in head):
        raise MonitorError(
            f"{path}: not a file the monitor can import (binary content, not JSON, JSON Lines "
            "or CSV text; see --formats)"
        )
