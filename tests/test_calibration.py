"""Checking the labels against hand labels and calibrating on them: sample, evaluate,
calibrate, the calibrated scorer and its model file, and the report's trust section."""

import csv
import json
import pickle
import random
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.config import Config
from monitor.errors import MonitorError
from monitor.evaluation import agreement
from monitor.models import LABELS
from monitor.quantify import Rates
from monitor.scoring import calibrated
from monitor.scoring.calibrated import CalibratedScorer, checksum, load
from monitor.store import Store
from monitor.wiring import BLIND, measured_rates
from tests.conftest import VADER, markdown_blocks_are_valid, post, shared_path

NEGATIVE = "A terrible, shameful disaster of a meeting"
NEUTRAL = "The delegation arrived in Geneva this morning"
POSITIVE = "Good news from Geneva, the talks went really well"
GERMAN = "Gute Nachrichten aus Genf: die Gespräche waren konstruktiv."


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_sheet(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_evaluate_a_known_confusion_matrix(run):
    assert [s.label for s in VADER.score([NEGATIVE, NEUTRAL, POSITIVE])] == [
        "negative",
        "neutral",
        "positive",
    ]
    # hand labels: 3 negative (VADER: 2 negative, 1 positive), 2 neutral (both neutral),
    # 3 positive (VADER: 2 positive, 1 neutral); plus a German post VADER does not read.
    rows = [
        [NEGATIVE, "skeptical"],
        [NEGATIVE + " indeed", "-1"],
        [POSITIVE, "negative"],
        [NEUTRAL, "neutral"],
        [NEUTRAL + " again", "0"],
        [POSITIVE + " today", "supportive"],
        [POSITIVE + " again", "1"],
        [NEUTRAL + " today", "positive"],
        [GERMAN, "positive"],
        ["An unlabelled row is skipped", ""],
    ]
    write_csv(Path("labels.csv"), ["text", "label"], rows)
    result = json.loads(run("evaluate", "labels.csv", "--json").output)
    assert (result["labelled"], result["n"], result["not_scored"]) == (9, 8, 1)
    assert result["not_scored_by_language"] == {"de": 1}
    assert result["confusion"] == {
        "negative": {"negative": 2, "neutral": 0, "positive": 1},
        "neutral": {"negative": 0, "neutral": 2, "positive": 0},
        "positive": {"negative": 0, "neutral": 1, "positive": 2},
    }
    assert result["accuracy"] == 6 / 8
    # F1: negative 2*2/(2*2+0+1) = 0.8, neutral 2*2/(4+1) = 0.8, positive 2*2/(4+1+1) = 2/3
    assert result["macro_f1"] == pytest.approx((0.8 + 0.8 + 2 / 3) / 3)
    assert result["shares"] == {
        "labelled": {"negative": 3 / 8, "neutral": 2 / 8, "positive": 3 / 8},
        "predicted": {"negative": 2 / 8, "neutral": 3 / 8, "positive": 3 / 8},
    }
    lo, hi = result["intervals"]["accuracy"]
    assert 0 <= lo <= result["accuracy"] <= hi <= 1
    assert result["share_distance"] == pytest.approx(1 / 8)  # |3-2| + |2-3| + 0, halved, of 8
    assert result["scorer_version"] == VADER.version
    # the same labels give the same intervals (seeded bootstrap)
    again = json.loads(run("evaluate", "labels.csv", "--json").output)
    assert again["intervals"] == result["intervals"]
    text = run("evaluate", "labels.csv").output
    assert "8 of 9 labelled posts scored (1 not scored: German (de) 1)" in text
    assert "accuracy 0.750" in text


@pytest.mark.parametrize(
    ("rows", "error", "status"),
    [
        ([["x", "maybe"]], "labels.csv:2: label 'maybe' is not one of", 1),
        ([[POSITIVE, "positive"], ["y", "2"]], "labels.csv:3: label '2' is not one of", 3),
        ([["", "positive"]], "labels.csv:2: neither platform and id nor text", 1),
    ],
)
def test_a_bad_label_row_is_a_rejection_naming_the_line_and_the_rest_is_used(
    run, rows, error, status
):
    """Exit 3 when rows were rejected and the rest evaluated, 1 when no row was usable."""
    write_csv(Path("labels.csv"), ["text", "label"], rows)
    result = run("evaluate", "labels.csv", ok=False)
    assert result.exit_code == status and f"rejected {error}" in result.stderr
    if status == 3:
        assert "1 of 1 labelled posts scored" in result.stdout


def test_one_post_labelled_twice_is_counted_once_or_not_at_all(run, write_jsonl):
    """The same label twice: the repeat is rejected and the post counts once. Opposite
    labels: every line of that post is rejected, named, and it counts not at all."""
    texts = [NEGATIVE, POSITIVE, NEUTRAL]
    run(
        "--db",
        "m.db",
        "import",
        write_jsonl(
            [post(str(i), "2025-11-20T10:00:00Z", t, tags=["a"]) for i, t in enumerate(texts)]
        ),
    )
    write_csv(
        Path("labels.csv"),
        ["platform", "id", "label"],
        [
            ["mastodon", "0", "negative"],
            ["mastodon", "1", "positive"],
            ["mastodon", "0", "positive"],
            ["mastodon", "2", "neutral"],
            ["mastodon", "2", "neutral"],
        ],
    )
    result = run("--db", "m.db", "evaluate", "labels.csv", "--json", ok=False)
    assert result.exit_code == 3
    assert result.stderr.splitlines() == [
        "rejected labels.csv:2: mastodon/0 is labelled negative here and positive on line 4: "
        "neither is used",
        "rejected labels.csv:4: mastodon/0 is labelled positive here and negative on line 2: "
        "neither is used",
        "rejected labels.csv:6: mastodon/2 is labelled on line 5 too",
    ]
    evaluated = json.loads(result.stdout)
    assert evaluated["labelled"] == 2
    assert evaluated["confusion"]["positive"]["positive"] == 1
    assert evaluated["confusion"]["neutral"]["neutral"] == 1


def test_a_label_file_without_a_label_column_says_what_it_found(run):
    write_csv(Path("labels.csv"), ["text", "stance"], [["x", "positive"]])
    result = run("evaluate", "labels.csv", ok=False)
    assert "labels.csv: no 'label' column (found: text, stance)" in result.stderr


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (
            "text\tlabel\nbad\tnegative\n".encode("utf-16"),
            "a UTF-16 text file (Excel's 'Unicode Text'): save it as 'CSV UTF-8' and use that",
        ),
        (
            "text;label\nfine;positive\nCafé déjà vu;negative\n".encode("cp1252"),
            "line 3: not valid UTF-8: the file looks like Windows-1252 (as Excel saves CSV); "
            "save it as UTF-8 (Excel: 'CSV UTF-8') and use that",
        ),
    ],
)
def test_a_label_sheet_saved_in_another_encoding_says_how_to_save_it(run, content, error):
    """Excel's 'Unicode Text' and its plain 'CSV' (Windows-1252) are refused whole, saying
    how to save them: rows left out for their accents would bias the labelled mix."""
    Path("labels.csv").write_bytes(content)
    for command in ("evaluate", "calibrate"):
        result = run(
            command, "labels.csv", *(["--out", "m.json"] * (command == "calibrate")), ok=False
        )
        assert result.exit_code == 1 and result.stderr == f"error: labels.csv: {error}\n"


