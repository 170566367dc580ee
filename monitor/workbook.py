"""Spreadsheet workbooks (Excel's .xlsx and .xls, LibreOffice's .ods) read as tables: a label
sheet or a sheet of posts is used as saved, without a trip through "Save as CSV" (which, in
Excel, writes Windows-1252 unless told otherwise). python-calamine reads all three formats;
openpyxl writes a label sample as .xlsx, every cell text.

A sheet's first non-empty row is its header; each later row becomes ``{header: cell}`` with the
cells as text, numbered as the spreadsheet numbers its rows. Whole numbers lose their ``.0``
(an id 10682359290 or a label -1), times read as ISO 8601. An id of more than 15 digits stored
as a number has already lost its last digits in the spreadsheet: it reads as the spreadsheet
shows it (1.99547812345679E+18), which import and label sheets refuse as an id.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from monitor.errors import MonitorError
from monitor.text import SPREADSHEET_DIGITS

# How a workbook file starts: a ZIP archive (.xlsx, .ods) or an OLE2 compound file (.xls).
MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
# The most rows an Excel sheet has, and characters a cell holds (Excel calls a longer cell
# damage and drops it; a Reddit post may have 40,000): a longer text is cut, saying so.
EXCEL_ROWS = 1_048_576
EXCEL_CELL_CHARS = 32_767
CUT = " [cut: Excel holds 32,767 characters a cell]"

Rows = Iterator[tuple[int, dict[str, str]]]


def is_workbook(head: bytes) -> bool:
    """Whether a file's first bytes are a workbook's (a ZIP or OLE2 container)."""
    return head.startswith(MAGIC)


def cell_text(value: Any) -> str:
    """A cell as the text it shows: whole numbers without ``.0``, times in ISO 8601."""
    if isinstance(value, float) and value.is_integer():
        if abs(value) >= 10**SPREADSHEET_DIGITS:  # shown as the spreadsheet keeps it
            return f"{value:.{SPREADSHEET_DIGITS}G}"
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def read_sheet(path: Path, wanted: Callable[[list[str]], bool]) -> tuple[str, list[str], Rows]:
    """The first sheet whose header ``wanted`` accepts (else the first sheet with a header):
    its name, header and rows."""
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        fallback = None  # the first sheet with a header, kept only while none is wanted
        for name in book.sheet_names:  # read one by one, up to the one wanted
            grid = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            at = _header_row(grid)
            if at is not None and wanted(_header(grid, at)):
                break
            fallback = fallback or ((name, grid, at) if at is not None else None)
        else:
            if fallback is None:
                return "", [], iter(())
            name, grid, at = fallback
    except (CalamineError, OSError, ValueError) as exc:  # a password is one of these
        raise MonitorError(
            f"{path}: a ZIP or OLE2 file that cannot be read as a workbook (.xlsx, .xls, .ods:"
            f" {exc}); an archive of other files: unpack it and give those"
        ) from None
    header = _header(grid, at)
    rows = (
        (number + 1, dict(zip(header, map(cell_text, row), strict=False)))
        for number, row in enumerate(grid)
        if number > at and any(cell != "" for cell in row)
    )
    return name, header, rows


def _header_row(grid: list[list[Any]]) -> int | None:
    return next((n for n, row in enumerate(grid) if any(cell != "" for cell in row)), None)


def _header(grid: list[list[Any]], at: int) -> list[str]:
    return [cell_text(cell).strip() for cell in grid[at]]


def write_sheet(
    path: Path,
    name: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    wide: str,
    offered: tuple[str, Sequence[str]],
) -> int:
    """An .xlsx of one sheet whose cells are all text (an id stays whole, a text that looks
    like a formula stays text), the ``wide`` column wide, and the column ``offered[0]`` a
    drop-down of ``offered[1]``; how many rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook(write_only=True)
    sheet = book.create_sheet(name)
    sheet.freeze_panes = "A2"
    for number, column in enumerate(header, 1):
        sheet.column_dimensions[get_column_letter(number)].width = 80 if column == wide else 22
    column, choices = offered
    if choices and not any("," in c or '"' in c for c in choices):  # a list a cell can offer
        listed = DataValidation(
            type="list",
            formula1='"' + ",".join(choices) + '"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=column,
            error=f"One of: {', '.join(choices)} (or leave it empty)",
        )
        letter = get_column_letter(list(header).index(column) + 1)
        listed.add(f"{letter}2:{letter}{EXCEL_ROWS}")
        sheet.data_validations.append(listed)

    def text_cells(values: Iterable[Any]) -> list[WriteOnlyCell]:
        cells = []
        for value in values:  # control characters (a post may hold one) cannot be in XML
            text = ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value))
            if len(text) > EXCEL_CELL_CHARS:
                text = text[: EXCEL_CELL_CHARS - len(CUT)] + CUT
            cell = WriteOnlyCell(sheet, value=text)
            cell.data_type = "s"  # text, never a number or a formula
            cells.append(cell)
        return cells

    sheet.append(text_cells(header))
    count = 0
    for row in rows:
        sheet.append(text_cells(row))
        count += 1
    buffer = io.BytesIO()  # written whole in memory: openpyxl leaves its ZIP open on a full disk
    book.save(buffer)
    path.write_bytes(buffer.getvalue())
    return count
