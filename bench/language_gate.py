"""The language gate, measured by running the product: each language's test tweets of
``xlmt_umsab_multilingual`` are imported with `monitor import` as posts with no declared
language, and the share the active scorer scored is read back from the database.

    .venv/bin/python bench/language_gate.py
"""

from __future__ import annotations

import csv
import json
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

from labelled import LABELLED

LANGUAGES = ("english", "arabic", "french", "german", "italian", "portuguese", "spanish")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="monitor-gate-") as tmp:
        work = Path(tmp)
        posts = work / "posts.jsonl"
        with posts.open("w", encoding="utf-8") as out:
            for language in LANGUAGES:
                path = LABELLED / "xlmt_umsab_multilingual" / f"{language}_test.tsv"
                with path.open(encoding="utf-8", newline="") as handle:
                    rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
                    for number, row in enumerate(rows):
                        record = {
                            "platform": language,  # one platform per language, to count by
                            "id": str(number),
                            "created_at": "2025-11-20T10:00:00Z",
                            "text": row["text"],
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
    print("language | posts | scored | share scored")
    for language, n, scored in sorted(rows, key=lambda r: LANGUAGES.index(r[0])):
        print(f"{language} | {n} | {scored} | {scored / n:.1%}")


if __name__ == "__main__":
    main()
