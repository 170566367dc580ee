"""The daily report: one folder per day with HTML, Markdown, chart PNGs, CSV and a manifest.

``write_report`` is what ``monitor report`` and the daily job call; it only reads the store.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import astuple, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from monitor import __version__, analysis, charts, trends
from monitor.config import Config
from monitor.drivers import Drivers, drivers
from monitor.errors import MonitorError
from monitor.health import collection_health, coverage_between, gaps_between
from monitor.language import language_name
from monitor.publish import replace_file, staged_folder
from monitor.quantify import Rates
from monitor.scoring.base import Scorer
from monitor.settings import Analysis
from monitor.store import Store
from monitor.text import spreadsheet_safe
from monitor.wiring import ShareMethod, active_scorer, held_out, share_method

HEADLINE_BASELINE_DAYS = 7
TOP_POSTS = 3
# An adjusted share's interval wider than this (half the scale) says little on its own: the card
# says what it holds and how to narrow it (more hand labels behind the scorer's rates).
WIDE_INTERVAL = 0.5
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


def markdown_url(url: str) -> str:
    """A URL inside a Markdown autolink ``<...>``: what would end or break it is escaped."""
    return url.replace(" ", "%20").replace("<", "%3C").replace(">", "%3E").replace("\n", "")


def markdown_text(text: str) -> str:
    """A post's text as inert Markdown: one line, HTML entities, markup characters escaped."""
    text = " ".join(text.split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def percent(value: float) -> str:
    return "–" if value is None or math.isnan(value) else f"{value * 100:.0f}%"


def percent_range(lo: float, hi: float) -> str:
    """A 95% interval as the headlines write it: "29-62%"."""
    if any(v is None or math.isnan(v) for v in (lo, hi)):
        return "–"
    return f"{lo * 100:.0f}-{hi * 100:.0f}%"


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("monitor", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        safe_url=safe_url,
        md=markdown_text,
        md_url=markdown_url,
        percent=percent,
        percent_range=percent_range,
        language=language_name,
    )
    return env


@dataclass
class AlertView:
    """An alert as the report shows it: the sentence, and the posts behind it. ``key`` names
    it for good (what moved, for which tag, from which moment), so a channel told once about
    it is never told again."""

    text: str
    kind: str
    posts: list[dict[str, Any]]
    tag: str
    key: str

    def as_dict(self) -> dict[str, Any]:
        """The alert as the manifest keeps it (and channels send it)."""
        fields = ("platform", "author", "created_at", "text", "url", "label", "compound")
        posts = [{f: post.get(f) for f in fields} for post in self.posts]
        return {
            "key": self.key,
            "tag": self.tag,
            "kind": self.kind,
            "text": self.text,
            "posts": posts,
        }


@dataclass
class TagSummary:
    """The headline numbers of one tag on the report day, and its comparisons."""

    tag: str
    n: int
    n_scored: int  # the posts the shares rest on (the rest: languages the scorer does not read)
    too_small: bool  # fewer scored posts than [analysis] min_posts: no shares shown
    blind: bool  # rates that cannot tell the labels apart: the shares are only as labelled
    wide: bool  # an adjusted share shown has an interval wider than WIDE_INTERVAL
    baseline_mean: float
    baseline_days: int  # the days before that the mean rests on: collected ones only
    change: float | None  # relative to the baseline mean; None when the baseline is 0
    shares: dict[str, tuple[float, float, float]]  # label → (share, lo, hi)
    platforms: list[dict[str, Any]]
    differences_day: list[str]
    differences_window: list[str]
    most_negative: list[dict[str, Any]]
    most_positive: list[dict[str, Any]]
    split_chart: str
    platform_chart: str | None
    platform_rows: pd.DataFrame  # the window by platform, platforms with posts only
    languages: list[dict[str, Any]]  # the day's posts per detected language
    drivers: Drivers  # words, hashtags and authors behind the day's mood
    quiet: bool  # no post in the whole window (and the days before): one line, no section


def _headline(summary: TagSummary, config: Config) -> str:
    """One line for the index: posts and the split, or why there is no split."""
    head = f"#{summary.tag}: {summary.n} posts"
    if summary.too_small:
        return f"{head}, n too small for shares"
    (negative, neg_lo, neg_hi), (positive, pos_lo, pos_hi) = (
        summary.shares[label] for label in ("negative", "positive")
    )
    if summary.blind:
        return (
            f"{head}, shares not told: the scorer cannot tell the labels apart (as labelled "
            f"{percent(negative)} {config.labels.negative}, {percent(positive)} "
            f"{config.labels.positive})"
        )
    return (
        f"{head}, {percent(negative)} {config.labels.negative} "
        f"({percent_range(neg_lo, neg_hi)}, n={summary.n_scored}), "
        f"{percent(positive)} {config.labels.positive} ({percent_range(pos_lo, pos_hi)})"
    )


def default_report_day(config: Config) -> date:
    """Yesterday in the configured time zone: the last complete day."""
    return datetime.now(config.zone).date() - timedelta(days=1)


def _summary(
    store: Store,
    config: Config,
    scorer: Scorer,
    rates: Rates | None,
    rules: Analysis,
    tag: str,
    day: date,
    frame: pd.DataFrame,
    by_platform: pd.DataFrame,
    languages: pd.DataFrame,
) -> TagSummary:
    """One tag's card, by ``rules`` (the config's, for the shares ``rates`` make)."""
    display = _display(config)
    rows = frame[frame["tag"] == tag].set_index("period")
    today = rows.loc[pd.Timestamp(day)]
    before = rows.loc[
        pd.Timestamp(day - timedelta(days=HEADLINE_BASELINE_DAYS)) : pd.Timestamp(
            day - timedelta(days=1)
        )
    ]
    baseline = before.loc[before["collected"], "n"] if "collected" in before else before["n"]
    mean = float(baseline.mean()) if len(baseline) else 0.0
    start_ts, end_ts = astuple(trends.day_span(day, day, config.timezone))
    tag_rows = by_platform[by_platform["tag"] == tag]
    active = tag_rows.groupby("platform")["n"].sum()
    tag_rows = tag_rows[tag_rows["platform"].isin(active[active > 0].index)]
    day_rows = tag_rows[tag_rows["period"] == pd.Timestamp(day)]
    platforms = day_rows[day_rows["n"] > 0].to_dict("records")
    tag_languages = languages[(languages["tag"] == tag) & (languages["n"] > 0)]
    blind = rates is not None and not rates.tell_labels_apart
    return TagSummary(
        tag=tag,
        n=int(today["n"]),
        n_scored=int(today["n_scored"]),
        too_small=bool(today["too_small"]),
        blind=blind,
        wide=rates is not None
        and not (blind or today["too_small"])
        and any(
            today[f"share_{label}_hi"] - today[f"share_{label}_lo"] > WIDE_INTERVAL
            for label in ("negative", "positive")
        ),
        baseline_mean=mean,
        baseline_days=len(baseline),
        change=(today["n"] - mean) / mean if mean else None,
        shares={
            label: (today[f"share_{label}"], today[f"share_{label}_lo"], today[f"share_{label}_hi"])
            for label in ("negative", "neutral", "positive")
        },
        platforms=platforms,
        differences_day=[
            d.describe(display) for d in analysis.compare_groups(day_rows, "platform", rules, rates)
        ],
        differences_window=[
            d.describe(display) for d in analysis.compare_groups(tag_rows, "platform", rules, rates)
        ],
        drivers=drivers(
            store,
            scorer,
            tag,
            trends.Bucket(start_ts, end_ts),
            trends.day_span(
                day - timedelta(days=rules.baseline_days), day - timedelta(days=1), config.timezone
            ),
        ),
        most_negative=store.top_posts(tag, start_ts, end_ts, "negative", TOP_POSTS),
        most_positive=store.top_posts(tag, start_ts, end_ts, "positive", TOP_POSTS),
        split_chart=f"split-{tag}.png",
        platform_chart=f"platforms-{tag}.png" if len(active[active > 0]) > 1 else None,
        platform_rows=tag_rows,
        languages=tag_languages.sort_values(["n", "language"], ascending=[False, True]).to_dict(
            "records"
        ),
        quiet=not rows["n"].any(),
    )


def _display(config: Config) -> dict[str, str]:
    return {label: config.labels.display(label) for label in ("negative", "neutral", "positive")}


def _alerts(
    store: Store,
    config: Config,
    shares: ShareMethod,
    day: date,
    start: date,
    frame: pd.DataFrame,
) -> tuple[list[AlertView], list[str]]:
    """Alerts on the report day (daily and hourly), each with the posts behind it, and the
    daily alerts earlier in the window as sentences. Share alerts follow the rules for the
    ``shares`` method (adjusted shares need more posts, and rates that tell the labels
    apart); volume alerts, the config's."""
    rules, tz = config.analysis, config.timezone
    if "collected" not in frame:
        frame = _mark_collected(store, config, frame["period"].min().date(), day, frame, DAY)
    daily = analysis.volume_spikes(frame, rules) + analysis.share_shifts(
        frame, rules.for_shares(shares.name), rates=shares.rates
    )
    first_hour = day - timedelta(days=rules.baseline_days)
    hourly_frame = trends.series(store, config.tags, first_hour, day, tz, freq="H")
    hourly_frame = _mark_collected(store, config, first_hour, day, hourly_frame, HOUR)
    hourly = [a for a in analysis.volume_spikes(hourly_frame, rules) if a.period.date() == day]
    today, earlier = [], []
    zone = config.zone
    for alert in sorted(daily + hourly, key=lambda a: (_instant(a.period, zone), a.tag)):
        text = alert.describe(_display(config), rules.baseline_days)
        if alert.period.date() == day:
            hours = 1 if alert in hourly else 24
            lo = int(_instant(alert.period, zone).timestamp())
            if alert.kind == "volume":
                by = "engagement"
            elif alert.value > alert.baseline:
                by = alert.label
            else:  # a label's share fell: show what the day leaned towards instead
                by = "positive" if alert.label == "negative" else "negative"
            posts = store.top_posts(alert.tag, lo, lo + hours * 3600, by, TOP_POSTS)
            key = f"{alert.kind}:{alert.tag}:{alert.label or ''}:{hours}h:{lo}"
            today.append(AlertView(text, alert.kind, posts, alert.tag, key))
        elif alert.period.date() >= start and alert not in hourly:
            earlier.append(alert)
    return today, _collapse_runs(earlier, _display(config), rules.baseline_days)


DAY, HOUR = pd.Timedelta(days=1), pd.Timedelta(hours=1)
# A report's charts: by day up to 90 days, by ISO week up to two years, by month beyond.
WEEKS_AFTER_DAYS, MONTHS_AFTER_DAYS = 90, 731
PERIOD_NAMES = {"D": "day", "W": "week", "M": "month"}


def chart_freq(days: int) -> str:
    """The period a report of ``days`` days charts by: a bar a reader can still see."""
    return "M" if days > MONTHS_AFTER_DAYS else "W" if days > WEEKS_AFTER_DAYS else "D"


def _mark_collected(
    store: Store, config: Config, start: date, end: date, frame: pd.DataFrame, step: pd.Timedelta
) -> pd.DataFrame:
    """The frame with ``collected``: False for periods no collect or archive covered, which
    baselines leave out (a zero there is no quiet day)."""
    gaps = gaps_between(store, config, start, end)
    return frame.assign(collected=analysis.covered(frame["period"], step, gaps, config.timezone))


def day_alerts(store: Store, config: Config, day: date) -> list[AlertView]:
    """The alerts of ``day`` so far (daily and hourly), each with the posts behind it: what
    that day's report lists, and what channels with ``send = "alerts"`` are told as it
    happens."""
    start = day - timedelta(days=analysis.history_days(config.analysis))
    with store.snapshot():
        shares = share_method(config.scoring.shares, active_scorer(config), store)
        frame = trends.series(store, config.tags, start, day, config.timezone, rates=shares.rates)
        return _alerts(store, config, shares, day, day, frame)[0]


def _instant(period: pd.Timestamp, zone: ZoneInfo) -> pd.Timestamp:
    """When a period starts: an hour carries its zone; a day is its local midnight."""
    if period.tz is not None:
        return period
    return period.tz_localize(zone, ambiguous=True, nonexistent="shift_forward")


def _collapse_runs(
    alerts: list[analysis.Alert], display: dict[str, str], baseline_days: int
) -> list[str]:
    """One sentence per run of the same alert on consecutive days: a sustained shift keeps
    firing until the baseline catches up, and one line says so."""
    runs: list[list[analysis.Alert]] = []
    for alert in sorted(alerts, key=lambda a: (a.tag, a.kind, a.label or "", a.period)):
        last = runs[-1][-1] if runs else None
        same = (
            last is not None
            and (last.tag, last.kind, last.label) == (alert.tag, alert.kind, alert.label)
            and (last.value > last.baseline) == (alert.value > alert.baseline)
            and alert.period - last.period == pd.Timedelta(days=1)
        )
        if same:
            runs[-1].append(alert)
        else:
            runs.append([alert])
    lines = []
    for run in sorted(runs, key=lambda r: r[0].period):
        text = run[0].describe(display, baseline_days)
        if len(run) > 1:
            text += (
                "; again the next day"
                if len(run) == 2
                else f"; again on each of the next {len(run) - 1} days"
            )
        lines.append(text)
    return lines


def write_report(
    store: Store,
    config: Config,
    day: date | None = None,
    days: int = 14,
    banner: str | None = None,
) -> Path:
    """Write ``<reports_dir>/<day>/`` and refresh ``<reports_dir>/index.html``; returns the
    day's ``index.html``. ``banner`` is shown at the top of the page (the demo uses it).

    A report is one moment and is published whole: every number comes from one read
    transaction, and the files are written to a staging folder that then takes the day
    folder's place by rename, so a reader (or a kill -9) never meets half a report."""
    day = day or default_report_day(config)
    if not trends.day_exists(day, config.timezone):
        raise MonitorError(
            f"{day} did not happen in {config.timezone} (its clocks skipped that day): "
            "no report can be written for it"
        )
    reports = config.reports_dir
    with staged_folder(reports, day.isoformat()) as staging, store.snapshot():
        _write_day(store, config, day, days, banner, staging)
    write_index(reports, banner)
    return reports / day.isoformat() / "index.html"


def _write_day(
    store: Store, config: Config, day: date, days: int, banner: str | None, out: Path
) -> None:
    """The day's charts, CSVs, manifest and pages, into ``out``."""
    start = day - timedelta(days=days - 1)
    tags, tz, scorer = config.tags, config.timezone, active_scorer(config)
    shares = share_method(config.scoring.shares, scorer, store)
    rules = config.analysis.for_shares(shares.name)
    # The headline and the alerts compare with the days before: fetch those too.
    fetch_start = start - timedelta(days=max(HEADLINE_BASELINE_DAYS, analysis.history_days(rules)))
    full, full_by_platform = trends.series_by_tag_and_platform(
        store, tags, fetch_start, day, tz, rates=shares.rates, min_posts=rules.min_posts
    )
    full = _mark_collected(store, config, fetch_start, day, full, pd.Timedelta(days=1))
    frame = full[full["period"] >= pd.Timestamp(start)].reset_index(drop=True)
    by_platform = full_by_platform[full_by_platform["period"] >= pd.Timestamp(start)]
    by_platform = by_platform.reset_index(drop=True)
    gaps = gaps_between(store, config, start, day)
    alerts, earlier_alerts = _alerts(store, config, shares, day, start, full)

    languages = trends.series(store, tags, day, day, tz, by="language")
    summaries = [
        _summary(store, config, scorer, shares.rates, rules, tag, day, full, by_platform, languages)
        for tag in tags
    ]
    freq = chart_freq(days)
    if freq == "D":
        chart, chart_by_platform = frame, by_platform
    else:  # a long window is charted by week or month; the CSVs keep the days
        chart, chart_by_platform = trends.series_by_tag_and_platform(
            store, tags, start, day, tz, freq, shares.rates, rules.min_posts
        )
    unit = PERIOD_NAMES[freq]
    figures = {
        s.split_chart: charts.split_chart(chart, s.tag, config.labels, rules.min_posts, gaps, tz)
        for s in summaries
    }
    for s in summaries:
        if s.platform_chart:
            platforms = set(s.platform_rows["platform"])
            figures[s.platform_chart] = charts.split_grid(
                chart_by_platform[
                    (chart_by_platform["tag"] == s.tag)
                    & chart_by_platform["platform"].isin(platforms)
                ],
                "platform",
                config.labels,
                rules.min_posts,
                gaps,
                tz,
                title=f"#{s.tag} by platform: {config.labels.negative} vs "
                f"{config.labels.positive} per {unit} (shared scales)",
            )
    figures["volume.png"] = charts.volume_chart(chart, gaps=gaps, timezone=tz)
    figures["sentiment.png"] = charts.sentiment_chart(
        chart, labels=config.labels, gaps=gaps, timezone=tz
    )
    for name, figure in figures.items():
        charts.mark_events(figure, config.events, chart["period"])
        figure.savefig(out / name, dpi=110)

    frame.to_csv(out / "daily.csv", index=False, date_format="%Y-%m-%d", float_format="%.6g")
    by_platform.assign(platform=by_platform["platform"].map(spreadsheet_safe)).to_csv(
        out / "daily_by_platform.csv", index=False, date_format="%Y-%m-%d", float_format="%.6g"
    )
    generated_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    manifest = {
        "report_day": day.isoformat(),
        "date_range": [start.isoformat(), day.isoformat()],
        "timezone": tz,
        "generated_at": generated_at,
        "monitor_version": __version__,
        "scorer": scorer.name,
        "scorer_version": scorer.version,
        "scorer_languages": list(scorer.languages),
        # Every version that scored the posts of the database this report reads (the active
        # one, and any stale ones that 'monitor rescore' would update), with its posts.
        "scorer_versions_in_database": store.scorer_versions(),
        # How the shares were made: adjusted counts and the rates behind them, or counts.
        "shares": {
            "method": shares.name,
            "note": shares.note,
            "warning": shares.warning,
            "rates": shares.rates.as_dict() if shares.rates else None,
        },
        "database": str(store.path),
        "charts_by": unit,  # day, week or month: by the window's length
        "banner": banner,
        "counts": {
            "posts_in_database": store.count_posts(),
            "posts_in_range": {tag: int(frame.loc[frame["tag"] == tag, "n"].sum()) for tag in tags},
            "posts_scored_in_range": {
                tag: int(frame.loc[frame["tag"] == tag, "n_scored"].sum()) for tag in tags
            },
            "posts_on_day": {s.tag: s.n for s in summaries},
            "headline": {s.tag: _headline(s, config) for s in summaries},
            "posts_scored_on_day": {s.tag: s.n_scored for s in summaries},
            "posts_with_stale_score": store.count_stale(scorer.version),
            "daily_csv_rows": len(frame),
            "daily_by_platform_csv_rows": len(by_platform),
            "alerts_on_day": len(alerts),
            "alerts_on_day_by_tag": {tag: sum(a.tag == tag for a in alerts) for tag in tags},
            "collection_gaps": len(gaps),
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
        "alerts": [alert.as_dict() for alert in alerts],
        "config": config.public_dict(),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")

    context = {
        "day": day,
        "start": start,
        "days": days,
        "charts_by": unit,
        "summaries": summaries,
        "labels": config.labels,
        "banner": banner,
        "manifest": manifest,
        "generated_at": generated_at,
        "method": method(store, scorer, frame, manifest, shares),
        "timezone": tz,
        "rules": rules,
        "alerts": alerts,
        "earlier_alerts": earlier_alerts,
        "gaps": gaps,
        "coverage": coverage_between(store, config, start, day),
        "events": [(d, label) for d, label in config.events.items() if start <= d <= day],
        "health": collection_health(store, config),
    }
    env = _environment()
    (out / "index.html").write_text(env.get_template("report.html").render(context))
    (out / "report.md").write_text(env.get_template("report.md").render(context))


def method(
    store: Store,
    scorer: Scorer,
    frame: pd.DataFrame,
    manifest: dict[str, Any],
    shares: ShareMethod,
) -> dict[str, Any]:
    """What the report says of the labels: the scorer, what it reads, how much of the window
    it scored, stale scores, how the shares are made, and how far to trust it (the latest
    held-out check against hand labels for this scorer version, else published figures; a
    warning when the latest check was of another version, or on labels it was fitted on)."""
    n, scored = int(frame["n"].sum()), int(frame["n_scored"].sum())
    evaluation = store.latest_evaluation(scorer.version)
    in_sample = evaluation is not None and not held_out(evaluation["result"], scorer)
    latest = store.latest_evaluation()
    return {
        "evaluation": None if in_sample else evaluation,
        "in_sample_evaluation": evaluation if in_sample else None,
        "shares": shares,
        "other_evaluation": latest if latest and latest != evaluation else None,
        "scorer": scorer,
        "languages": ", ".join(map(language_name, scorer.languages)),
        "n": n,
        "n_scored": scored,
        "share_scored": scored / n if n else float("nan"),
        "stale": manifest["counts"]["posts_with_stale_score"],
        "agreement": scorer.published_agreement(),
    }


def _day_headline(folder: Path) -> list[str]:
    """The headline lines a day's manifest keeps (none for reports written before it did)."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
        return list(manifest["counts"]["headline"].values())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return []


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
    headlines = {day: _day_headline(reports_dir / day) for day in days}
    path = reports_dir / "index.html"
    page = _environment().get_template("index.html")
    replace_file(path, page.render(days=days, headlines=headlines, banner=banner))
    return path
