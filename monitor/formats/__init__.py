"""Import formats, one module each: the files researchers already hold (twarc2, Reddit dumps,
Zeeschuimer, Mastodon archives, Bluesky Jetstream, 4CAT, and the monitor's own records).

A file is opened (``-`` is standard input; ``.gz`` and ``.zst`` are decompressed as they
stream), its layout is read from its first line (JSON Lines, one JSON document, or CSV), and
its format recognised from its first record unless ``--format`` names it. Each format maps its
records to Posts with the platform's own parser (the one its collector uses), so a post
imported from a file and collected later is one row. What a format deliberately leaves out
(retweets, deleted bodies, events that are not posts, filtered records) is a ``Skip``, counted
by reason; what it cannot read is a ``Rejection`` naming file, line and reason.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import json
import re
import sys
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

import orjson
import zstandard

from monitor.errors import EmptyText, InvalidPost, MonitorError
from monitor.models import Post, Rejection
from monitor.plugins import discover
from monitor.text import fold_tag, hashtags, is_valid_tag

# A CSV field longer than any post (texts over 100,000 characters are rejected anyway): past
# this the csv module stops with an error, which becomes that record's rejection.
csv.field_size_limit(1_000_000)
ZSTD_WINDOW = 2**31  # Reddit's dumps are compressed with a 2 GiB window
# One JSON document (not JSON Lines, a Mastodon outbox) is read whole, up to this.
MAX_DOCUMENT_BYTES = 256 * 2**20
# A line longer than this is one rejection, read through without being held: a twarc2 page of
# 500 tweets with their expansions is about 2 MB, one Reddit comment a few KB.
MAX_LINE_BYTES = 16 * 2**20
LINE_TOO_LONG = f"a line over {MAX_LINE_BYTES // 2**20} MiB (not a record of any known format)"
# Compressed bytes fed to the .zst decompressor at a time: its output for them is held whole,
# and zstd expands at most about 32,000 times (run-length blocks), so at most 8 MB. (1 KiB,
# 32 MB at a time, peaked at 800 MB on a 512 MiB one-line bomb in some processes: pieces that
# size defeat the allocator's reuse. 256 bytes reads a real dump as fast: 139 MB in 0.17 s.)
ZSTD_FEED = 256


@dataclass(frozen=True, slots=True)
class Skip:
    """Input items deliberately not imported (``count`` of them): counted by reason, not
    rejected."""

    reason: str
    count: int = 1


@dataclass(frozen=True)
class ImportOptions:
    """What fills and filters the records: ``platform``, ``tags`` and ``time`` fill records
    that have none, ``add_tags`` go on every post; ``since``/``until`` (aware datetimes),
    ``subreddits`` and ``match`` (words or hashtags, any of them, case-insensitive) skip the
    rest before anything is scored."""

    platform: str | None = None
    tags: tuple[str, ...] = ()
    time: datetime | None = None  # for records with no time (the monitor's own formats)
    add_tags: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    subreddits: frozenset[str] = frozenset()
    match: tuple[str, ...] = ()
    raw_match: re.Pattern[bytes] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for option, tags in (("--tag", self.tags), ("--add-tag", self.add_tags)):
            bad = [t for t in tags if not is_valid_tag(t)]
            if bad:
                raise MonitorError(f"{option}: {bad[0]!r} is not a hashtag")
        words = tuple(w.lower().lstrip("#") for w in self.match if w.strip("# "))
        object.__setattr__(self, "match", words)
        # The raw-line pre-filter can only trust ASCII words (JSON may escape the others).
        raw = None
        if words and all(w.isascii() for w in words):
            raw = re.compile(b"|".join(re.escape(w.encode()) for w in words))
        object.__setattr__(self, "raw_match", raw)
        object.__setattr__(self, "subreddits", frozenset(s.lower() for s in self.subreddits))

    def cannot_match(self, line: bytes) -> bool:
        """A raw line none of whose bytes spell a match word: skipped without parsing."""
        return self.raw_match is not None and self.raw_match.search(line.lower()) is None

    def keep(self, post: Post) -> str | None:
        """None to import the post, else why it is skipped."""
        if self.since and post.created_at < self.since:
            return "before --since"
        if self.until and post.created_at >= self.until:
            return "after --until"
        if self.match:
            text = post.text.lower()
            tags = {t.lower() for t in post.tags}
            if not any(w in tags or w in text for w in self.match):
                return NO_MATCH.reason
        return None


@dataclass(frozen=True, slots=True)
class Delete:
    """A post its author deleted (a firehose delete event): removed if it is stored."""

    platform: str
    id: str


@dataclass(frozen=True, slots=True)
class Damaged(Rejection):
    """The rest of a file that cannot be read (a damaged archive): what was read stands."""


@dataclass(frozen=True, slots=True)
class Note:
    """Something to tell the user once about a file; not a record."""

    text: str


Item = Post | Skip | Rejection | Delete | Note
NO_TEXT = Skip("no text (an image or video only)")
NO_MATCH = Skip("no --match word")


class Importer(ABC):
    """One file format: recognise it from its first record, and map each record to Posts."""

    name: ClassVar[str]
    title: ClassVar[str]  # one line for ``monitor import --formats``
    # "json": JSON values, a line each or one document; "csv"; "parquet": a folder or .parquet
    layout: ClassVar[str] = "json"
    rank: ClassVar[int] = 50  # detection order: specific formats first, the canonical last

    @abstractmethod
    def sniff(self, first: Any) -> bool:
        """Whether the first record (a JSON value, or a CSV header's column names) is ours."""

    @abstractmethod
    def items(self, record: Any, where: str, options: ImportOptions) -> Iterable[Item]:
        """The posts (and skips, and per-item rejections) one record holds; raise
        InvalidPost (or any error) when the whole record is unusable."""

    def notes(self, first: Any) -> list[str]:
        """What the user should know about the file once (columns it does not read, say)."""
        return []


def items_of(
    things: Iterable[Any], where: str, convert: Any, name: Any = lambda thing: ""
) -> Iterator[Item]:
    """Each of a record's things through ``convert`` (which returns a Post or a Skip); a
    thing that fails is its own rejection, named by ``name``."""
    for thing in things:
        try:
            yield convert(thing)
        except EmptyText:
            yield NO_TEXT
        except Exception as exc:  # one bad item of a page is that item's alone
            label = _safe_name(name, thing)
            reason = str(exc) if isinstance(exc, InvalidPost) else f"{type(exc).__name__}: {exc}"
            yield Rejection(f"{where} {label}".rstrip(), reason[:300])


def _safe_name(name: Any, thing: Any) -> str:
    try:
        return str(name(thing))
    except Exception:  # a thing too broken to name is still rejected
        return ""


def fill_tags(post: Post, tags: tuple[str, ...]) -> Post:
    """``--tag`` fills a post that has no tag of its own (in its data or its text)."""
    if post.tags or hashtags(post.text):
        return post
    if not tags:
        raise InvalidPost("no tags (add a tags field or give --tag)")
    return replace(post, tags=tuple(fold_tag(t) for t in tags))


def json_loads(data: bytes | str) -> Any:
    """orjson (several times the standard library on dump lines); what orjson refuses is read
    again by the standard library, which takes NaN, 1e400 and lone surrogates (the post's
    checks then drop or reject them) and words its errors for people. Errors: ValueError."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg})") from None
    except UnicodeDecodeError:
        raise ValueError("not valid UTF-8") from None
    except ValueError as exc:  # an integer of thousands of digits
        raise ValueError(f"not valid JSON ({exc})") from None
    except RecursionError:
        raise ValueError("not valid JSON (nested too deeply)") from None


IMPORTERS: dict[str, type[Importer]] = discover(__name__, Importer)


def format_names() -> list[tuple[str, str]]:
    """(name, title) of every format, in detection order."""
    return [(cls.name, cls.title) for cls in _by_rank()]


def _by_rank() -> list[type[Importer]]:
    return sorted(IMPORTERS.values(), key=lambda cls: (cls.rank, cls.name))


def is_url(path: Path | str) -> bool:
    """An fsspec URL (``s3://``, ``gcs://``, ``https://``...), not a local path."""
    return "://" in str(path)


@contextmanager
def _open_raw(path: Path | str) -> Iterator[BinaryIO]:
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


@contextmanager
def open_input(path: Path | str) -> Iterator[BinaryIO]:
    """The file's bytes, decompressed as they stream (``.gz``, ``.zst``); ``-``: stdin; a URL
    through fsspec."""
    if str(path) == "-":
        yield sys.stdin.buffer
        return
    with _open_raw(path) as raw, _decompressed(raw, path) as stream:
        yield stream


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
def _decompressed(raw: BinaryIO, path: Path | str) -> Iterator[BinaryIO]:
    suffix = Path(str(path)).suffix.lower()
    if suffix == ".gz":
        with gzip.GzipFile(fileobj=raw, mode="rb") as handle:
            yield handle
    elif suffix == ".zst":
        with io.BufferedReader(_ZstdFrames(raw), buffer_size=1 << 20) as handle:
            yield handle
    else:
        yield raw


def read_posts(
    path: Path | str, options: ImportOptions | None = None, format_name: str | None = None
) -> Iterator[Item]:
    """Stream a file's records as Posts, Skips, or Rejections naming the line and reason; a
    folder (or a ``.parquet`` file): the Parquet files ``monitor backfill`` writes."""
    options = options or ImportOptions()
    if format_name is not None and format_name not in IMPORTERS:
        raise MonitorError(
            f"--format: unknown format {format_name!r} (expected one of: {', '.join(IMPORTERS)})"
        )
    if not is_url(path) and (Path(path).is_dir() or str(path).endswith(".parquet")):
        yield from _parquet_items(Path(path), options)
        return
    if str(path) == "-":
        yield from _read(path, sys.stdin.buffer, options, format_name)
        return
    with _open_raw(path) as raw, _decompressed(raw, path) as stream:
        try:
            yield from _read(path, stream, options, format_name)
        except (OSError, EOFError, zstandard.ZstdError) as exc:  # a damaged archive: what
            # was read so far stands
            yield Damaged(
                str(path),
                f"the file cannot be read near byte {_position(raw):,} "
                f"({type(exc).__name__}: {exc})",
            )


def _position(raw: BinaryIO) -> int:
    """How far into the file its reader got (within the decompressor's read size: a hundred
    kilobytes or so), to say where it broke."""
    try:
        return raw.tell()
    except (OSError, ValueError, AttributeError):
        return 0


def _parquet_items(path: Path, options: ImportOptions) -> Iterator[Item]:
    """Each row of the Parquet file, or of every Parquet file under the folder, in name order:
    posts with the scores stored beside them."""
    import pyarrow.parquet as pq

    files = sorted(path.rglob("*.parquet")) if path.is_dir() else [path]
    if path.is_dir() and not files:
        raise MonitorError(f"{path}: a folder without Parquet files (from 'monitor backfill')")
    importer = IMPORTERS["parquet"]()
    for file in files:
        try:
            parquet = pq.ParquetFile(file)
            columns = parquet.schema_arrow.names
            if not importer.sniff(columns):
                yield Rejection(
                    str(file), f"not a monitor Parquet file (columns {', '.join(columns)[:200]})"
                )
                continue
            number = 0
            for batch in parquet.iter_batches(batch_size=10_000):
                for record in batch.to_pylist():
                    number += 1
                    where = f"{file}:row {number}"
                    try:
                        for item in importer.items(record, where, options):
                            yield _finish(item, options)
                    except Exception as exc:  # one bad row is that row's rejection
                        reason = (
                            str(exc)
                            if isinstance(exc, InvalidPost)
                            else f"{type(exc).__name__}: {exc}"
                        )
                        yield Rejection(where, reason[:300])
        except (OSError, ValueError) as exc:  # pyarrow's errors for damaged files are these
            yield Damaged(str(file), f"the file cannot be read ({type(exc).__name__}: {exc})")


def _read(
    path: Path, stream: BinaryIO, options: ImportOptions, format_name: str | None
) -> Iterator[Item]:
    lines = _bounded_lines(stream)
    for number, line in lines:
        if line is None:
            yield Rejection(f"{path}:{number}", LINE_TOO_LONG)
        elif line.strip():
            break
    else:
        return  # an empty file holds nothing
    line = line.removeprefix(b"\xef\xbb\xbf")
    head: list[tuple[int, bytes | None]] = [(number, line)]  # read ahead to tell the layout
    try:
        first, layout = json_loads(line), "json lines"
    except ValueError:
        first, layout = None, "csv"
        if line.lstrip()[:1] in (b"[", b"{"):
            second = next(((n, raw) for n, raw in lines if raw is None or raw.strip()), None)
            try:
                if second is None or second[1] is None:
                    raise ValueError("one line")
                first, layout = json_loads(second[1]), "json lines"  # a damaged first line
                head.append(second)
            except ValueError:  # one JSON document over many lines
                try:
                    first, layout = _document(line, second, stream), "json document"
                except ValueError as exc:
                    yield Rejection(f"{path}:{number}", str(exc))
                    return
    if layout == "csv":
        _refuse_binary(path, line)
        too_long: list[int] = []  # lines dropped from the CSV, rejected in their place
        text = (
            _csv_line(number, raw, too_long)
            for number, raw in itertools.chain([(number, line)], lines)
        )
        header = line.decode("utf-8", "replace")
        delimiter = max(",;\t", key=header.count)  # Excel in much of Europe writes ';'
        reader = csv.DictReader(text, delimiter=delimiter)
        try:
            first = [c.strip() for c in reader.fieldnames or []]
        except csv.Error as exc:
            raise MonitorError(f"{path}: not a CSV file the monitor can read ({exc})") from None
        importer = _importer(path, first, "csv", format_name)
        records: Iterator[tuple[int, Any]] = _csv_records(reader, number, too_long)
    else:
        importer = _importer(path, first, "json", format_name)
        if layout == "json document":
            records = iter([(number, first)])
        elif options.raw_match is None:
            records = _json_lines(itertools.chain(head, lines), options)
        else:  # whole blocks without a match word are skipped unsplit
            after = head[-1][0] + 1
            matching = _matching_lines(stream, after, options.raw_match)
            records = _json_lines(itertools.chain(head, matching), options)
    for text in importer.notes(first):
        yield Note(f"{path}: {text}")
    read = given = 0  # records given to the importer, and items it made of them
    for number, record in records:
        where = f"{path}:{number}"
        if isinstance(record, Skip):  # skipped unread (no --match word in the raw line)
            yield record
            continue
        if isinstance(record, Rejection):  # a line that does not parse
            yield Rejection(where, record.reason)
            continue
        read += 1
        try:
            for item in importer.items(record, where, options):
                given += 1
                yield _finish(item, options)
        except EmptyText:
            given += 1
            yield NO_TEXT
        except Exception as exc:  # the whole record is unusable: that record's rejection
            given += 1
            reason = str(exc) if isinstance(exc, InvalidPost) else f"{type(exc).__name__}: {exc}"
            yield Rejection(where, reason[:300])
    if read and not given:  # every record read as nothing: the wrong --format, say
        yield Rejection(str(path), _nothing_read(read, importer, first, layout))


def _nothing_read(read: int, importer: Importer, first: Any, layout: str) -> str:
    """Why a file whose records all read as nothing imported nothing, and what it looks like."""
    looks = _detect(first, "csv" if layout == "csv" else "json")
    hint = f" (it looks like {looks.name}: try --format {looks.name})" if looks else ""
    return f"none of its {read:,} records holds a post the {importer.name} format reads{hint}"


def _bounded_lines(stream: BinaryIO) -> Iterator[tuple[int, bytes | None]]:
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


def _document(line: bytes, second: tuple[int, bytes | None] | None, stream: BinaryIO) -> Any:
    """One JSON document over many lines (first ``line``, then ``second``, then the rest of
    the stream), read whole up to MAX_DOCUMENT_BYTES. Errors: ValueError."""
    if second is not None and second[1] is None:
        raise ValueError(f"not valid JSON, and line {second[0]} is {LINE_TOO_LONG}")
    document = bytearray(line)
    document += second[1] if second else b""
    document += stream.read(MAX_DOCUMENT_BYTES)
    if len(document) > MAX_DOCUMENT_BYTES:
        raise ValueError(
            f"one JSON document over {MAX_DOCUMENT_BYTES // 2**20} MiB, more than is read "
            "whole: convert it to JSON Lines (jq -c '.orderedItems[]')"
        )
    return json_loads(bytes(document))


def _refuse_binary(path: Path, line: bytes) -> None:
    """A file that is no text (an image, a CAR archive) cannot be a CSV: one clear error
    instead of a CSV reader's complaint about its bytes."""
    head = line[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise MonitorError(
            f"{path}: a UTF-16 text file (Excel's 'Unicode Text'): save it as 'CSV UTF-8' and "
            "import that"
        )
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


def _csv_line(number: int, raw: bytes | None, too_long: list[int]) -> str:
    if raw is None:
        too_long.append(number)
        return "\n"
    return raw.decode("utf-8", "surrogateescape")


def _finish(item: Item, options: ImportOptions) -> Item:
    """The filters, and ``--add-tag``."""
    if not isinstance(item, Post):
        return item
    skipped = options.keep(item)
    if skipped:
        return Skip(skipped)
    if options.add_tags:
        return replace(item, tags=(*item.tags, *(fold_tag(t) for t in options.add_tags)))
    return item


def _importer(path: Path, first: Any, layout: str, format_name: str | None) -> Importer:
    if format_name is not None:
        importer = IMPORTERS[format_name]
        if importer.layout != layout:
            raise MonitorError(
                f"{path}: --format {format_name} reads {importer.layout} files, not {layout}"
            )
        return importer()
    if found := _detect(first, layout):
        return found
    if layout == "json":  # read as the monitor's own records: each says what it lacks
        return IMPORTERS["canonical"]()
    raise MonitorError(
        f"{path}: no import format recognises a CSV with the columns {', '.join(first)[:300]} "
        "(the monitor's own CSV needs id, text, created_at and platform, or --platform; "
        "see --formats)"
    )


def _detect(first: Any, layout: str) -> Importer | None:
    """The first format, in detection order, that knows the first record as its own."""
    return next((cls() for cls in _by_rank() if cls.layout == layout and cls().sniff(first)), None)


def _matching_lines(
    stream: BinaryIO, number: int, pattern: re.Pattern[bytes]
) -> Iterator[tuple[int, bytes | Skip]]:
    """The stream's lines that hold a match word, numbered from ``number``; the lines between
    come as one Skip of that many lines. A dump where one line in thousands matches is read a
    megabyte at a time and searched whole, never split into lines."""
    rest, dropping = b"", False  # dropping: inside a line over MAX_LINE_BYTES
    while block := stream.read(1 << 20):
        if dropping:
            end = block.find(b"\n")
            if end < 0:
                continue
            block, dropping = block[end + 1 :], False
        block = rest + block
        cut = block.rfind(b"\n") + 1
        whole, rest = block[:cut], block[cut:]
        done = 0  # where the lines not yet yielded begin
        for found in pattern.finditer(whole.lower()):
            if found.start() < done:
                continue  # another match on a line already yielded
            start = whole.rfind(b"\n", 0, found.start()) + 1
            end = whole.find(b"\n", found.start()) + 1
            if between := whole.count(b"\n", done, start):
                yield number, Skip(NO_MATCH.reason, between)
                number += between
            yield number, whole[start:end]
            number, done = number + 1, end
        if between := whole.count(b"\n", done):
            yield number, Skip(NO_MATCH.reason, between)
            number += between
        if len(rest) > MAX_LINE_BYTES:
            yield number, None
            number, rest, dropping = number + 1, b"", True
    if rest:
        yield number, rest


def _json_lines(
    lines: Iterator[tuple[int, bytes | Skip | None]], options: ImportOptions
) -> Iterator[tuple[int, Any]]:
    for number, raw in lines:
        if isinstance(raw, Skip):
            yield number, raw
            continue
        if raw is None:
            yield number, Rejection("", LINE_TOO_LONG)
            continue
        if raw.isspace() or not raw:
            continue
        if options.cannot_match(raw):
            yield number, NO_MATCH
            continue
        try:
            yield number, json_loads(raw)
        except ValueError as exc:
            reason = str(exc)
            if not raw.endswith(b"\n"):
                reason += " (the last line is cut short)"
            yield number, Rejection("", reason)


def _csv_records(
    reader: csv.DictReader, start: int, too_long: list[int]
) -> Iterator[tuple[int, Any]]:
    """The reader's rows numbered by their first line, each bad one a Rejection; lines over
    MAX_LINE_BYTES (``too_long``, filled as they are read) are rejected where they were."""
    start += 1
    first_bad = 0  # the first line that is not UTF-8: it alone explains why
    while True:
        try:
            row = next(reader)
        except StopIteration:
            row = None
        except csv.Error as exc:  # a field over the size limit: that record only
            row = Rejection("", f"not valid CSV ({exc})")
        while too_long:
            yield too_long.pop(0), Rejection("", LINE_TOO_LONG)
        if row is None:
            return
        if isinstance(row, Rejection):
            yield start, row
            start = reader.line_num + 1
            continue
        values = [v for v in row.values() if isinstance(v, str)]
        end = reader.line_num
        if end > start and _holds_records(values, len(reader.fieldnames or ())):
            yield (
                start,
                Rejection(
                    "",
                    f"a quote opened on line {start} runs to line {end}: lines {start + 1}-{end} "
                    "(records of their own, by the look of them) are inside this one and were "
                    "not imported; fix the quote",
                ),
            )
        elif any(any("\udc80" <= ch <= "\udcff" for ch in v) for v in values):
            reason = f"not valid UTF-8 either (see line {first_bad})" if first_bad else None
            first_bad = first_bad or start
            yield start, Rejection("", reason or _not_utf8(values))
        elif None in row:
            yield start, Rejection("", "more fields than the header names")
        else:
            yield start, row
        start = reader.line_num + 1


def _not_utf8(values: list[str]) -> str:
    raw = "".join(values).encode("utf-8", "surrogateescape")
    try:
        raw.decode("cp1252")
        guess = "Windows-1252 (as Excel saves CSV)"
    except UnicodeDecodeError:
        guess = "Latin-1"
    return (
        f"not valid UTF-8: the file looks like {guess}; save it as UTF-8 (Excel: 'CSV UTF-8')"
        " and import it again"
    )


def _holds_records(values: list[str], columns: int) -> bool:
    """Whether a line inside a record's multi-line fields reads as a whole record of its own
    (as many fields as the header): the sign of a quote left open."""
    inner = (line for v in values if "\n" in v for line in v.split("\n")[1:] if line.strip())
    return any(len(next(csv.reader([line]), [])) >= columns > 1 for line in inner)