def test_a_workbook_label_sheet_is_read_as_saved(run, write_jsonl):
    """An .xlsx as Excel saves it: an instructions sheet first, the labels below a blank row,
    ids and a -1/0/1 label typed as numbers, an empty row between. It evaluates as the same
    sheet in CSV does, and a bad row is named by its row number."""
    import openpyxl

    texts = [NEGATIVE, POSITIVE, NEUTRAL]
    records = [
        post(str(10682359290 + i), "2025-11-20T10:00:00Z", t, tags=["a"])
        for i, t in enumerate(texts)
    ]
    run("--db", "m.db", "import", write_jsonl(records))
    book = openpyxl.Workbook()
    book.active.title = "How to label"
    book.active.append(["Fill in the label column: skeptical, neutral or supportive"])
    sheet = book.create_sheet("labels")
    sheet.append([])
    sheet.append(["platform", "id", "text", "label"])
    sheet.append(["mastodon", 10682359290, NEGATIVE, "skeptical"])
    sheet.append(["mastodon", 10682359291, POSITIVE, 1])
    sheet.append([])
    sheet.append(["mastodon", 10682359292, NEUTRAL, "maybe"])
    sheet.append([None, None, NEUTRAL, 0])
    book.save("labels.xlsx")
    rows = [
        ["mastodon", "10682359290", NEGATIVE, "skeptical"],
        ["mastodon", "10682359291", POSITIVE, "1"],
        ["", "", NEUTRAL, "0"],
    ]
    write_csv(Path("labels.csv"), ["platform", "id", "text", "label"], rows)
    result = run("--db", "m.db", "evaluate", "labels.xlsx", "--json", ok=False)
    assert result.exit_code == 3 and result.stderr.startswith(
        "rejected labels.xlsx:6: label 'maybe' is not one of"
    )
    same = run("--db", "m.db", "evaluate", "labels.csv", "--json")
    assert json.loads(result.stdout)["confusion"] == json.loads(same.stdout)["confusion"]
    assert json.loads(result.stdout)["n"] == 3
    # the ids typed as numbers found their stored posts
    assert json.loads(result.stdout)["period"] == "posts of 2025-11-20 (2 of the 3 labels)"
    other = openpyxl.Workbook()
    other.active.append(["text", "stance"])
    other.save("other.xlsx")
    unlabelled = run("--db", "m.db", "evaluate", "other.xlsx", ok=False)
    assert unlabelled.stderr == "error: other.xlsx: no 'label' column (found: text, stance)\n"
    openpyxl.Workbook().save("empty.xlsx")
    empty = run("--db", "m.db", "evaluate", "empty.xlsx", ok=False)
    assert empty.stderr == "error: empty.xlsx: no 'label' column (found: nothing)\n"
    Path("junk.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    junk = run("--db", "m.db", "evaluate", "junk.xlsx", ok=False)
    assert junk.exit_code == 1 and junk.stderr.startswith(
        "error: junk.xlsx: a ZIP or OLE2 file that cannot be read as a workbook ("
    )


def test_a_sample_written_as_a_workbook_keeps_long_ids_and_labels_back_in(run, write_jsonl):
    """19-digit ids (X, Mastodon) in a CSV sample: a note that Excel would round them; the
    .xlsx sample holds every cell as text (ids whole, a formula-like text as written, a text
    past the 32,767 characters an Excel cell holds cut, saying so; the label column offers
    the configured labels), and
    once labelled in it, evaluates on the stored posts. A sheet whose ids were rounded has
    each such row rejected, saying why."""
    import openpyxl

    first = 1995478123456789012
    texts = [
        NEGATIVE + " x" * 20_000,
        POSITIVE + "\x0b(a vertical tab)",
        "=cmd|' /C calc'!A0 the talks",
    ]
    records = [
        post(str(first + i), "2025-11-20T10:00:00Z", t, platform="x", tags=["a"])
        for i, t in enumerate(texts)
    ]
    run("--db", "m.db", "import", write_jsonl(records))
    as_csv = run("--db", "m.db", "sample", "--out", "s.csv")
    note = "note: ids of more than 15 digits: Excel rounds them when it opens a CSV"
    assert as_csv.stderr.startswith(note)
    as_xlsx = run("--db", "m.db", "sample", "--out", "s.xlsx")
    assert as_xlsx.stdout == "3 of 3 matching posts written to s.xlsx: fill in 'label'\n"
    assert as_xlsx.stderr == ""
    book = openpyxl.load_workbook("s.xlsx")
    sheet = book["sample"]
    (offered,) = sheet.data_validations.dataValidation  # the label column's drop-down
    assert (offered.formula1, str(offered.sqref)) == (
        '"skeptical,neutral,supportive"',
        "H2:H1048576",
    )
    cells = list(sheet.iter_rows(min_row=2))
    assert [(c[1].value, c[1].data_type) for c in cells] == [
        (str(first + i), "s") for i in range(3)
    ]
    assert (cells[2][4].value, cells[2][4].data_type) == (texts[2], "s")
    assert cells[1][4].value == POSITIVE + "(a vertical tab)"  # no XML can hold it
    assert len(cells[0][4].value) == 32_767  # the most Excel holds in a cell
    assert cells[0][4].value.endswith(" [cut: Excel holds 32,767 characters a cell]")
    for row, label in zip(cells, ("skeptical", "supportive", "neutral"), strict=True):
        row[7].value = label
    book.save("s.xlsx")
    result = json.loads(run("--db", "m.db", "evaluate", "s.xlsx", "--json").stdout)
    assert result["n"] == 3 and result["period"] == "posts of 2025-11-20"
    write_csv(
        Path("rounded.csv"),
        ["platform", "id", "text", "label"],
        [["x", "1.99548E+18", t, "negative"] for t in texts[:2]],
    )
    rounded = run("--db", "m.db", "evaluate", "rounded.csv", ok=False)
    assert rounded.exit_code == 1
    why = "id '1.99548E+18' is a number a spreadsheet rounded: its last digits are lost"
    assert rounded.stderr.startswith(f"rejected rounded.csv:2: {why}")
    assert f"rejected rounded.csv:3: {why}" in rounded.stderr
    assert "paste this sheet's label column into the sample as 'monitor sample' wrote it;" in (
        rounded.stderr
    )


def test_stored_posts_are_evaluated_on_their_stored_label(run, write_jsonl):
    records = [
        post(str(i), f"2025-11-{18 + i}T10:00:00Z", t, tags=["a"])
        for i, t in enumerate([NEGATIVE, NEUTRAL, POSITIVE, GERMAN])
    ]
    run("import", write_jsonl(records))
    write_csv(
        Path("labels.csv"),
        ["platform", "id", "label"],
        [["mastodon", "0", "negative"], ["mastodon", "2", "negative"], ["mastodon", "3", "1"]],
    )
    result = json.loads(run("evaluate", "labels.csv", "--json").output)
    assert (result["n"], result["not_scored"], result["accuracy"]) == (2, 1, 0.5)
    # The check says which days its labelled posts were written on (rates from one period
    # cannot see a later one), and the shares adjusted by it say so on the page.
    assert result["period"] == "posts of 2025-11-18 to 2025-11-21"
    assert "(1 not scored: German (de) 1); posts of 2025-11-18 to 2025-11-21\n" in (
        run("evaluate", "labels.csv").output
    )
    with Store(Path("data/monitor.db")) as store:
        assert "labels.csv, " in measured_rates(VADER, store).source
        assert measured_rates(VADER, store).source.endswith("; posts of 2025-11-18 to 2025-11-21)")
    write_csv(
        Path("some.csv"),
        ["platform", "id", "text", "label"],
        [["mastodon", "0", "", "negative"], ["", "", "A wonderful day", "positive"]],
    )
    some = json.loads(run("evaluate", "some.csv", "--json").output)
    assert some["period"] == "posts of 2025-11-18 (1 of the 2 labels)"
    missing = write_csv(Path("missing.csv"), ["platform", "id", "label"], [["x", "9", "1"]])
    assert "not stored and have no text (lines 2)" in run("evaluate", missing, ok=False).stderr


def test_sample_is_reproducible_and_safe_to_open_in_a_spreadsheet(run, write_jsonl):
    records = [
        post(str(i), f"2025-11-{10 + i % 10:02d}T10:00:00Z", f"{POSITIVE} number {i}", tags=["a"])
        for i in range(40)
    ] + [post("evil", "2025-11-15T10:00:00Z", "=cmd|' /C calc'!A0 the talks", tags=["b"])]
    run("import", write_jsonl(records))
    run("sample", "--out", "one.csv", "--n", "10", "--seed", "3")
    run("sample", "--out", "two.csv", "--n", "10", "--seed", "3")
    one = Path("one.csv").read_bytes()
    assert one == Path("two.csv").read_bytes() and one.startswith(b"\xef\xbb\xbf")
    rows = read_sheet(Path("one.csv"))
    assert len(rows) == 10 and list(rows[0]) == [
        "platform",
        "id",
        "created_at",
        "lang",
        "text",
        "url",
        "predicted",
        "label",
    ]
    assert {(r["predicted"], r["label"], r["lang"]) for r in rows} == {("positive", "", "en")}
    other = run("sample", "--out", "three.csv", "--n", "10", "--seed", "4").output
    assert "10 of 41 matching posts" in other
    assert Path("three.csv").read_bytes() != one
    run("sample", "--out", "b.csv", "--tag", "b", "--since", "2025-11-15", "--until", "2025-11-15")
    (evil,) = read_sheet(Path("b.csv"))
    assert evil["text"] == "'=cmd|' /C calc'!A0 the talks"


def _hcr_labels(split: str, count: int) -> list[list[str]]:
    path = shared_path("data", "labelled", "hcr_2010", f"{split}.tsv")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [[row["text"], row["label"]] for row in rows[:count]]


@pytest.fixture(scope="module")
def calibrated_once(tmp_path_factory) -> tuple[Path, str]:
    """``monitor calibrate`` on 400 HCR train labels, run once for the tests that need its
    model (21 fits: 10 folds twice, then all labels): the folder and what it printed."""
    folder = tmp_path_factory.mktemp("calibrated")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        patch.delenv("MONITOR_CONFIG", raising=False)
        write_csv(Path("train.csv"), ["text", "label"], _hcr_labels("train", 400))
        done = CliRunner().invoke(cli, ["calibrate", "train.csv", "--out", "model.json"])
    assert done.exit_code == 0, done.output
    return folder, done.output


@pytest.fixture
def model_file(run, calibrated_once) -> Path:
    """The model and its label file, copied into the test's own folder."""
    folder, out = calibrated_once
    assert "400 labelled posts; 10-fold cross-validation" in out
    assert "(optimistic when opinion shifts" in out
    assert "reads: en" in out and "wrote model.json" in out
    for name in ("train.csv", "model.json"):
        shutil.copy(folder / name, name)
    return Path("model.json")


def test_calibrate_writes_a_model_that_beats_stock_on_a_real_set(model_file):
    model = load(model_file)
    assert model["languages"] == ["en"] and model["n"] == 400
    sizes = [len(family["vocabulary"]) for family in model["families"].values()]
    assert len(model["coef"]) == 3 and len(model["coef"][0]) == sum(sizes) + 4
    scorer = CalibratedScorer(model_file)
    scores = scorer.score([NEGATIVE, GERMAN])
    assert scores[0].label in ("negative", "neutral", "positive") and scores[1].label is None
    negative, neutral, positive = scores[0].neg, scores[0].neu, scores[0].pos
    assert negative + neutral + positive == pytest.approx(1)
    assert scores[0].compound == pytest.approx(positive - negative)


def test_texts_are_scored_in_blocks_each_as_alone(model_file, monkeypatch):
    """The features are built a block of texts at a time (bounding the worker's memory): each
    text's probabilities are what it gets scored alone."""
    texts = [row[0] for row in _hcr_labels("dev", 7)]
    model = load(model_file)
    monkeypatch.setattr(calibrated, "TEXTS_PER_BLOCK", 3)
    blocked = calibrated.probabilities(model, texts)
    alone = np.vstack([calibrated.probabilities(model, [text]) for text in texts])
    assert blocked.shape == (7, 3) and np.array_equal(blocked, alone)
    assert calibrated.probabilities(model, []).shape == (0, 3)


def test_the_model_keeps_its_cross_validated_rates_and_the_labels_it_was_fitted_on(model_file):
    model = load(model_file)
    rates = model["rates"]
    assert rates["n"] == 400 and "10-fold cross-validation (2 repeats) on 400" in rates["source"]
    labelled = [row[1] for row in _hcr_labels("train", 400)]
    # Each hand label's row sums to its number of labels, whatever the folds predicted.
    assert {hand: sum(row.values()) for hand, row in rates["confusion"].items()} == {
        label: labelled.count(label) for label in ("negative", "neutral", "positive")
    }
    # The probabilities summed the same way (PACC's rates): each row sums to the same count,
    # and is softer than the labels (less on the diagonal).
    sums = rates["probabilities"]
    assert {hand: sum(row.values()) for hand, row in sums.items()} == pytest.approx(
        {label: labelled.count(label) for label in ("negative", "neutral", "positive")}
    )
    assert all(sums[h][h] < rates["confusion"][h][h] for h in sums)
    texts = {" ".join(text.split()) for text, _ in _hcr_labels("train", 400)}
    assert len(model["fitted_on"]) == len(texts)
    kept = CalibratedScorer(model_file).measured_rates()
    assert kept.usable and kept.probabilities is not None


def test_evaluate_leaves_out_the_labels_the_model_was_fitted_on(run, model_file):
    Path("monitor.toml").write_text(
        'database = "m.db"\nreports_dir = "."\n[scoring]\nmodel = "model.json"\n'
    )
    refused = run("--config", "monitor.toml", "evaluate", "train.csv", ok=False)
    assert refused.exit_code == 1
    assert "fitted on all 400 of these labelled posts" in refused.stderr
    seen, unseen = _hcr_labels("train", 400)[:50], _hcr_labels("dev", 100)
    write_csv(Path("mixed.csv"), ["text", "label"], seen + unseen)
    out = run("--config", "monitor.toml", "evaluate", "mixed.csv").output
    assert "50 labelled posts left out: the scorer was fitted on them" in out
    result = json.loads(run("--config", "monitor.toml", "evaluate", "mixed.csv", "--json").output)
    assert (result["labelled"], result["left_out"], result["held_out"]) == (100, 50, True)
    # The calibrated scorer's probabilities are summed by hand label too, and the shares are
    # adjusted by them (stock VADER's pos/neu/neg are not probabilities: never kept).
    sums = result["probabilities"]
    assert {h: sum(row.values()) for h, row in sums.items()} == pytest.approx(
        {h: sum(row.values()) for h, row in result["confusion"].items()}
    )
    # The check's counts are pooled with the model's cross-validated ones: 100 + 400 labels.
    scorer = CalibratedScorer(Path("model.json"))
    with Store(Path("m.db")) as store:
        rates = measured_rates(scorer, store)
    assert rates.source.startswith("a held-out check on 100 hand labels (mixed.csv")
    # When calibrate measured its rates (its labels are text only: no posts' dates to name).
    on = json.loads(model_file.read_text())["rates"]["source"][-10:]
    assert rates.source.endswith(
        f" and 10-fold cross-validation (2 repeats) on 400 hand labels at calibrate on {on}"
    )
    assert date.fromisoformat(on) <= datetime.now(UTC).date()
    kept, checked = scorer.measured_rates(), Rates.from_table(result["confusion"], "", sums)
    assert rates.n == 500
    assert np.asarray(rates.confusion) == pytest.approx(
        np.asarray(kept.confusion) + np.asarray(checked.confusion)
    )
    assert np.asarray(rates.probabilities) == pytest.approx(
        np.asarray(kept.probabilities) + np.asarray(checked.probabilities)
    )
    Path("stock.toml").write_text('database = "m.db"\nreports_dir = "."\n')
    stock = json.loads(run("--config", "stock.toml", "evaluate", "mixed.csv", "--json").output)
    assert "probabilities" not in stock and "confusion" in stock


def test_calibrate_refuses_too_few_labels_and_one_that_does_not_beat_stock(run):
    write_csv(Path("few.csv"), ["text", "label"], _hcr_labels("train", 30))
    few = run("calibrate", "few.csv", "--out", "m.json", ok=False)
    assert few.exit_code == 1 and "too few labels to calibrate: 30 labelled posts" in few.stderr
    assert "label more posts" in few.stderr and not Path("m.json").exists()
    # Labels that are stock VADER's own: it agrees with them perfectly, so no model can beat it
    # and the model is refused (the gate), unless forced.
    words = ["talks", "deal", "envoy", "summit", "plan", "meeting", "offer", "visit", "note"]
    texts = [
        f"{opinion} {word} {i}"
        for i, word in enumerate(words * 3)
        for opinion in (
            "What a terrible, shameful",
            "The delegation arrived for the",
            "A wonderful, great",
        )
    ]
    rows = [[text, score.label] for text, score in zip(texts, VADER.score(texts), strict=True)]
    assert {label for _, label in rows} == {"negative", "neutral", "positive"}
    write_csv(Path("own.csv"), ["text", "label"], rows)
    own = run("calibrate", "own.csv", "--out", "m.json", ok=False)
    assert own.exit_code == 1 and "stock VADER  macro-F1 1.000" in own.output
    assert "do not tell the labels apart" not in own.output  # its labels are learnt well
    assert "does not beat stock VADER in cross-validation" in own.stderr
    assert not Path("m.json").exists()
    run("calibrate", "own.csv", "--out", "m.json", "--force")
    assert Path("m.json").exists()


def test_every_agreement_interval_holds_its_own_figure():
    """Hand and scorer splits alike (share distance 0) while the posts disagree: resampled, the
    distance only lands above 0 (its 2.5th percentile was 0.008), so the interval is stretched
    down to hold the figure it is shown beside."""
    truth = ["negative"] * 80 + ["neutral"] * 80 + ["positive"] * 80
    counts = ((30, 25, 25), (25, 30, 25), (25, 25, 30))
    said = [label for row in counts for label, k in zip(LABELS, row, strict=True) for _ in range(k)]
    result = agreement(truth, said)
    assert result["share_distance"] == 0 and result["intervals"]["share_distance"][0] == 0
    assert result["intervals"]["share_distance"][1] == pytest.approx(0.1083, abs=1e-4)
    for name in ("accuracy", "macro_f1", "share_distance"):
        lo, hi = result["intervals"][name]
        assert lo <= result[name] <= hi


def test_evaluate_warns_when_the_rates_cannot_tell_the_labels_apart(run):
    """Hand labels that have nothing to do with VADER's: each text gets every label equally
    often, so the rates the shares would be adjusted by cannot tell the labels apart."""
    texts = ("What a terrible, shameful disaster", "The delegation arrived", "A wonderful deal")
    rows = [[f"{text} {i}", label] for i, text in enumerate(texts * 10) for label in LABELS]
    write_csv(Path("blind.csv"), ["text", "label"], rows)
    result = run("evaluate", "blind.csv")
    assert "accuracy 0.333" in result.output
    assert f"warning: {BLIND}" in result.output
    assert "warning" not in run("evaluate", "blind.csv", "--json").output  # JSON stays JSON


def test_calibrate_warns_when_its_rates_cannot_tell_the_labels_apart(run):
    """Labels drawn at random for texts of random words: the model is right on about a third
    of posts in cross-validation, and calibrate says its shares would tell nothing."""
    rng = random.Random(7)
    words = ["talks", "deal", "envoy", "summit", "plan", "meeting", "offer", "visit", "note"]
    rows = [
        [" ".join(rng.choices(words, k=6)), label]
        for label in ("negative", "neutral", "positive")
        for _ in range(40)
    ]
    write_csv(Path("random.csv"), ["text", "label"], rows)
    result = run("calibrate", "random.csv", "--out", "m.json", "--force")
    assert "warning: its misclassification rates do not tell the labels apart" in result.output


def test_a_model_file_is_data_and_a_tampered_one_is_refused(model_file, tmp_path):
    model = json.loads(model_file.read_text())
    model["coef"][0][0] += 1.0
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(model))
    with pytest.raises(Exception, match="changed after it was written"):
        load(tampered)
    marker = tmp_path / "executed"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    pickled = tmp_path / "pickled.json"
    pickled.write_bytes(pickle.dumps(Payload()))
    with pytest.raises(Exception, match="not a model file"):
        load(pickled)
    assert not marker.exists()


