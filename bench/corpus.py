"""A benchmark corpus from real tweet texts: posts of two or three texts from the VADER paper's
human-rated tweets (so nearly all are distinct), plus a share of exact reposts; optionally a
label sheet for some of them, labelled from those tweets' human ratings."""

from __future__ import annotations

import argparse
import csv
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
TWEETS = SHARED / "data" / "vader-icwsm2014" / "tweets_GroundTruth.txt"
PLATFORMS = ("mastodon", "bluesky", "reddit", "x")
TAGS = ("witkoffukraine", "diplomacydebacle")


def rated_tweets(path: Path = TWEETS) -> list[tuple[float, str]]:
    """The tweets with their mean human rating (-4 to 4)."""
    if not path.exists():
        raise SystemExit(f"{path} is absent: the benchmark reads the real tweets from ../shared/")
    rows = (line.split("\t", 2) for line in path.read_text(encoding="utf-8").splitlines())
    return [(float(rating), text) for _, rating, text in rows]


def tweet_texts(path: Path = TWEETS) -> list[str]:
    return [text for _, text in rated_tweets(path)]


def label_of(rating: float) -> str:
    """A post's hand label from its tweets' mean rating: beyond half a point either way of the
    raters' scale is skeptical or supportive."""
    return "negative" if rating <= -0.5 else "positive" if rating >= 0.5 else "neutral"


def write_corpus(
    out: Path,
    posts: int,
    repost_share: float = 0.05,
    days: int = 90,
    seed: int = 6,
    prefix: str = "b",
    repost_pool: int = 50_000,
    labels_out: Path | None = None,
    labelled: int = 500,
) -> Path:
    """``posts`` posts with ids ``<prefix><n>``; a share are exact reposts of one of the first
    ``repost_pool`` distinct texts. With ``labels_out``, a label sheet (platform, id, label)
    for the first ``labelled`` posts, as ``monitor evaluate`` reads it."""
    rng = random.Random(seed)
    tweets = rated_tweets()
    end = datetime(2025, 11, 23, tzinfo=UTC)
    written: list[str] = []
    ratings: dict[str, float] = {}
    sheet = []
    with out.open("w", encoding="utf-8") as handle:
        for number in range(posts):
            if written and rng.random() < repost_share:
                text = rng.choice(written)
            else:
                chosen = rng.sample(tweets, rng.choice((2, 3)))
                text = " ".join(t for _, t in chosen)
                if number < labelled:  # a labelled repost's text is one of these
                    ratings[text] = sum(r for r, _ in chosen) / len(chosen)
                if len(written) < repost_pool:
                    written.append(text)
            moment = end - timedelta(seconds=rng.randrange(days * 86_400))
            record = {
                "platform": rng.choice(PLATFORMS),
                "id": f"{prefix}{number}",
                "created_at": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "text": text,
                "author": f"user{rng.randrange(5000)}",
                "tags": [rng.choice(TAGS)],
                "url": f"https://example.org/p/{number}",
            }
            handle.write(json.dumps(record) + "\n")
            if labels_out is not None and number < labelled:
                sheet.append((record["platform"], record["id"], label_of(ratings[text])))
    if labels_out is not None:
        with labels_out.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows([("platform", "id", "label"), *sheet])
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--reposts", type=float, default=0.05)
    args = parser.parse_args()
    print(write_corpus(args.out, args.posts, args.reposts))
