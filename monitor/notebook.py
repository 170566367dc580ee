"""The notebook's way in: a config and its database, with the library's calls given the config's
time zone, labels, alert rules and tracked tags, so a notebook gets the numbers and charts the
CLI and the report show.

    from monitor.notebook import Monitor
    with Monitor("monitor.toml") as m:
        frame = m.series(["WitkoffUkraine"], since="2025-11-01", by="platform")
        m.chart("split", ["WitkoffUkraine"], by="platform").savefig("split.png")
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from types import TracebackType

import pandas as pd
from matplotlib.figure import Figure

from monitor import charts, trends
from monitor.config import Config, load_config, prepare_parent_dir
from monitor.health import gaps_between
from monitor.settings import Analysis
from monitor.store import Store
from monitor.text import fold_tag
from monitor.wiring import ShareMethod, open_store, share_method

DEFAULT_DAYS = 14


class Monitor:
    """A config (``monitor.toml``, or the defaults) and its database (``db`` overrides it)."""

    def __init__(
        self, config: str | Path | Config | None = None, db: str | Path | None = None
    ) -> None:
        if isinstance(config, Config):
            loaded = config
        else:
            loaded = load_config(Path(config) if config else None)
        if db is not None:
            prepare_parent_dir(Path(db), "db", loaded)
            loaded = replace(loaded, database=Path(db))
        self.config = loaded
        self.store: Store = open_store(loaded)

    def __enter__(self) -> Monitor:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    @cached_property
    def share_method(self) -> ShareMethod:
        """How the shares are made for the active scorer (``[scoring] shares``): adjusted
        by its measured misclassification rates when known, else counted."""
        from monitor.wiring import active_scorer

        return share_method(self.config.scoring.shares, active_scorer(self.config), self.store)

    @property
    def rules(self) -> Analysis:
        """The config's ``[analysis]`` rules for the shares ``share_method`` makes (adjusted
        shares need ``min_posts_adjusted`` posts)."""
        return self.config.analysis.for_shares(self.share_method.name)

    def days(self, since: str | date | None, until: str | date | None) -> tuple[date, date]:
        """Local days ``since`` to ``until``: by default the last 14 up to today."""
        end = _day(until) or datetime.now(self.config.zone).date()
        start = _day(since) or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise ValueError(f"since {start} is after until {end}")
        return start, end

    def series(
        self,
        tags: Sequence[str] | None = None,
        since: str | date | None = None,
        until: str | date | None = None,
        freq: str = "D",
        by: str | None = None,
        platforms: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """``trends.series`` in the config's time zone, for the tracked tags by default, with
        the shares the report publishes (``share_method``) and its "n too small" rule
        (``rules``)."""
        start, end = self.days(since, until)
        return trends.series(
            self.store,
            self._tags(tags),
            start,
            end,
            self.config.timezone,
            freq,
            by,
            platforms,
            self.share_method.rates,
            self.rules.min_posts,
        )

    def chart(
        self,
        kind: str = "split",
        tags: Sequence[str] | None = None,
        since: str | date | None = None,
        until: str | date | None = None,
        freq: str = "D",
        by: str = "tag",
        platforms: Sequence[str] | None = None,
    ) -> Figure:
        """The chart ``monitor plot`` draws, with the config's labels, ``rules.min_posts`` and the
        collection gaps shaded."""
        return self.plot(kind, tags, since, until, freq, by, platforms)[1]

    def plot(
        self,
        kind: str = "split",
        tags: Sequence[str] | None = None,
        since: str | date | None = None,
        until: str | date | None = None,
        freq: str = "D",
        by: str = "tag",
        platforms: Sequence[str] | None = None,
    ) -> tuple[pd.DataFrame, Figure]:
        """The numbers and the chart of ``chart``, together."""
        start, end = self.days(since, until)
        frame = self.series(tags, start, end, freq, None if by == "tag" else by, platforms)
        gaps = gaps_between(self.store, self.config, start, end, platforms)
        figure = charts.chart(
            frame,
            kind,
            by,
            self.config.labels,
            self.rules.min_posts,
            gaps,
            self.config.timezone,
            self.config.events,
        )
        return frame, charts.title_filters(figure, self._tags(tags), start, end, platforms)

    def report(self, day: str | date | None = None, days: int | None = None) -> Path:
        """Write a day's report (yesterday's by default) where the config says; its path."""
        from monitor.report import write_report

        return write_report(
            self.store, self.config, _day(day), days or self.config.schedule.report_days
        )

    def _tags(self, tags: Sequence[str] | None) -> list[str]:
        return [fold_tag(t) for t in tags] if tags else list(self.config.tags)


def _day(value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)
