"""matplotlib Figures of the trend frames: the only module that imports matplotlib.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot state), so they are safe in a
scheduler thread and in a notebook alike. Colours are the Okabe-Ito palette, which readers with
the common colour-vision deficiencies can tell apart. Each period is drawn across its own span
(a day's bar covers the day), so shaded collection gaps line up with the periods they hit.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from datetime import date

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter

from monitor.analysis import NOT_COLLECTED, Gap, covered, gap_on_axis
from monitor.language import language_name
from monitor.settings import Labels
from monitor.text import wall_clock

# Okabe & Ito (2008), "Color Universal Design".
LABEL_COLOURS = {"negative": "#D55E00", "neutral": "#BBBBBB", "positive": "#0072B2"}
DEFAULT_LABELS = Labels()
SERIES_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000"]
GAP_COLOUR = "#999999"
EVENT_COLOUR = "#333333"
LABELLED_BARS = 31  # more bars than this get their n as a line instead of a label each
FLAT_LABELS = 16  # more bars than this get their n labels upright
KINDS = ("split", "volume", "sentiment")


# A period's length as charts draw it: an hour, a day, a week, or a month (30 days wide).
STEPS = {
    "hour": pd.Timedelta(hours=1),
    "day": pd.Timedelta(days=1),
    "week": pd.Timedelta(days=7),
    "month": pd.Timedelta(days=30),
}


FEW_PERIODS = 21  # up to this many days, weeks or months, every one is named on the axis


def _unit(periods: pd.Series) -> str:
    """Hour, day, week or month: told by the usual distance between periods (the first or
    last week or month of a range may be cut short)."""
    unique = periods.drop_duplicates().sort_values()
    if len(unique) < 2:
        return "day"
    usual = unique.diff().dropna().median()
    if usual <= pd.Timedelta(hours=1):
        return "hour"
    if usual >= pd.Timedelta(days=28):
        return "month"
    return "week" if usual >= pd.Timedelta(days=7) else "day"


def _step(periods: pd.Series) -> pd.Timedelta:
    return STEPS[_unit(periods)]


def _lengths(periods: pd.Series) -> pd.Series:
    """Each period's length: to the next period (a week or month the range cuts is
    shorter), the last one the usual step."""
    unique = periods.drop_duplicates().sort_values()
    lengths = (unique.shift(-1) - unique).fillna(_step(periods))
    return periods.map(dict(zip(unique, lengths, strict=True)))


def _centres(periods: pd.Series) -> pd.Series:
    return periods + _lengths(periods) / 2


def _time_axis(ax: Axes, periods: pd.Series) -> None:
    """Ticks only at periods the chart has (none past the last one), labelled as the zone's
    clocks read; on hourly axes the hour a fall-back repeats shows its UTC offset."""
    if not len(periods):
        return
    step = _step(periods)
    first, last = periods.min(), periods.max()
    ax.set_xlim(first, last + step)  # before any tick: reference lines span all of time
    zone = periods.dt.tz  # hourly periods carry their zone; daily ones are calendar dates
    unit = _unit(periods)
    if unit != "hour" and periods.nunique() <= FEW_PERIODS:  # each bar named under it
        middle = step / pd.Timedelta(days=1) / 2
        ticks = [mdates.date2num(t) + middle for t in periods.drop_duplicates()]
        fmt = {"day": "%a %d %b", "week": "%d %b %Y", "month": "%b %Y"}[unit]
    else:
        locator = mdates.AutoDateLocator(tz=zone, minticks=4, maxticks=12)
        middle = 0.5 if step == pd.Timedelta(days=1) else 0.0  # under a day's bar, not its edge
        ticks = [
            tick + middle
            for tick in locator.tick_values(first.to_pydatetime(), last.to_pydatetime())
            if mdates.date2num(first) <= tick <= mdates.date2num(last)
        ]
        fmt = (
            "%d %b %H:%M"
            if step < pd.Timedelta(days=1)
            else "%b %Y"
            if step >= STEPS["month"]
            else "%d %b %Y"
        )
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(  # a tick names the period (or day) it sits in
        FuncFormatter(lambda x, _: wall_clock(mdates.num2date(x - middle, tz=zone), fmt))
    )
    ax.tick_params(axis="x", labelrotation=30)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


# How the two kinds of missing time are drawn: a source that failed or stopped ("collection
# gap"), and time no collect or import covered at all ("not collected": zero there means
# nothing, not quiet).
GAP_STYLES = {
    "collection gap": {"facecolor": GAP_COLOUR, "alpha": 0.25, "hatch": "//"},
    NOT_COLLECTED: {"facecolor": GAP_COLOUR, "alpha": 0.15, "hatch": "xx"},
}


def _kind(gap: Gap) -> str:
    return NOT_COLLECTED if gap.reason == NOT_COLLECTED else "collection gap"


def _shade_gaps(ax: Axes, gaps: Sequence[Gap], timezone: str, periods: pd.Series) -> bool:
    """Grey hatched spans where a source collected nothing, dotted where nothing was
    collected or imported at all; True if any was drawn. On a daily axis (calendar dates, no
    zone) a gap is drawn at its local wall-clock times."""
    for gap in gaps:
        start, end = gap_on_axis(gap, timezone, periods)
        ax.axvspan(
            start, end, edgecolor=GAP_COLOUR, linewidth=0, zorder=0, **GAP_STYLES[_kind(gap)]
        )
    return bool(gaps)


def _gap_handles(gaps: Sequence[Gap]) -> list[Patch]:
    """One legend entry per kind of missing time the chart shows."""
    kinds = {_kind(gap) for gap in gaps}
    return [
        Patch(edgecolor=GAP_COLOUR, label=kind, **style)
        for kind, style in GAP_STYLES.items()
        if kind in kinds
    ]


def _bars(
    ax: Axes,
    centres: pd.Series,
    heights: np.ndarray,
    bottoms: np.ndarray,
    widths: pd.Series,
    label: str,
    **style: object,
) -> None:
    """Bars as one PolyCollection: the same picture as ``ax.bar``, one artist instead of one
    patch per bar, which keeps a 90-day report fast."""
    x = mdates.date2num(centres.to_numpy())
    half = (widths / pd.Timedelta(days=1) / 2).to_numpy()
    top = bottoms + heights
    verts = np.stack(
        [
            np.column_stack([x - half, bottoms]),
            np.column_stack([x - half, top]),
            np.column_stack([x + half, top]),
            np.column_stack([x + half, bottoms]),
        ],
        axis=1,
    )
    ax.add_collection(PolyCollection(verts, label=label, **style))


def _collected(periods: pd.Series, gaps: Sequence[Gap], timezone: str) -> pd.Series:
    return covered(periods, _step(periods), gaps, timezone)


def _stacked_shares(
    ax: Axes, rows: pd.DataFrame, labels: Labels, min_posts: int, collected: pd.Series
) -> None:
    """Stacked label shares of the scored posts per period, with the n they rest on (above each
    bar, or as a line when there are many); periods with fewer than ``min_posts`` scored posts
    get an empty hatched bar, "n too small", instead of shares nobody should repeat; periods
    not ``collected`` get nothing (their shading says why)."""
    rows = rows.sort_values("period")
    collected = collected.loc[rows.index]
    x = _centres(rows["period"])
    widths = _lengths(rows["period"]) * 0.8
    small = (rows["n_scored"] < min_posts) & collected
    bottom = np.zeros(len(rows))
    for label in ("negative", "neutral", "positive"):
        share = (rows[f"share_{label}"].fillna(0).where(~small, 0) * 100).to_numpy()
        _bars(
            ax,
            x,
            share,
            bottom,
            widths,
            label=labels.display(label),
            facecolor=LABEL_COLOURS[label],
            edgecolor="white",
            linewidth=0.5,
        )
        bottom = bottom + share
    shown = ~small & rows["n_scored"].gt(0)
    if shown.any():
        # The skeptical share's 95% interval at the top of its segment: how far to trust it.
        negative = rows.loc[shown, "share_negative"].to_numpy() * 100
        ax.errorbar(
            x[shown.to_numpy()],
            negative,
            yerr=np.clip(  # rounding can put a bound a hair inside its share
                [
                    negative - rows.loc[shown, "share_negative_lo"].to_numpy() * 100,
                    rows.loc[shown, "share_negative_hi"].to_numpy() * 100 - negative,
                ],
                0,
                None,
            ),
            fmt="none",
            ecolor="#222222",
            elinewidth=1,
            capsize=2,
            label=f"95% interval ({labels.negative})",
        )
    if small.any():
        _bars(
            ax,
            x[small],
            np.full(int(small.sum()), 100.0),
            np.zeros(int(small.sum())),
            widths[small],
            label=f"n too small (< {min_posts})",
            facecolor="none",
            hatch="..",
            edgecolor="#BBBBBB",
            linewidth=0.5,
        )
    if len(rows) > LABELLED_BARS:
        # Too many bars to label: n per period as one line against its own axis.
        counts = ax.twinx()
        counts.plot(
            x,
            rows["n_scored"].where(collected),
            color="#333333",
            linewidth=1,
            drawstyle="steps-mid",
            label="scored posts (n)",
        )
        counts.set_ylim(0, max(1, rows["n_scored"].max()) * 1.1)
        counts.set_ylabel("scored posts (n, line)")
        counts.spines["top"].set_visible(False)
        ax.set_ylim(0, 100)
    else:
        # Side by side up to two weeks; beyond, upright so that a month's labels never touch.
        upright = len(rows) > FLAT_LABELS
        for centre, n in zip(x[collected], rows.loc[collected, "n_scored"], strict=True):
            ax.annotate(
                f"n={n}",
                (centre, 101),
                ha="center",
                va="bottom",
                fontsize=7 if upright else 8,
                rotation=90 if upright else 0,
                color="#333333",
            )
        ax.set_ylim(0, 118 if upright else 110)
    ax.set_yticks(range(0, 101, 25))


def split_chart(
    frame: pd.DataFrame,
    tag: str,
    labels: Labels = DEFAULT_LABELS,
    min_posts: int = 1,
    gaps: Sequence[Gap] = (),
    timezone: str = "UTC",
) -> Figure:
    """Stacked shares of the three labels per period for one tag, with n above each bar.

    ``frame`` is ``trends.series`` output; rows of other tags are ignored."""
    rows = frame[frame["tag"] == tag]
    fig = Figure(figsize=(10, 4.8), layout="constrained")
    ax = fig.add_subplot()
    _stacked_shares(ax, rows, labels, min_posts, _collected(rows["period"], gaps, timezone))
    shaded = _shade_gaps(ax, gaps, timezone, rows["period"])
    unit = _unit(rows["period"])
    ax.set_ylabel(f"share of the {unit}'s scored posts (%)")
    ax.set_xlabel(unit)
    method = {
        "adjusted": "adjusted counts (corrected for the scorer's measured errors)",
        "blind": "as labelled: the scorer's measured errors cannot tell the labels apart",
    }.get(frame.attrs.get("shares", "count"), "counted from the scorer's labels")
    ax.set_title(
        f"#{tag}: {labels.negative} vs {labels.positive}, share of scored posts per {unit}\n"
        f"{method}; {int(rows['n_scored'].sum())} of {int(rows['n'].sum())} posts scored",
        loc="left",
    )
    handles, names = ax.get_legend_handles_labels()
    if shaded:
        handles += _gap_handles(gaps)
    ax.legend(handles=handles, ncols=5, loc="upper left", bbox_to_anchor=(0, -0.28), frameon=False)
    _time_axis(ax, rows["period"])
    return fig


def split_grid(
    frame: pd.DataFrame,
    facet: str,
    labels: Labels = DEFAULT_LABELS,
    min_posts: int = 1,
    gaps: Sequence[Gap] = (),
    timezone: str = "UTC",
    title: str = "",
) -> Figure:
    """One stacked-share panel per ``facet`` value (platform, or tag), on shared scales."""
    values = list(dict.fromkeys(frame[facet]))
    fig = Figure(figsize=(10, 1.0 + 2.3 * len(values)), layout="constrained")
    axes = fig.subplots(len(values), 1, sharex=True, sharey=True, squeeze=False)[:, 0]
    for ax, value in zip(axes, values, strict=True):
        rows = frame[frame[facet] == value]
        platform_gaps = [g for g in gaps if facet != "platform" or g.source in (value, "")]
        collected = _collected(rows["period"], platform_gaps, timezone)
        _stacked_shares(ax, rows, labels, min_posts, collected)
        _shade_gaps(ax, platform_gaps, timezone, rows["period"])
        ax.set_title(
            f"{_series_name(facet, value)}  ({int(rows['n'].sum())} posts,"
            f" {int(rows['n_scored'].sum())} scored)",
            loc="left",
            fontsize=10,
        )
        ax.set_ylabel("share (%)")
        _time_axis(ax, rows["period"])
    for ax in axes[:-1]:
        ax.tick_params(axis="x", labelbottom=False)
    axes[-1].set_xlabel(_unit(frame["period"]))
    handles, _ = axes[0].get_legend_handles_labels()
    for ax in axes[1:]:  # the "n too small" entry may only exist on some panels
        for handle, name in zip(*ax.get_legend_handles_labels(), strict=True):
            if name not in [h.get_label() for h in handles]:
                handles.append(handle)
    handles += _gap_handles(gaps)
    fig.legend(handles=handles, loc="outside lower left", ncols=5, frameon=False)
    fig.suptitle(
        title or f"{labels.negative} vs {labels.positive} by {facet} (shared scales)",
        x=0.01,
        ha="left",
    )
    return fig


def _series_name(key: str, value: str) -> str:
    """How a series is named on a chart: "#tag", "German (de)", "mastodon"."""
    if key == "tag":
        return f"#{value}"
    return language_name(value) if key == "language" else value


def _lines(frame: pd.DataFrame, series_key: str) -> list[tuple[str, pd.DataFrame]]:
    return [
        (_series_name(series_key, v), frame[frame[series_key] == v].sort_values("period"))
        for v in dict.fromkeys(frame[series_key])
    ]


def volume_chart(
    frame: pd.DataFrame, series_key: str = "tag", gaps: Sequence[Gap] = (), timezone: str = "UTC"
) -> Figure:
    """Posts per period (every post, scored or not), one line per tag (or platform, or
    language)."""
    fig = Figure(figsize=(10, 4.2), layout="constrained")
    ax = fig.add_subplot()
    for colour, (name, rows) in zip(SERIES_COLOURS, _lines(frame, series_key), strict=False):
        n = rows["n"].where(_collected(rows["period"], gaps, timezone))  # no zero where unknown
        ax.plot(_centres(rows["period"]), n, marker="o", markersize=3, color=colour, label=name)
    if _shade_gaps(ax, gaps, timezone, frame["period"]):
        ax.add_artist(ax.legend(handles=_gap_handles(gaps), loc="upper left", frameon=False))
    unit = _unit(frame["period"])
    ax.set_ylim(bottom=0)
    ax.set_ylabel(f"posts per {unit}")
    ax.set_xlabel(unit)
    ax.set_title(
        f"Volume: posts per {unit} by {'hashtag' if series_key == 'tag' else series_key}",
        loc="left",
    )
    ax.legend(frameon=False, loc="upper right")
    _time_axis(ax, frame["period"])
    return fig


def sentiment_chart(
    frame: pd.DataFrame,
    series_key: str = "tag",
    labels: Labels = DEFAULT_LABELS,
    gaps: Sequence[Gap] = (),
    timezone: str = "UTC",
) -> Figure:
    """Mean VADER compound per period with its 95% interval as a band, one line per series."""
    fig = Figure(figsize=(10, 4.2), layout="constrained")
    ax = fig.add_subplot()
    for colour, (name, rows) in zip(SERIES_COLOURS, _lines(frame, series_key), strict=False):
        x = _centres(rows["period"])
        ax.plot(x, rows["mean_compound"], marker="o", markersize=3, color=colour, label=name)
        ax.fill_between(
            x,
            rows["mean_compound_lo"],
            rows["mean_compound_hi"],
            color=colour,
            alpha=0.2,
            linewidth=0,
        )
    if _shade_gaps(ax, gaps, timezone, frame["period"]):
        ax.add_artist(ax.legend(handles=_gap_handles(gaps), loc="lower left", frameon=False))
    ax.axhline(0, color="#555555", linewidth=0.8)
    for edge in (-labels.threshold, labels.threshold):
        ax.axhline(edge, color="#999999", linewidth=0.8, linestyle="--")
    unit = _unit(frame["period"])
    ax.set_ylim(-1, 1)
    ax.set_ylabel(f"mean compound (−1 {labels.negative} … +1 {labels.positive})")
    ax.set_xlabel(unit)
    ax.set_title(
        f"Mean sentiment per {unit}, with 95% interval (dashed: label thresholds)", loc="left"
    )
    ax.legend(frameon=False, loc="upper right")
    _time_axis(ax, frame["period"])
    return fig


def mark_events(fig: Figure, events: Mapping[date, str], periods: pd.Series) -> Figure:
    """Each event inside the chart's range as a dotted line on every panel (at the middle of
    its day on daily charts), labelled on the first panel."""
    if not events or not len(periods):
        return fig
    step = _step(periods)
    offset = step / 2 if step == pd.Timedelta(days=1) else pd.Timedelta(0)
    lo, hi = periods.min(), periods.max() + step
    panels = [ax for ax in fig.axes if ax.axison]
    for day, label in sorted(events.items()):
        x = pd.Timestamp(day).tz_localize(periods.dt.tz) + offset  # hourly axes carry their zone
        if not lo <= x < hi:
            continue
        for ax in panels:
            ax.axvline(x, color=EVENT_COLOUR, linestyle=":", linewidth=1.3, zorder=4)
        panels[0].annotate(
            label,
            xy=(x, 0.5),  # mid-height: clear of the n labels above the bars and of legends
            xycoords=("data", "axes fraction"),
            xytext=(3, 0),
            textcoords="offset points",
            rotation=90,
            va="center",
            ha="left",
            fontsize=8,
            color=EVENT_COLOUR,
            bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none", "pad": 1},
            zorder=5,
        )
    return fig


def title_filters(
    fig: Figure,
    tags: Sequence[str],
    start: date,
    end: date,
    platforms: Sequence[str] | None = None,
) -> Figure:
    """Add the range, the tags (unless the title names them) and the platforms (when the posts
    were limited to some) to the title, so an ad-hoc chart says what it shows."""
    title = fig.get_suptitle() or (fig.axes[0].get_title(loc="left") if fig.axes else "")
    named = [f"#{t}" for t in tags if f"#{t}" not in title]
    note = ", ".join([*named, f"{start} to {end}"])
    note += f", {', '.join(platforms)} only" if platforms else ""
    return _add_title_line(fig, note)


def _add_title_line(fig: Figure, line: str) -> Figure:
    """``line`` under the figure's title (the grid's, or the single chart's)."""
    if fig.get_suptitle():
        fig.suptitle(f"{fig.get_suptitle()}\n{line}", x=0.01, ha="left")
    elif fig.axes:
        ax = fig.axes[0]
        ax.set_title(f"{ax.get_title(loc='left')}\n{line}", loc="left")
    return fig


