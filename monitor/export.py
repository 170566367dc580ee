"""Export stored posts with their scores, labels, languages and tags, for analysis elsewhere.

Rows stream from one snapshot of the database in pages of ``PAGE`` posts (keyset on post_id),
so a million posts export in bounded memory. CSV opens cleanly in Excel (UTF-8 with BOM, cells
that look like formulas defused); JSON Lines keeps every value; Parquet (pyarrow) has proper
types: times with their zone, labels and platforms as categories, tags as lists.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from monitor.errors import MonitorError
from monitor.files import written_whole
from monitor.store import Store
from monitor.text import spreadsheet_safe

PAGE = 10_000
FORMATS = (".csv", ".jsonl", ".parquet")
COLUMNS = (
    "platform",
    "id",
    "created_at",
    "author",
    "url",
    "text",
    "tags",
    "lang",
    "language",
    "label",
    "compound",
    "pos",
    "neu",
    "neg",
    "scorer_version",
    "metrics",
)
_TEXT_CELLS = ("author", "url", "text", "tags", "metrics")
# An export carries, beside the stored label, its name in the config's words (skeptical ...).
EXPORT_COLUMNS = (
    *COLUMNS[: COLUMNS.index("label") + 1],
    "label_name",
    *COLUMNS[COLUMNS.index("label") + 1 :],
)


def export_posts(
    store: Store,
    out: Path,
    tags: Sequence[str] = (),
    platforms: Sequence[str] = (),
    since_ts: int | None = None,
    until_ts: int | None = None,
    label_names: Mapping[str, str] | None = None,
) -> int:
    """Write the matching posts to ``out`` (.csv, .jsonl or .parquet); how many. Each row
    has the stored ``label`` (negative, neutral, positive) and ``label_name``, its name in
    ``label_names`` (the config's display names; the stored label where none is given)."""
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise MonitorError(f"{out}: export writes {', '.join(FORMATS)} files")
    writer = {".csv": _csv, ".jsonl": _jsonl, ".parquet": _parquet}[suffix]
    names = label_names or {}
    with store.snapshot(), written_whole(out) as staged:  # a reader never sees half an export
        pages = (
            [{**row, "label_name": names.get(row["label"], row["label"])} for row in page]
            for page in _pages(store, tags, platforms, since_ts, until_ts)
        )
        count = writer(staged, pages)
    return count


def _pages(
    store: Store,
    tags: Sequence[str],
    platforms: Sequence[str],
    since_ts: int | None,
    until_ts: int | None,
) -> Iterator[list[dict[str, Any]]]:
    conditions, params = ["p.post_id > ?"], []
    if tags:
        marks = ",".join("?" * len(tags))
        conditions.append(
            f"EXISTS (SELECT 1 FROM post_tags w WHERE w.post_id = p.post_id AND w.tag IN ({marks}))"
        )
        params += list(tags)
    if platforms:
        conditions.append(f"p.platform IN ({','.join('?' * len(platforms))})")
        params += list(platforms)
    if since_ts is not None:
        conditions.append("p.created_ts >= ?")
        params.append(since_ts)
    if until_ts is not None:
        conditions.append("p.created_ts < ?")
        params.append(until_ts)
    query = f"""
        SELECT p.post_id, p.platform, p.id, p.created_at, p.author, p.url, p.text,
               (SELECT group_concat(tag, ';') FROM
                   (SELECT t.tag FROM post_tags t WHERE t.post_id = p.post_id ORDER BY t.tag)),
               p.lang, p.language, p.label, p.compound, p.pos, p.neu, p.neg,
               p.scorer_version, p.metrics
        FROM posts p WHERE {" AND ".join(conditions)} ORDER BY p.post_id LIMIT {PAGE}
    """
    last = 0
    while rows := store.db.execute(query, [last, *params]).fetchall():
        last = rows[-1][0]
        yield [dict(zip(COLUMNS, row[1:], strict=True)) for row in rows]


def _csv(path: Path, pages: Iterator[list[dict[str, Any]]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, EXPORT_COLUMNS)
        writer.writeheader()
        for page in pages:
            for row in page:
                writer.writerow(
                    {k: spreadsheet_safe(v) if k in _TEXT_CELLS else v for k, v in row.items()}
                )
            count += len(page)
    return count


def _jsonl(path: Path, pages: Iterator[list[dict[str, Any]]]) -> int:
    count = 0
    with path.open("wb") as handle:
        for page in pages:
            for row in page:
                row["tags"] = row["tags"].split(";") if row["tags"] else []
                row["metrics"] = json.loads(row["metrics"]) if row["metrics"] else None
                handle.write(orjson.dumps({name: row[name] for name in EXPORT_COLUMNS}) + b"\n")
            count += len(page)
    return count


def parquet_schema(label_names: bool = False) -> Any:
    """The columns of every Parquet file the monitor writes (export, backfill), typed: times
    with their zone, platforms, languages and labels as categories, tags as lists; an export
    has ``label_name`` too."""
    import pyarrow as pa

    category = pa.dictionary(pa.int32(), pa.string())
    schema = pa.schema(
        [
            ("platform", category),
            ("id", pa.string()),
            ("created_at", pa.timestamp("s", tz="UTC")),
            ("author", pa.string()),
            ("url", pa.string()),
            ("text", pa.string()),
            ("tags", pa.list_(pa.string())),
            ("lang", category),
            ("language", category),
            ("label", category),
            ("compound", pa.float64()),
            ("pos", pa.float64()),
            ("neu", pa.float64()),
            ("neg", pa.float64()),
            ("scorer_version", category),
            ("metrics", pa.string()),  # JSON: each platform counts engagement its own way
        ]
    )
    if label_names:
        schema = schema.insert(
            schema.get_field_index("label") + 1, pa.field("label_name", category)
        )
    return schema


def parquet_table(rows: Sequence[dict[str, Any]], label_names: bool = False) -> Any:
    """Rows shaped as the store gives them (``tags`` ';'-joined, times as stored) as a table."""
    import pyarrow as pa

    schema = parquet_schema(label_names)
    columns = {name: [row[name] for row in rows] for name in schema.names}
    columns["tags"] = [t.split(";") if t else [] for t in columns["tags"]]
    columns["created_at"] = [_seconds(t) for t in columns["created_at"]]
    return pa.Table.from_pydict(columns, schema=schema)


def _parquet(path: Path, pages: Iterator[list[dict[str, Any]]]) -> int:
    import pyarrow.parquet as pq

    count = 0
    with pq.ParquetWriter(path, parquet_schema(label_names=True)) as writer:
        for page in pages:
            writer.write_table(parquet_table(page, label_names=True))
            count += len(page)
    return count


def _seconds(stored: str) -> int:
    """The stored ``YYYY-MM-DDTHH:MM:SSZ`` as Unix seconds."""
    return int(datetime.fromisoformat(stored).timestamp())