def _tampered(model_file: Path, tmp_path: Path, change) -> Path:
    """The model with one field changed and its checksum recomputed (a careful forger)."""
    model = json.loads(model_file.read_text())
    change(model)
    model["checksum"] = checksum(model)
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(model))
    return path


def _set(path: tuple, value):
    def change(model):
        target = model
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (_set(("coef", 0, 0), float("nan")), "coefficients are not rows of"),
        (_set(("coef", 2, 5), 1e308), "coefficients are not rows of"),
        (_set(("coef", 1, 3), "0.5"), "coefficients are not rows of"),
        (_set(("intercept", 0), float("inf")), "intercepts are not 3 finite numbers"),
        (_set(("families", "words", "idf", 0), float("inf")), "words idf weights are not"),
        (_set(("families", "chars", "idf", 1), -2.0), "chars idf weights are not"),
        (
            lambda m: m["families"]["words"]["vocabulary"].update(talks=10**9),
            "words vocabulary's column numbers are not 0 to",
        ),
        (_set(("families", "words", "vocabulary"), ["talks"]), "words vocabulary is not terms"),
        (_set(("languages",), "en"), "languages are not a list"),
        (_set(("n",), True), "label count is not a positive whole number"),
        (_set(("rates", "confusion", "negative", "negative"), "12"), "misclassification rates"),
        (_set(("rates", "probabilities", "neutral", "positive"), -1.0), "misclassification rates"),
    ],
)
def test_a_forged_model_with_its_checksum_recomputed_is_refused_in_one_line(
    run, model_file, tmp_path, change, problem
):
    forged = _tampered(model_file, tmp_path, change)
    with pytest.raises(MonitorError, match=f"{forged}: the model file's {problem}"):
        load(forged)
    Path("monitor.toml").write_text(f'database = "m.db"\n[scoring]\nmodel = "{forged}"\n')
    result = run("--config", "monitor.toml", "status", ok=False)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: {forged}: the model file's {problem}")