def chart(
    frame: pd.DataFrame,
    kind: str,
    by: str = "tag",
    labels: Labels = DEFAULT_LABELS,
    min_posts: int = 1,
    gaps: Sequence[Gap] = (),
    timezone: str = "UTC",
    events: Mapping[date, str] | None = None,
) -> Figure:
    """The figure ``monitor plot`` draws: ``kind`` split, volume or sentiment, one series or
    panel per ``by`` value (tag, platform or language). Comparing platforms or languages is
    for one tag at a time (their bars would add up across tags); a range without posts is a
    figure that says so. Shares and means rest on scored posts: a series without any (a
    language the scorer does not read) is left out of them and named under the title."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if by != "tag" and frame["tag"].nunique() > 1:
        raise ValueError(
            f"by={by!r} compares {by}s for one tag; this frame holds "
            f"{frame['tag'].nunique()} tags (select one, or use by='tag')"
        )
    if frame.empty or frame["n"].sum() == 0:
        return no_posts_chart(frame, kind)
    unscored = pd.Series(dtype=int)
    if kind != "volume":
        totals = frame.groupby(by, sort=False)[["n", "n_scored"]].sum()
        unscored = totals.loc[totals["n_scored"] == 0, "n"]
        if len(unscored) == len(totals):
            return no_posts_chart(frame, kind, scored=True)
        frame = frame[~frame[by].isin(unscored.index)]
    if kind == "split":
        if frame[by].nunique() == 1 and by == "tag":
            fig = split_chart(frame, frame["tag"].iloc[0], labels, min_posts, gaps, timezone)
        else:
            fig = split_grid(frame, by, labels, min_posts, gaps, timezone)
    elif kind == "volume":
        fig = volume_chart(frame, by, gaps, timezone)
    else:
        fig = sentiment_chart(frame, by, labels, gaps, timezone)
    if len(unscored):
        named = ", ".join(f"{_series_name(by, v)} {n:,}" for v, n in unscored.items())
        _add_title_line(fig, textwrap.fill(f"Not scored, so not shown: {named} posts", 100))
    return mark_events(fig, events or {}, frame["period"])


def no_posts_chart(frame: pd.DataFrame, kind: str, scored: bool = False) -> Figure:
    """A figure for a range without posts (``scored``: without scored posts, all of them in
    languages the scorer does not read): the message, not an empty axis from 1970."""
    tags = ", ".join(f"#{t}" for t in sorted(frame["tag"].unique())) if len(frame) else ""
    span = ""
    if len(frame):
        first, last = frame["period"].min(), frame["period"].max()
        span = f" from {first:%Y-%m-%d} to {last:%Y-%m-%d}"
    fig = Figure(figsize=(10, 3), layout="constrained")
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_title(f"{kind} chart{': ' + tags if tags else ''}", loc="left")
    message = f"No {'scored ' if scored else ''}posts{span}."
    if scored:
        message += f"\n{int(frame['n'].sum()):,} posts, none in a language the scorer reads."
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=14)
    return fig
