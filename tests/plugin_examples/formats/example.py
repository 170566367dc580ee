"""Example import format: the example platform's items, one JSON object a line."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from monitor.platforms.example import item_to_post

from monitor.formats.base import Importer, ImportOptions, Item, fill_tags


class ExampleLines(Importer):
    name = "example-lines"
    title = "the example platform's items, JSON Lines"
    rank = 10

    def sniff(self, first: Any) -> bool:
        return isinstance(first, dict) and "example_id" in first

    def items(self, record: Any, where: str, options: ImportOptions) -> Iterator[Item]:
        yield fill_tags(item_to_post(record), options.tags)
