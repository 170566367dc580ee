"""The daily report: one folder per day with HTML, Markdown, chart PNGs, CSV and a manifest.

``write_report`` is what ``monitor report`` and the daily job call; it only reads the store.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from monitor import __version__, charts, trends
from monitor.config import Config
from monitor.health import collection_health
from monitor.sentiment import scorer_version
from monitor.store import Store

HEADLINE_BASELINE_DAYS = 7
TOP_POSTS = 3
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")


def safe_url(url: str | None) -> str | None:
    """Only http(s) links reach a report; ``javascript:`` and the like are dropped."""
    if not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None


def markdown_text(text: str) -> str:
    """A post's text as inert Markdown: one line, HTML entities, markup characters escaped."""
    text = " ".join(text.split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def percent(value: float) -> str:
    return "–" if value is None or math.isnan(value) else f"{value * 100:.0f}%"


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("monitor", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(safe_url=safe_url, md=markdown_text, percent=percent)
    return env


@dataclass
class TagSummary:
    """The headline numbers of one tag on the report day."""

    tag: str
    n: int
    baseline_mean: float
    change: float | None  # relative to the baseline mean; None when the baseline is 0
    shares: dict[str, tuple[float, float, float]]  # label → (share, lo, hi)
    platforms: list[dict[str, Any]]
    most_negative: list[dict[str, Any]]
    most_positive: list[dict[str, Any]]
    split_chart: str


def default_report_day(config: Config) -> date:
    """Yesterday in the configured time zone: the last complete day."""
    return datetime.now(config.zone).date() - timedelta(days=1)


def _day_span(day: date, timezone: str) -> tuple[int, int]:
    bucket = trends.day_buckets(day, day, timezone)[0]
    return bucket.start_ts, bucket.end_ts


def _summary(
    store: Store,
    config: Config,
    tag: str,
    day: date,
    frame: pd.DataFrame,
    by_platform: pd.DataFrame,
) -> TagSummary:
    rows = frame[frame["tag"] == tag].set_index("period")
    today = rows.loc[pd.Timestamp(day)]
    baseline = rows.loc[
        pd.Timestamp(day - timedelta(days=HEADLINE_BASELINE_DAYS)) : pd.Timestamp(
            day - timedelta(days=1)
        ),
        "n",
    ]
    mean = float(baseline.mean()) if len(baseline) else 0.0
    start_ts, end_ts = _day_span(day, config.timezone)
    threshold = config.labels.threshold
    platform_rows = by_platform[
        (by_platform["tag"] == tag) & (by_platform["period"] == pd.Timestamp(day))
    ]
    return TagSummary(
        tag=tag,
        n=int(today["n"]),
        baseline_mean=mean,
        change=(today["n"] - mean) / mean if mean else None,
        shares={
            label: (today[f"share_{label}"], today[f"share_{label}_lo"], today[f"share_{label}_hi"])
            for label in ("negative", "neutral", "positive")
        },
        platforms=platform_rows[platform_rows["n"] > 0].to_dict("records"),
        most_negative=store.extreme_posts(tag, start_ts, end_ts, "negative", threshold, TOP_POSTS),
        most_positive=store.extreme_posts(tag, start_ts, end_ts, "positive", threshold, TOP_POSTS),
        split_chart=f"split-{tag}.png",
    )


def write_report(
    store: Store,
    config: Config,
    day: date | None = None,
    days: int = 14,
    banner: str | None = None,
) -> Path:
    """Write ``<reports_dir>/<day>/`` and refresh ``<reports_dir>/index.html``; returns the
    day's ``index.html``. ``banner`` is shown at the top of the page (the demo uses it)."""
    day = day or default_report_day(config)
    start = day - timedelta(days=days - 1)
    # The headline compares with the 7 days before: fetch them even for a shorter window.
    fetch_start = min(start, day - timedelta(days=HEADLINE_BASELINE_DAYS))
    tags, tz, threshold = config.tags, config.timezone, config.labels.threshold
    full = trends.series(store, tags, fetch_start, day, tz, threshold)
    frame = full[full["period"] >= pd.Timestamp(start)].reset_index(drop=True)
    by_platform = trends.series(store, tags, start, day, tz, threshold, by_platform=True)

    out = config.reports_dir / day.isoformat()
    out.mkdir(parents=True, exist_ok=True)
    summaries = [_summary(store, config, tag, day, full, by_platform) for tag in tags]
    figures = {s.split_chart: charts.split_chart(frame, s.tag, config.labels) for s in summaries}
    figures["volume.png"] = charts.volume_chart(frame, tags)
    figures["sentiment.png"] = charts.sentiment_chart(frame, tags, config.labels)
    for name, figure in figures.items():
        figure.savefig(out / name, dpi=110)

    frame.to_csv(out / "daily.csv", index=False, date_format="%Y-%m-%d", float_format="%.6g")
    by_platform.to_csv(
        out / "daily_by_platform.csv", index=False, date_format="%Y-%m-%d", float_format="%.6g"
    )
    generated_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    manifest = {
        "report_day": day.isoformat(),
        "date_range": [start.isoformat(), day.isoformat()],
        "timezone": tz,
        "generated_at": generated_at,
        "monitor_version": __version__,
        "scorer_version": scorer_version(),
        "database": str(store.path),
        "banner": banner,
        "counts": {
            "posts_in_database": store.count_posts(),
            "posts_in_range": {tag: int(frame.loc[frame["tag"] == tag, "n"].sum()) for tag in tags},
            "posts_on_day": {s.tag: s.n for s in summaries},
            "daily_csv_rows": len(frame),
            "daily_by_platform_csv_rows": len(by_platform),
        },
        "files": sorted(
            [
                *figures,
                "daily.csv",
                "daily_by_platform.csv",
                "index.html",
                "report.md",
                "manifest.json",
            ]
        ),
        "config": config.public_dict(),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")

    context = {
        "day": day,
        "start": start,
        "days": days,
        "summaries": summaries,
        "labels": config.labels,
        "banner": banner,
        "manifest": manifest,
        "generated_at": generated_at,
        "threshold": threshold,
        "timezone": tz,
        "health": collection_health(store, config),
    }
    env = _environment()
    (out / "index.html").write_text(env.get_template("report.html").render(context))
    (out / "report.md").write_text(env.get_template("report.md").render(context))
    write_index(config.reports_dir, banner)
    return out / "index.html"


def write_index(reports_dir: Path, banner: str | None = None) -> Path:
    """``reports_dir/index.html``: every report day, newest first."""
    days = sorted(
        (
            p.name
            for p in reports_dir.iterdir()
            if p.is_dir()
            and re.fullmatch(r"\d{4}-\d{2}-\d{2}", p.name)
            and (p / "index.html").exists()
        ),
        reverse=True,
    )
    path = reports_dir / "index.html"
    path.write_text(_environment().get_template("index.html").render(days=days, banner=banner))
    return path
