"""The layouts a format's records come in: JSON Lines (with the ``--match`` pre-filter on raw
lines), one JSON document, or CSV; each bad line or row is a rejection naming its line."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from monitor.formats.base import NO_MATCH, ImportOptions, Skip, json_loads
from monitor.formats.streams import LINE_TOO_LONG, MAX_LINE_BYTES
from monitor.models import Rejection
from monitor.text import not_utf8

# A CSV field longer than any post (texts over 100,000 characters are rejected anyway): past
# this the csv module stops with an error, which becomes that record's rejection.
csv.field_size_limit(1_000_000)


# One JSON document (not JSON Lines, a Mastodon outbox) is read whole, up to this.
MAX_DOCUMENT_BYTES = 256 * 2**20


def read_document(line: bytes, second: tuple[int, bytes | None] | None, stream: BinaryIO) -> Any:
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


def csv_line(number: int, raw: bytes | None, too_long: list[int]) -> str:
    if raw is None:
        too_long.append(number)
        return "\n"
    return raw.decode("utf-8", "surrogateescape")


def matching_lines(
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


def json_lines(
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


def csv_records(
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
            raw = "".join(values).encode("utf-8", "surrogateescape")
            reason = (
                f"not valid UTF-8 either (see line {first_bad})"
                if first_bad
                else not_utf8(raw, "import it again")
            )
            first_bad = first_bad or start
            yield start, Rejection("", reason)
        elif None in row:
            yield start, Rejection("", "more fields than the header names")
        else:
            yield start, row
        start = reader.line_num + 1


def _holds_records(values: list[str], columns: int) -> bool:
    """Whether a line inside a record's multi-line fields reads as a whole record of its own
    (as many fields as the header): the sign of a quote left open."""
    inner = (line for v in values if "\n" in v for line in v.split("\n")[1:] if line.strip())
    return any(len(next(csv.reader([line]), [])) >= columns > 1 for line in inner)
