"""Export round trip: CSV, JSON Lines and Parquet read back with pandas equal the stored posts."""

import json
from datetime import date

import pandas as pd
import pytest

from monitor.demo import generate
from monitor.export import PAGE, export_posts
from monitor.pipeline import import_files
from tests.conftest import VADER, post


@pytest.fixture
def stored(store, tmp_path, write_jsonl):
    import_files(store, [write_jsonl(generate(date(2025, 11, 23), 14), "demo.jsonl")], VADER)
    hostile = post(
        "evil",
        "2025-11-20T10:00:00Z",
        '=HYPERLINK("http://x") talks',
        tags=["witkoffukraine", "other"],
        author="@cmd",
        metrics={"likes": 3},
    )
    import_files(store, [write_jsonl([hostile], "hostile.jsonl")], VADER)
    return store


def expected(store, platform=None):
    query = (
        "SELECT p.platform, p.id, p.created_at, p.text, p.label, p.compound, p.language,"
        " (SELECT group_concat(tag, ';') FROM (SELECT tag FROM post_tags t"
        "  WHERE t.post_id = p.post_id ORDER BY tag)) AS tags"
        " FROM posts p" + (" WHERE p.platform = ?" if platform else "") + " ORDER BY p.post_id"
    )
    frame = pd.read_sql_query(query, store.db.conn, params=[platform] if platform else [])
    return frame


def absent_as_none(column: pd.Series) -> list:
    return [None if pd.isna(x) or x == "" else x for x in column.astype(object)]


def test_csv_jsonl_and_parquet_read_back_equal_to_the_stored_posts(stored, tmp_path):
    truth = expected(stored)
    assert len(truth) > PAGE / 10  # several thousand posts
    for suffix in ("csv", "jsonl", "parquet"):
        out = tmp_path / f"posts.{suffix}"
        assert export_posts(stored, out) == len(truth)
        if suffix == "csv":
            assert out.read_bytes()[:3] == b"\xef\xbb\xbf"  # Excel reads UTF-8 with a BOM
            back = pd.read_csv(out, encoding="utf-8-sig", dtype={"id": str}, keep_default_na=False)
            evil = back[back["id"] == "evil"].iloc[0]
            assert evil["text"].startswith("'=HYPERLINK") and evil["author"] == "'@cmd"
            back.loc[back["id"] == "evil", ["text", "author"]] = [
                evil["text"][1:],
                evil["author"][1:],
            ]
            tags = back["tags"]
        elif suffix == "jsonl":
            back = pd.DataFrame([json.loads(line) for line in out.open()])
            tags = back["tags"].map(";".join)
            assert back.loc[back["id"] == "evil", "metrics"].iloc[0] == {"likes": 3}
        else:
            back = pd.read_parquet(out)
            assert str(back["created_at"].dtype) == "datetime64[ms, UTC]"
            assert str(back["label"].dtype) == "category"
            assert str(back["platform"].dtype) == "category"
            tags = back["tags"].map(";".join)
            back["created_at"] = back["created_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert back["id"].astype(str).tolist() == truth["id"].tolist()
        assert back["text"].tolist() == truth["text"].tolist()
        assert back["platform"].astype(str).tolist() == truth["platform"].tolist()
        assert back["created_at"].astype(str).tolist() == truth["created_at"].tolist()
        assert tags.tolist() == truth["tags"].tolist()
        assert absent_as_none(back["label"]) == absent_as_none(truth["label"])
        assert absent_as_none(back["label_name"]) == absent_as_none(truth["label"])  # no names
        compound = pd.to_numeric(back["compound"].replace("", None)).fillna(99).round(6)
        assert compound.tolist() == truth["compound"].fillna(99).round(6).tolist()


def test_filters_choose_the_posts_and_the_cli_prints_the_count(stored, run, tmp_path):
    out = tmp_path / "reddit.jsonl"
    count = export_posts(stored, out, platforms=["reddit"])
    assert count == len(expected(stored, "reddit")) > 0
    assert {json.loads(line)["platform"] for line in out.open()} == {"reddit"}
    tagged = export_posts(stored, tmp_path / "t.csv", tags=["other"])
    assert tagged == 1
    result = run("--db", stored.path, "export", "--out", tmp_path / "x.parquet", "--tag", "#Other")
    assert result.stdout == f"wrote 1 posts to {tmp_path / 'x.parquet'}\n"
    for suffix in ("csv", "jsonl", "parquet"):  # the configured names beside the stored label
        out = tmp_path / f"named.{suffix}"
        run("--db", stored.path, "export", "--out", out)
        back = (
            pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False)
            if suffix == "csv"
            else pd.read_json(out, lines=True)
            if suffix == "jsonl"
            else pd.read_parquet(out)
        )
        labels, names = absent_as_none(back["label"]), absent_as_none(back["label_name"])
        pairs = set(zip(labels, names, strict=True))
        assert pairs == {
            ("negative", "skeptical"),
            ("neutral", "neutral"),
            ("positive", "supportive"),
            (None, None),
        }, suffix
    refused = run("--db", stored.path, "export", "--out", tmp_path / "x.xlsx", ok=False)
    assert refused.exit_code == 1 and "export writes .csv, .jsonl, .parquet files" in refused.stderr
