"""Parquet as ``monitor backfill`` and ``monitor export`` write it: the monitor's own records
with the score each post was given (language, label, the four numbers, the scorer version).

Read by ``monitor import DIR`` (every ``.parquet`` under DIR, in name order) or a ``.parquet``
file. A post whose scorer version is the active one keeps its score: nothing is scored again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from typing import Any

from monitor.formats.base import Importer, ImportOptions
from monitor.formats.canonical import record_to_post
from monitor.models import Post, PrescoredPost, Score

REQUIRED = {"platform", "id", "created_at", "text", "tags", "language", "label", "scorer_version"}
NUMBERS = ("compound", "pos", "neu", "neg")


class ParquetPosts(Importer):
    name = "parquet"
    title = "Parquet written by 'monitor backfill' (or export): posts with their scores"
    layout = "parquet"

    def sniff(self, first: Any) -> bool:
        return set(first) >= REQUIRED

    def items(self, record: Any, where: str, options: ImportOptions) -> Iterator[Post]:
        created = record.get("created_at")
        post = record_to_post(
            {**record, "created_at": created.isoformat() if created else None},
            options.platform,
            options.tags,
            options.time,
        )
        label = record.get("label")
        score = Score(
            record.get("language") or "und",
            label,
            *((record[n] for n in NUMBERS) if label else ()),
        )
        yield PrescoredPost(
            **{f.name: getattr(post, f.name) for f in fields(Post)},
            score=score,
            version=record.get("scorer_version") or "",
        )
