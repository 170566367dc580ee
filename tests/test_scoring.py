"""The scoring layer: the language gate on real multilingual tweets, domain words with exactly
vaderSentiment's ``lexicon.update`` semantics, scorer versions, stale scores and rescore."""

import csv
import json
from pathlib import Path

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from monitor import catalog
from monitor.config import Config
from monitor.language import UNDETERMINED, detect, language_name
from monitor.scoring.vader import VaderScorer
from monitor.wiring import active_scorer
from tests.conftest import REPO, VADER, config_file, post, shared_path
from tests.contract import check_contract

QUOTE = (
    "Diplomacy isn't a game for realtors. Tampering with foreign policy could backfire "
    "spectacularly."
)
GERMAN = "Gute Nachrichten aus Genf: die Gespräche waren konstruktiv."


def _first_texts(language: str, count: int = 100) -> list[str]:
    path = shared_path("data", "labelled", "xlmt_umsab_multilingual", f"{language}_train.tsv")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [row["text"] for row in rows][:count]


@pytest.mark.parametrize(
    ("language", "scored"),
    [
        ("english", 100),
        ("german", 4),  # three of the four are English tweets in the German set
        ("spanish", 0),
        ("french", 1),
        ("italian", 1),
        ("portuguese", 0),
        ("arabic", 0),
    ],
)
def test_the_gate_scores_english_tweets_and_leaves_other_languages_unscored(language, scored):
    """The first 100 train tweets of each language (real tweets, no declared language)."""
    scores = VADER.score(_first_texts(language))
    assert sum(s.label is not None for s in scores) == scored
    assert all((s.label is None) == (s.compound is None) for s in scores)
    if language != "english":
        code = {"german": "de", "spanish": "es", "french": "fr", "italian": "it"}.get(language)
        if code:
            assert sum(s.language == code for s in scores) >= 85


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("#WitkoffUkraine #DiplomacyDebacle", UNDETERMINED),
        ("https://example.org/a/very/long/url/about/peace-talks", UNDETERMINED),
        ("🔥🔥🔥 @someone", UNDETERMINED),
        ("wow", UNDETERMINED),
        (GERMAN, "de"),
        ("Переговори в Женеві тривають, чекаємо на результати.", "uk"),
        (QUOTE + " #WitkoffUkraine https://example.org/x", "en"),
        ("a lone surrogate \ud800 in an English sentence about the talks", "en"),
    ],
)
def test_language_rule_for_texts_with_little_to_read(text, language):
    assert detect(text) == language


@pytest.mark.parametrize(
    "text, language",
    [
        # CLD2 says English unsure, fastText French: py3langid says English (a debate08 tweet).
        ("-1 mccain I love bears in montana #tweetdebate", "en"),
        # fastText says English unsure, CLD2 German: py3langid says German (an SB-10K tweet).
        ("K+S: Erwartet schwach http", "de"),
    ],
)
def test_a_third_detector_settles_disputes_about_english(text, language):
    assert detect(text) == language


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("uk", "Ukrainian (uk)"),  # not the United Kingdom
        ("de", "German (de)"),
        ("sw", "Swahili (sw)"),  # ISO 639's "Swahili (macrolanguage)"
        ("ceb", "Cebuano (ceb)"),  # detected languages without a two-letter code have three
        (UNDETERMINED, "undetermined: too little text (und)"),
        ("unknown", "unknown"),  # posts stored before languages were detected
    ],
)
def test_languages_are_shown_by_name_with_their_code(code, name):
    assert language_name(code) == name


def test_lexicon_overrides_equal_vadersentiments_lexicon_update_on_ground_truth():
    path = shared_path("data", "vader-icwsm2014", "tweets_GroundTruth.txt")
    texts = [line.split("\t", 2)[2] for line in path.read_text(encoding="utf-8").splitlines()]
    # a new word, a word set to zero, a booster word, a negation, and an emoticon
    overrides = {"backfire": -2.0, "peace": 0.0, "love": -1.5, "very": 3.0, "no": 2.0, ":)": -1.0}
    reference = SentimentIntensityAnalyzer()
    reference.lexicon.update(overrides)
    mine = VaderScorer(lexicon=overrides)
    expected = [
        tuple(reference.polarity_scores(t)[k] for k in ("compound", "pos", "neu", "neg"))
        for t in texts
    ]
    assert mine.numbers(texts) == expected
    assert mine.numbers(texts) != VADER.numbers(texts)  # the overrides do change scores


def test_domain_words_turn_the_articles_skeptical_quote_skeptical():
    (stock,) = VADER.score([QUOTE])
    (domain,) = VaderScorer(lexicon={"backfire": -2.0}).score([QUOTE])
    assert (stock.language, stock.label, stock.compound) == ("en", "neutral", 0.0)
    assert (domain.label, domain.compound) == ("negative", -0.4588)


def test_the_version_names_every_setting_that_changes_a_score():
    versions = {
        VADER.version,
        VaderScorer(lexicon={"backfire": -2.0}).version,
        VaderScorer(lexicon={"backfire": -1.0}).version,
        VaderScorer(threshold=0.1).version,
        VaderScorer(languages=("en", "de")).version,
    }
    assert len(versions) == 5
    assert VaderScorer(lexicon={"b": 1.0, "a": 2.0}).version == (
        VaderScorer(lexicon={"a": 2.0, "b": 1.0}).version
    )
    assert all(v.startswith("vader-3.3.2+") for v in versions)