def test_a_model_path_that_is_no_regular_file_or_too_big_is_refused_at_once(tmp_path):
    huge = tmp_path / "huge.json"
    with huge.open("wb") as sparse:  # 2 GiB on paper, no disk used
        sparse.truncate(2 * 2**30)
    with pytest.raises(MonitorError, match=r"huge.json: not a model file \(2,048 MB; a model"):
        load(huge)
    with pytest.raises(MonitorError, match="/dev/zero: not a model file .not a regular file"):
        load(Path("/dev/zero"))
    with pytest.raises(MonitorError, match="not a model file .not a regular file"):
        load(tmp_path)


def test_the_model_is_part_of_the_version_and_rescore_applies_it(run, model_file, write_jsonl):
    records = [
        post(str(i), "2025-11-20T10:00:00Z", text, tags=["witkoffukraine"])
        for i, text in enumerate([NEGATIVE, NEUTRAL, POSITIVE, GERMAN])
    ]
    Path("monitor.toml").write_text('database = "m.db"\nreports_dir = "."\n')
    run("--config", "monitor.toml", "import", write_jsonl(records))
    Path("monitor.toml").write_text(
        'database = "m.db"\nreports_dir = "."\n[scoring]\nmodel = "model.json"\n'
    )
    status = json.loads(run("--config", "monitor.toml", "status", "--json").output)
    assert status["scoring"]["scorer"] == "calibrated"
    assert status["scoring"]["version"] == CalibratedScorer(model_file).version
    assert status["scoring"]["version"].startswith("calibrated-sklearn")
    assert status["scoring"]["posts_with_stale_score"] == 4
    # No held-out check yet: the shares are adjusted by the model's cross-validated rates.
    assert status["scoring"]["shares"] == "adjusted"
    assert (
        "10-fold cross-validation (2 repeats) on 400 hand labels"
        in (status["scoring"]["shares_note"])
    )
    assert run("--config", "monitor.toml", "rescore").output.startswith("4 posts re-scored")
    status = json.loads(run("--config", "monitor.toml", "status", "--json").output)
    assert status["scoring"]["posts_with_stale_score"] == 0
    # another model (fitted on other labels) is another version
    write_csv(Path("dev.csv"), ["text", "label"], _hcr_labels("dev", 400))
    run("calibrate", "dev.csv", "--out", "other.json", "--force")
    assert CalibratedScorer(Path("other.json")).version != status["scoring"]["version"]


