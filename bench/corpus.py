"""A benchmark corpus from real tweet texts: posts of two or three texts from the VADER paper's
human-rated tweets (so nearly all are distinct), plus a share of exact reposts."""

from __future__ import annotations

import argparse
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
TWEETS = SHARED / "data" / "vader-icwsm2014" / "tweets_GroundTruth.txt"
PLATFORMS = ("mastodon", "bluesky", "reddit", "x")
TAGS = ("witkoffukraine", "diplomacydebacle")


def tweet_texts(path: Path = TWEETS) -> list[str]:
    if not path.exists():
        raise SystemExit(f"{path} is absent: the benchmark reads the real tweets from ../shared/")
    return [line.split("\t", 2)[2] for line in path.read_text(encoding="utf-8").splitlines()]


def write_corpus(
    out: Path,
    posts: int,
    repost_share: float = 0.05,
    days: int = 90,
    seed: int = 6,
    prefix: str = "b",
    repost_pool: int = 50_000,
) -> Path:
    """``posts`` posts with ids ``<prefix><n>``; a share are exact reposts of one of the first
    ``repost_pool`` distinct texts."""
    rng = random.Random(seed)
    texts = tweet_texts()
    end = datetime(2025, 11, 23, tzinfo=UTC)
    written: list[str] = []
    with out.open("w", encoding="utf-8") as handle:
        for number in range(posts):
            if written and rng.random() < repost_share:
                text = rng.choice(written)
            else:
                text = " ".join(rng.sample(texts, rng.choice((2, 3))))
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
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--reposts", type=float, default=0.05)
    args = parser.parse_args()
    print(write_corpus(args.out, args.posts, args.reposts))
