"""Import formats, one module each: the files researchers already hold (twarc2, Reddit dumps,
Zeeschuimer, Mastodon archives, Bluesky Jetstream, 4CAT, and the monitor's own records).

A file is opened (``-`` is standard input; ``.gz`` and ``.zst`` are decompressed as they
stream), its layout is read from its first line (JSON Lines, one JSON document, or CSV), and
its format recognised from its first record unless ``--format`` names it. Each format maps its
records to Posts with the platform's own parser (the one its collector uses), so a post
imported from a file and collected later is one row. What a format deliberately leaves out
(retweets, deleted bodies, events that are not posts, filtered records) is a ``Skip``, counted
by reason; what it cannot read is a ``Rejection`` naming file, line and reason.

The contract is ``base.py``, the bytes ``streams.py``, the layouts ``layouts.py``; this module
is the registry and ``read_posts``, which puts them together.
"""

from __future__ import annotations

import csv
import itertools
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO

import zstandard

from monitor.errors import EmptyText, MonitorError
from monitor.formats.base import (
    NO_TEXT,
    Damaged,
    Importer,
    ImportOptions,
    Item,
    Note,
    Skip,
    json_loads,
)
from monitor.formats.layouts import csv_line, csv_records, json_lines, matching_lines, read_document
from monitor.formats.streams import (
    LINE_TOO_LONG,
    bounded_lines,
    decompressed,
    is_url,
    open_raw,
    position,
    refuse_binary,
)
from monitor.models import Post, Rejection, rejected
from monitor.plugins import discover
from monitor.text import fold_tag
from monitor.workbook import is_workbook, read_sheet

IMPORTERS: dict[str, type[Importer]] = discover(__name__, Importer)


def format_names() -> list[tuple[str, str]]:
    """(name, title) of every format, in detection order."""
    return [(cls.name, cls.title) for cls in _by_rank()]


def _by_rank() -> list[type[Importer]]:
    return sorted(IMPORTERS.values(), key=lambda cls: (cls.rank, cls.name))


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
    if not is_url(path) and _starts_as_workbook(Path(path)):
        yield from _workbook_items(Path(path), options, format_name)
        return
    with open_raw(path) as raw, decompressed(raw, path) as stream:
        try:
            yield from _read(path, stream, options, format_name)
        except (OSError, EOFError, zstandard.ZstdError) as exc:  # a damaged archive: what
            # was read so far stands
            yield Damaged(
                str(path),
                f"the file cannot be read near byte {position(raw):,} "
                f"({type(exc).__name__}: {exc})",
            )


def _starts_as_workbook(path: Path) -> bool:
    try:
        with path.open("rb") as probe:
            return is_workbook(probe.read(8))
    except OSError:  # opened again below, where the error is said
        return False


def _workbook_items(path: Path, options: ImportOptions, format_name: str | None) -> Iterator[Item]:
    """The rows of a workbook's first sheet some CSV format recognises (else its first sheet),
    read as that CSV's records: a labelled spreadsheet imported as saved."""
    sheet, header, rows = read_sheet(path, lambda names: _detect(names, "csv") is not None)
    where = f"{path}[{sheet}]"
    importer = _importer(path, header, "csv", format_name)
    yield from _items(where, importer, header, "csv", rows, options)


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
                        yield rejected(where, exc)
        except (OSError, ValueError) as exc:  # pyarrow's errors for damaged files are these
            yield Damaged(str(file), f"the file cannot be read ({type(exc).__name__}: {exc})")


def _read(
    path: Path, stream: BinaryIO, options: ImportOptions, format_name: str | None
) -> Iterator[Item]:
    lines = bounded_lines(stream)
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
                    first, layout = read_document(line, second, stream), "json document"
                except ValueError as exc:
                    yield Rejection(f"{path}:{number}", str(exc))
                    return
    if layout == "csv":
        refuse_binary(path, line)
        too_long: list[int] = []  # lines dropped from the CSV, rejected in their place
        text = (
            csv_line(number, raw, too_long)
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
        records: Iterator[tuple[int, Any]] = csv_records(reader, number, too_long)
    else:
        importer = _importer(path, first, "json", format_name)
        if layout == "json document":
            records = iter([(number, first)])
        elif options.raw_match is None:
            records = json_lines(itertools.chain(head, lines), options)
        else:  # whole blocks without a match word are skipped unsplit
            after = head[-1][0] + 1
            matching = matching_lines(stream, after, options.raw_match)
            records = json_lines(itertools.chain(head, matching), options)
    yield from _items(path, importer, first, layout, records, options)


def _items(
    path: Path | str,
    importer: Importer,
    first: Any,
    layout: str,
    records: Iterator[tuple[int, Any]],
    options: ImportOptions,
) -> Iterator[Item]:
    """The importer's items of each numbered record; a record it cannot read is that one's
    rejection."""
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
            yield rejected(where, exc)
    if read and not given:  # every record read as nothing: the wrong --format, say
        yield Rejection(str(path), _nothing_read(read, importer, first, layout))


def _nothing_read(read: int, importer: Importer, first: Any, layout: str) -> str:
    """Why a file whose records all read as nothing imported nothing, and what it looks like."""
    looks = _detect(first, "csv" if layout == "csv" else "json")
    hint = f" (it looks like {looks.name}: try --format {looks.name})" if looks else ""
    return f"none of its {read:,} records holds a post the {importer.name} format reads{hint}"


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