def test_the_report_shows_the_evaluation_of_its_scorer_and_flags_another(
    run, write_jsonl, tmp_path
):
    from monitor.report import write_report
    from monitor.store import Store

    records = [
        post(str(i), "2025-11-20T10:00:00Z", t, tags=["witkoffukraine"])
        for i, t in enumerate([NEGATIVE, NEUTRAL, POSITIVE] * 4)
    ]
    Path("monitor.toml").write_text('database = "m.db"\nreports_dir = "reports"\n')
    run("--config", "monitor.toml", "import", write_jsonl(records))
    config = Config(
        tags=("witkoffukraine",), database=tmp_path / "m.db", reports_dir=tmp_path / "reports"
    )
    with Store(tmp_path / "m.db") as store:
        before = write_report(store, config, date(2025, 11, 20), days=7).read_text()
    assert "not been checked against your own judgement yet" in before
    assert "monitor sample --out sample.xlsx" in before and "0.45" in before  # published figures
    write_csv(
        Path("labels.csv"),
        ["platform", "id", "label"],
        [["mastodon", str(i), "negative"] for i in range(12)],
    )
    run("--config", "monitor.toml", "evaluate", "labels.csv")
    with Store(tmp_path / "m.db") as store:
        after = write_report(store, config, date(2025, 11, 20), days=7).read_text()
        markdown = (tmp_path / "reports" / "2025-11-20" / "report.md").read_text()
        store.db.execute("UPDATE evaluations SET scorer_version = 'vader-old'")
        flagged = write_report(store, config, date(2025, 11, 20), days=7).read_text()
    assert "Checked against 12 hand-labelled posts (labels.csv" in after
    assert "Accuracy 33%" in after and "another scorer version" not in after
    assert "Checked against 12 hand-labelled posts" in markdown
    markdown_blocks_are_valid(markdown)  # the hand/scorer shares table is its own block
    assert "was of another scorer version (<code>vader-old</code>)" in flagged
    assert "not been checked against your own judgement yet" in flagged


