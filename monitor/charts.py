"""matplotlib Figures of the trend frames: the only module that imports matplotlib.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot state), so they are safe in a
scheduler thread and in a notebook alike. Colours are the Okabe-Ito palette, which readers with
the common colour-vision deficiencies can tell apart.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from monitor.config import Labels  # noqa: E402

# Okabe & Ito (2008), "Color Universal Design".
LABEL_COLOURS = {"negative": "#D55E00", "neutral": "#BBBBBB", "positive": "#0072B2"}
DEFAULT_LABELS = Labels()
SERIES_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000"]


def _date_axis(ax: Axes, days: pd.Series) -> None:
    span_days = (days.max() - days.min()).days if len(days) else 0
    if span_days <= 21:
        ax.xaxis.set_major_locator(mdates.DayLocator())
    else:
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=12))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%a %d %b"))
    ax.tick_params(axis="x", labelrotation=30)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
    if len(days):
        ax.set_xlim(days.min() - pd.Timedelta(hours=14), days.max() + pd.Timedelta(hours=14))
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def split_chart(frame: pd.DataFrame, tag: str, labels: Labels = DEFAULT_LABELS) -> Figure:
    """Stacked daily shares of the three labels for one tag, with n above each bar.

    ``frame`` is ``trends.daily`` output; rows of other tags are ignored."""
    rows = frame[frame["tag"] == tag].sort_values("period")
    fig = Figure(figsize=(10, 4.8), layout="constrained")
    ax = fig.add_subplot()
    bottom = pd.Series(0.0, index=rows.index)
    for label in ("negative", "neutral", "positive"):
        share = rows[f"share_{label}"].fillna(0) * 100
        ax.bar(
            rows["period"],
            share,
            bottom=bottom,
            width=0.8,
            color=LABEL_COLOURS[label],
            label=labels.display(label),
            edgecolor="white",
            linewidth=0.5,
        )
        bottom += share
    for day, n in zip(rows["period"], rows["n"], strict=True):
        ax.annotate(f"n={n}", (day, 101), ha="center", va="bottom", fontsize=8, color="#333333")
    ax.set_ylim(0, 110)
    ax.set_yticks(range(0, 101, 25))
    ax.set_ylabel("share of the day's posts (%)")
    ax.set_xlabel("day")
    ax.set_title(
        f"#{tag}: {labels.negative} vs {labels.positive}, share of posts per day", loc="left"
    )
    ax.legend(ncols=3, loc="upper left", bbox_to_anchor=(0, -0.28), frameon=False)
    _date_axis(ax, rows["period"])
    return fig


def volume_chart(frame: pd.DataFrame, tags: Sequence[str] | None = None) -> Figure:
    """Posts per day, one line per tag."""
    tags = list(tags) if tags is not None else list(dict.fromkeys(frame["tag"]))
    fig = Figure(figsize=(10, 4.2), layout="constrained")
    ax = fig.add_subplot()
    for colour, tag in zip(SERIES_COLOURS, tags, strict=False):
        rows = frame[frame["tag"] == tag].sort_values("period")
        ax.plot(rows["period"], rows["n"], marker="o", markersize=4, color=colour, label=f"#{tag}")
    ax.set_ylim(bottom=0)
    ax.set_ylabel("posts per day")
    ax.set_xlabel("day")
    ax.set_title("Volume: posts per day by hashtag", loc="left")
    ax.legend(frameon=False)
    _date_axis(ax, frame["period"])
    return fig


def sentiment_chart(
    frame: pd.DataFrame, tags: Sequence[str] | None = None, labels: Labels = DEFAULT_LABELS
) -> Figure:
    """Mean VADER compound per day with its 95% interval as a band, one line per tag."""
    tags = list(tags) if tags is not None else list(dict.fromkeys(frame["tag"]))
    fig = Figure(figsize=(10, 4.2), layout="constrained")
    ax = fig.add_subplot()
    for colour, tag in zip(SERIES_COLOURS, tags, strict=False):
        rows = frame[frame["tag"] == tag].sort_values("period")
        ax.plot(
            rows["period"],
            rows["mean_compound"],
            marker="o",
            markersize=4,
            color=colour,
            label=f"#{tag}",
        )
        ax.fill_between(
            rows["period"],
            rows["mean_compound_lo"],
            rows["mean_compound_hi"],
            color=colour,
            alpha=0.2,
            linewidth=0,
        )
    ax.axhline(0, color="#555555", linewidth=0.8)
    for edge in (-labels.threshold, labels.threshold):
        ax.axhline(edge, color="#999999", linewidth=0.8, linestyle="--")
    ax.set_ylim(-1, 1)
    ax.set_ylabel(f"mean compound (−1 {labels.negative} … +1 {labels.positive})")
    ax.set_xlabel("day")
    ax.set_title("Mean sentiment per day, with 95% interval (dashed: label thresholds)", loc="left")
    ax.legend(frameon=False)
    _date_axis(ax, frame["period"])
    return fig
