"""Hand labels: the CSV or TSV files people fill in to check the scorer's labels and calibrate it.

A label file has a ``label`` column and, per row, either ``platform`` and ``id`` (a stored post)
or ``text`` (any text); ``monitor sample`` writes such a file with the label column empty.
Labels may be negative / neutral / positive, the configured display names (skeptical /
neutral / supportive), stance names (against / none / favor) or -1 / 0 / 1; an empty label is
skipped. Anything else is an error naming the file, the line and the value.
"""

from __future__ import annotations

import csv
import hashlib
import random
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from monitor.errors import MonitorError
from monitor.files import written_whole
from monitor.models import LABELS, Rejection
from monitor.settings import Labels
from monitor.text import UTF16_MARKS, not_utf8, rounded_id, spreadsheet_safe, utf16_export
from monitor.workbook import is_workbook, read_sheet, write_sheet

# How labels typed into a sample whose ids the spreadsheet rounded can be kept: while its rows
# are in the sample's order, its label column can go back into the sample as written.
SAVED_LABELS = (
    " (to keep the labels: if the rows are still in the sample's order, paste this sheet's label"
    " column into the sample as 'monitor sample' wrote it; or label the .xlsx it writes)"
)
SAMPLE_COLUMNS = ("platform", "id", "created_at", "lang", "text", "url", "predicted", "label")


@dataclass(frozen=True)
class HandLabel:
    """One labelled row: where it is in its file, the label, and what it labels."""

    line: int
    label: str
    platform: str | None = None
    id: str | None = None
    text: str | None = None

    @property
    def key(self) -> tuple[str, str] | None:
        return (self.platform, self.id) if self.platform and self.id else None

    @property
    def fingerprint(self) -> str:
        """What names the labelled post in a model's list of the labels it was fitted on:
        its platform and id when it has them, else its text (hashed: a model keeps no text)."""
        name = f"{self.platform}/{self.id}" if self.key else f"text:{' '.join(self.text.split())}"
        return hashlib.sha256(name.encode()).hexdigest()[:20]


def label_names(labels: Labels) -> dict[str, str]:
    """Every accepted spelling of a label (lowercased) → the internal label."""
    names = {label: label for label in LABELS}
    names.update({"-1": "negative", "0": "neutral", "1": "positive"})
    names.update({"against": "negative", "none": "neutral", "favor": "positive"})
    names.update({labels.display(label).lower(): label for label in LABELS})
    return names


def _reader(handle: TextIO) -> csv.DictReader:
    """Rows of a label sheet as saved by a spreadsheet or shared by a project: comma- or
    semicolon-separated CSV, or tab-separated values (no quoting: a tweet may open with a
    quotation mark), told apart by the header line."""
    header = handle.readline()
    handle.seek(0)
    delimiter = max((",", ";", "\t"), key=header.count)
    if delimiter == "\t":
        return csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
    return csv.DictReader(handle, delimiter=delimiter)


def _refuse_undecoded(path: Path, line: int, values: Iterable[Any]) -> None:
    """A sheet that is not UTF-8 is refused whole, saying how to save it: leaving out the
    rows whose accents did not decode would bias the labelled mix."""
    cells = [v for v in values if isinstance(v, str)]
    if any("\udc80" <= ch <= "\udcff" for cell in cells for ch in cell):
        raw = "".join(cells).encode("utf-8", "surrogateescape")
        raise MonitorError(f"{path}: line {line}: {not_utf8(raw, 'use that')}")


@dataclass
class LabelSheet:
    """A label sheet's usable rows, and each row it could not use with its line and why."""

    rows: list[HandLabel]
    rejections: list[Rejection]