def test_config_sets_up_the_active_scorer(tmp_path):
    config = config_file(
        tmp_path,
        '[scoring]\nlanguages = ["en", "de"]\n[labels]\nthreshold = 0.1\n'
        "[lexicon]\nbackfire = -2\npeace = 0.0\n",
    )
    scorer = active_scorer(config)
    assert (scorer.name, scorer.languages, scorer.threshold) == ("vader", ("en", "de"), 0.1)
    assert scorer.lexicon == (("backfire", -2.0), ("peace", 0.0))
    assert scorer.version == VaderScorer(("en", "de"), 0.1, {"backfire": -2, "peace": 0}).version


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("[lexicon]\nbackfire = -5", "lexicon.backfire: expected a number from -4 to 4, got -5"),
        ('[lexicon]\nbackfire = "bad"', "lexicon.backfire: expected a number from -4 to 4"),
        ("[lexicon]\nBackfire = -2", "lexicon.Backfire: expected a lowercase word without spaces"),
        ('[lexicon]\n"peace plan" = 1', "lexicon.peace plan: expected a lowercase word without"),
        ("lexicon = 3", "lexicon: expected a table, got 3"),
        (
            '[scoring]\nscorer = "bert"',
            "scoring.scorer: expected one of: calibrated, vader, got 'bert'",
        ),
        ('[scoring]\nlanguages = ["English"]', "scoring.languages: expected a list of ISO 639-1"),
        ("[scoring]\nlanguages = []", "scoring.languages: expected a list of ISO 639-1"),
        ("[scoring]\nlanguage = ['en']", "scoring.language: unknown key"),
    ],
)
def test_scoring_config_errors_name_file_and_key(run, text, error):
    Path("monitor.toml").write_text(text)
    result = run("--config", "monitor.toml", "status", ok=False)
    assert result.exit_code == 2
    assert f"config error: monitor.toml: {error}" in result.stderr


def test_a_lexicon_change_makes_scores_stale_until_rescore(run, write_jsonl):
    records = [
        post("1", "2025-11-20T10:00:00Z", QUOTE, tags=["witkoffukraine"]),
        post("2", "2025-11-20T11:00:00Z", QUOTE, tags=["witkoffukraine"], platform="reddit"),
        post("3", "2025-11-20T12:00:00Z", GERMAN, tags=["witkoffukraine"]),
    ]
    Path("monitor.toml").write_text('database = "m.db"\n')
    run("--config", "monitor.toml", "import", write_jsonl(records))
    status = json.loads(run("--config", "monitor.toml", "status", "--json").output)
    assert status["scoring"]["posts_with_stale_score"] == 0
    assert status["scoring"]["version"] == VADER.version

    Path("monitor.toml").write_text('database = "m.db"\n[lexicon]\nbackfire = -2.0\n')
    status = json.loads(run("--config", "monitor.toml", "status", "--json").output)
    assert status["scoring"]["posts_with_stale_score"] == 3
    shown = run("--config", "monitor.toml", "status").output
    assert "(reads English (en)); 3 posts, 3 with a stale score (run 'monitor rescore')" in shown
    rescored = run("--config", "monitor.toml", "rescore").output
    assert rescored.startswith("3 posts re-scored with vader-3.3.2+")
    status = json.loads(run("--config", "monitor.toml", "status", "--json").output)
    assert status["scoring"]["posts_with_stale_score"] == 0
    found = run("--config", "monitor.toml", "search", "--fts", "realtors OR Genf").output
    assert found.count("-0.459 skeptical") == 2 and "not scored (de)" in found


def test_a_german_post_is_not_scored_and_not_among_the_top_posts(store, write_jsonl, tmp_path):
    from datetime import date

    from monitor.report import write_report

    tag = ["witkoffukraine"]
    records = [
        post("de", "2025-11-20T09:00:00Z", GERMAN + " Der Krieg muss enden.", tags=tag),
        post("en1", "2025-11-20T10:00:00Z", "A terrible, shameful disaster of a meeting", tags=tag),
        post("en2", "2025-11-20T11:00:00Z", "Good news from Geneva, the talks went well", tags=tag),
    ]
    from monitor.pipeline import import_files

    import_files(store, [write_jsonl(records)], VADER)
    lo, hi = 1763596800, 1763683200  # 2025-11-20 UTC
    negative = store.top_posts("witkoffukraine", lo, hi, "negative")
    assert [p["id"] for p in negative] == ["en1"]
    assert [p["id"] for p in store.top_posts("witkoffukraine", lo, hi, "positive")] == ["en2"]
    config = Config(tags=("witkoffukraine",), reports_dir=tmp_path / "reports")
    folder = write_report(store, config, date(2025, 11, 20), days=7).parent
    markdown = (folder / "report.md").read_text()
    assert "Krieg" not in markdown
    assert "| \\#witkoffukraine | 3 | 2 |" in markdown
    assert "| German (de) | 1 | 0 |" in markdown and "| English (en) | 2 | 2 |" in markdown
    html = (folder / "index.html").read_text()
    assert "2 scored of 3" in html and "Krieg" not in html
    assert "which reads English (en) only" in html and "<td>German (de)</td>" in html
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["counts"]["posts_scored_on_day"] == {"witkoffukraine": 2}
    assert manifest["scorer_languages"] == ["en"]
    daily = (folder / "daily.csv").read_text().splitlines()
    assert daily[0].startswith("period,tag,n,n_scored,n_negative,n_neutral,n_positive,")
    assert any(row.startswith("2025-11-20,witkoffukraine,3,2,1,0,1,0.5,") for row in daily)


def test_every_plugin_registry_keeps_the_contract():
    """Each plug-in keeps the contract (tests/contract.py), and the README lists every one as
    the plug-ins describe themselves (monitor.catalog)."""
    found = check_contract()
    assert all(found.values())
    assert {"mastodon", "bluesky", "reddit", "x"} <= set(found["sources"])
    assert catalog.block() in (REPO / "README.md").read_text()