def test_a_shared_tsv_label_sheet_is_evaluated_in_one_step(run):
    """A project's tab-separated labelled set (id, target, text, label; tweets that open with
    a quotation mark), read as it is: no conversion, no import first."""
    sheet = shared_path("data", "labelled", "hcr_2010", "dev.tsv")
    with sheet.open(encoding="utf-8", newline="") as handle:
        labels = [row["label"] for row in csv.DictReader(handle, delimiter="\t", quoting=3)]
    result = json.loads(run("--db", "m.db", "evaluate", sheet, "--json").output)
    assert result["labelled"] == len(labels) == 797
    assert result["n"] + result["not_scored"] == 797
    assert labels.count("negative") == 464
    assert result["shares"]["labelled"]["negative"] == pytest.approx(464 / 797, abs=0.02)


def test_calibrate_says_when_and_on_which_posts_it_measured_its_rates(run, write_jsonl):
    # 81 stored posts over three days, labelled by platform and id (as monitor sample writes
    # them): the model's rates name the day they were measured and the posts' days.
    words = ["talks", "deal", "envoy", "summit", "plan", "meeting", "offer", "visit", "note"]
    texts = [
        f"{opinion} {word} {i}"
        for i, word in enumerate(words * 3)
        for opinion in ("What a terrible, shameful", "The delegation arrived for the", "A great")
    ]
    records = [
        post(str(i), f"2025-11-{18 + i % 3}T10:00:00Z", text, tags=["a"])
        for i, text in enumerate(texts)
    ]
    run("import", write_jsonl(records))
    labels = [["mastodon", str(i), s.label] for i, s in enumerate(VADER.score(texts))]
    write_csv(Path("keyed.csv"), ["platform", "id", "label"], labels)
    started = datetime.now(UTC).date()
    run("calibrate", "keyed.csv", "--out", "m.json", "--force")
    assert load(Path("m.json"))["rates"]["source"] in {
        "10-fold cross-validation (2 repeats) on 81 hand labels at calibrate on "
        f"{day} (posts of 2025-11-18 to 2025-11-20)"
        for day in (started, datetime.now(UTC).date())
    }