def read_labels(path: Path, labels: Labels) -> LabelSheet:
    """The labelled rows of a label sheet (CSV or TSV, UTF-8, with or without a byte-order
    mark; Excel's other encodings are refused, saying how to save the sheet; or a workbook's
    first sheet with a ``label`` column). A row that cannot be used (an unknown label, nothing
    to label, one post labelled twice) is a rejection naming its line; the other rows stand."""
    names = label_names(labels)
    rows: list[HandLabel] = []
    rejections: list[Rejection] = []
    try:
        with _opened_sheet(path) as (header, records):
            columns = {c.strip().lower(): c for c in header if c}
            if "label" not in columns:
                raise MonitorError(
                    f"{path}: no 'label' column (found: {', '.join(columns) or 'nothing'})"
                )
            if "text" not in columns and not {"platform", "id"} <= set(columns):
                raise MonitorError(f"{path}: needs 'platform' and 'id' columns, or 'text'")
            for line, row in records:
                cell = {name: (row.get(key) or "").strip() for name, key in columns.items()}
                value = cell["label"]
                if not value:
                    continue
                label = names.get(value.lower())
                text = (row.get(columns["text"]) if "text" in columns else None) or None
                hand = HandLabel(
                    line, label or "", cell.get("platform") or None, cell.get("id") or None, text
                )
                if label is None:
                    reason = f"label {value!r} is not one of {', '.join(sorted(set(names)))}"
                    rejections.append(Rejection(f"{path}:{line}", reason))
                elif hand.key is None and not hand.text:
                    rejections.append(
                        Rejection(f"{path}:{line}", "neither platform and id nor text")
                    )
                elif hand.id and (rounded := rounded_id(hand.id)):
                    rejections.append(Rejection(f"{path}:{line}", rounded + SAVED_LABELS))
                else:
                    rows.append(hand)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise MonitorError(f"{path}: cannot read the label file ({exc})") from None
    return _once_each(path, rows, rejections)


@contextmanager
def _opened_sheet(path: Path) -> Iterator[tuple[list[str], Iterator[tuple[int, dict]]]]:
    """A label sheet's header and its rows, numbered as a spreadsheet numbers them, from a
    workbook or a CSV or TSV file."""
    with path.open("rb") as probe:
        head = probe.read(8)
    if head.startswith(UTF16_MARKS):
        raise MonitorError(utf16_export(path, "use that"))
    if is_workbook(head):
        _, header, rows = read_sheet(path, lambda names: "label" in map(str.lower, names))
        yield header, rows
        return
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        reader = _reader(handle)

        def decoded() -> Iterator[tuple[int, dict]]:
            for row in reader:
                _refuse_undecoded(path, reader.line_num, row.values())
                yield reader.line_num, row

        yield list(reader.fieldnames or []), decoded()


def _once_each(path: Path, rows: list[HandLabel], rejections: list[Rejection]) -> LabelSheet:
    """A post (platform and id) labelled on more than one line counts once: the same label
    again is a repeat, kept once; different labels leave no answer, so every line of it is
    rejected."""
    lines: dict[tuple[str, str], list[HandLabel]] = {}
    for row in rows:
        if row.key:
            lines.setdefault(row.key, []).append(row)
    kept = []
    for row in rows:
        same = lines.get(row.key, [row]) if row.key else [row]
        others = [other for other in same if other is not row]
        if not others:
            kept.append(row)
            continue
        where = f"{path}:{row.line}"
        post = f"{row.platform}/{row.id}"
        if {other.label for other in same} != {row.label}:
            labels = ", ".join(f"{other.label} on line {other.line}" for other in others)
            reason = f"{post} is labelled {row.label} here and {labels}: neither is used"
            rejections.append(Rejection(where, reason))
        elif same[0] is row:
            kept.append(row)
        else:
            rejections.append(Rejection(where, f"{post} is labelled on line {same[0].line} too"))
    rejections.sort(key=lambda r: int(r.where.rsplit(":", 1)[1]))
    return LabelSheet(kept, rejections)


def write_sample(rows: Iterable[dict[str, Any]], path: Path, choices: Sequence[str] = ()) -> int:
    """A label sheet: an .xlsx workbook whose cells are all text (Excel keeps long ids whole
    and shows a formula-like text as written), its label column a drop-down of ``choices``,
    else CSV in UTF-8 with a byte-order mark (Excel reads it right), formulas defused."""
    with written_whole(path) as staged:
        if path.suffix.lower() == ".xlsx":
            cells = ([row.get(column) for column in SAMPLE_COLUMNS] for row in rows)
            return write_sheet(staged, "sample", SAMPLE_COLUMNS, cells, "text", ("label", choices))
        count = 0
        with staged.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(SAMPLE_COLUMNS)
            for row in rows:
                writer.writerow([spreadsheet_safe(row.get(column)) for column in SAMPLE_COLUMNS])
                count += 1
        return count


def draw(ids: Sequence[int], n: int, seed: int) -> list[int]:
    """A reproducible random sample of ``n`` of ``ids`` (all of them when fewer)."""
    return sorted(random.Random(seed).sample(list(ids), min(n, len(ids))))
