"""The language gate, measured by running the product: each set's tweets are imported with
`monitor import` as posts with no declared language, and the share the active scorer scored is
read back from the database.

    .venv/bin/python bench/language_gate.py         # the targets: xlmt_umsab_multilingual test
    .venv/bin/python bench/language_gate.py --dev   # the splits the gate's rule was chosen on

The test splits are the final check; the rule's constants were chosen with ``--dev`` only.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from corpus import tweet_texts
from labelled import tsv_rows


def labelled(*files: str) -> Callable[[], list[str]]:
    """The texts of these files of the labelled sets, read when measured."""
    return lambda: [row["text"] for name in files for row in tsv_rows(name)]


XLMT = "xlmt_umsab_multilingual"
OTHERS = ("arabic", "french", "german", "italian", "portuguese", "spanish")
TEST = {language: labelled(f"{XLMT}/{language}_test.tsv") for language in ("english", *OTHERS)}
DEV = {
    "english (xlmt train)": labelled(f"{XLMT}/english_train.tsv"),
    "english (tweeteval val)": labelled("tweeteval_sentiment/val.tsv"),
    "english (gop_debate_2015 train)": labelled("gop_debate_2015/train.tsv"),
    "english (hcr_2010 train, dev)": labelled("hcr_2010/train.tsv", "hcr_2010/dev.tsv"),
    "english (debate08 train)": labelled("debate08_obama_mccain/train.tsv"),
    "english (VADER paper tweets)": tweet_texts,  # short, emoticon-heavy, like SemEval's
    **{f"{language} (xlmt train)": labelled(f"{XLMT}/{language}_train.tsv") for language in OTHERS},
    "spanish (cic train, val)": labelled(
        *(f"cic_catalonia_independence/es_{s}.tsv" for s in ("train", "val"))
    ),
    "catalan (cic train, val)": labelled(
        *(f"cic_catalonia_independence/ca_{s}.tsv" for s in ("train", "val"))
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", action="store_true", help="measure on the train/dev/val splits")
    sets = DEV if parser.parse_args().dev else TEST
    with tempfile.TemporaryDirectory(prefix="monitor-gate-") as tmp:
        work = Path(tmp)
        posts = work / "posts.jsonl"
        with posts.open("w", encoding="utf-8") as out:
            for index, texts in enumerate(sets.values()):
                for number, text in enumerate(texts()):
                    record = {
                        "platform": f"set{index}",  # one platform per set, to count by
                        "id": str(number),
                        "created_at": "2025-11-20T10:00:00Z",
                        "text": text,
                        "tags": ["gate"],
                    }
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
        db = work / "gate.db"
        command = [sys.executable, "-m", "monitor", "--db", str(db), "import", str(posts)]
        print(subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip())
        with sqlite3.connect(db) as conn:
            rows = conn.execute(
                "SELECT platform, count(*), count(label) FROM posts GROUP BY platform"
            ).fetchall()
    print("set | posts | scored | share scored")
    counts = {platform: (n, scored) for platform, n, scored in rows}
    for index, name in enumerate(sets):
        n, scored = counts[f"set{index}"]
        print(f"{name} | {n} | {scored} | {scored / n:.1%}")


if __name__ == "__main__":
    main()