def test_a_large_label_sheet_is_fitted_once_and_checked_on_the_labels_held_out(run):
    """Past 5,000 labels: one fit on 80% (stratified), the rates and the agreement measured on
    the other 20%, progress on stderr with -v; evaluate then finds only those 20% usable."""
    path = shared_path("data", "labelled", "gop_debate_2015", "train.tsv")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    labelled = [[row["text"], row["label"]] for row in rows]
    write_csv(Path("gop.csv"), ["text", "label"], labelled)
    n = len(labelled)
    held = round(n * 0.2)
    started = datetime.now(UTC).date()
    done = run("-v", "calibrate", "gop.csv", "--out", "m.json", "--force")
    assert f"{n} labelled posts; fitted on {n - held}, checked on the other {held}" in done.stdout
    assert "calibrate: 100%" in done.stderr and "2/2" in done.stderr
    model = load(Path("m.json"))
    assert model["n"] == n - held and len(model["fitted_on"]) <= n - held
    assert model["rates"]["source"] in {
        f"a held-out check on {held} hand labels at calibrate on {day} (fitted on {n - held})"
        for day in (started, datetime.now(UTC).date())
    }
    assert sum(map(sum, (r.values() for r in model["rates"]["confusion"].values()))) == held
    Path("monitor.toml").write_text('database = "m.db"\n[scoring]\nmodel = "m.json"\n')
    checked = json.loads(run("--config", "monitor.toml", "evaluate", "gop.csv", "--json").stdout)
    assert checked["labelled"] + checked["left_out"] == n and checked["left_out"] >= n - held


def test_a_calibrated_scorers_shares_weigh_its_probabilities(run, model_file, write_jsonl):
    """With a calibrated model, the report's shares are adjusted from the day's summed label
    probabilities by the model's probability rates (PACC), as ``quantify`` computes them from
    the stored scores, and the page says so."""
    import pandas as pd

    from monitor.quantify import shares

    texts = [text for text, _ in _hcr_labels("dev", 60)]
    records = [
        post(str(i), "2025-11-20T10:00:00Z", text, tags=["hcr"]) for i, text in enumerate(texts)
    ]
    Path("monitor.toml").write_text(
        'tags = ["hcr"]\ndatabase = "m.db"\nreports_dir = "reports"\n'
        '[scoring]\nmodel = "model.json"\n'
    )
    run("--config", "monitor.toml", "import", write_jsonl(records))
    run("--config", "monitor.toml", "report", "--date", "2025-11-20", "--days", "1")
    folder = Path("reports", "2025-11-20")
    day = pd.read_csv(folder / "daily.csv").iloc[0]
    scored = CalibratedScorer(model_file).score(texts)
    read = [s for s in scored if s.label is not None]
    counts = np.array([[sum(s.label == label for s in read) for label in LABELS]], dtype=float)
    sums = np.array([[sum(getattr(s, k) for s in read) for k in ("neg", "neu", "pos")]])
    assert (day["n_scored"], day["sum_neg"]) == (len(read), pytest.approx(sums[0, 0]))
    rates = CalibratedScorer(model_file).measured_rates()
    expected = shares(counts, rates, sums)
    assert day["share_negative"] == pytest.approx(expected.share[0, 0], abs=1e-5)
    assert day["share_negative"] != pytest.approx(shares(counts, rates).share[0, 0], abs=1e-3)
    page = (folder / "index.html").read_text()
    assert "label probabilities summed per day (PACC)" in page
    assert "the adjusted count (PACC) solves the day's mean label probabilities" in page
    # 60 posts and rates from 400 labels: an interval wider than half the scale, said so.
    assert day["share_negative_hi"] - day["share_negative_lo"] > 0.5
    hint = "Wide intervals: they hold the scorer's measured error, which rests on 400 hand labels"
    assert hint in page
    assert "Wide intervals (\\#hcr) hold the scorer's measured error, which rests on 400" in (
        (folder / "report.md").read_text()
    )
