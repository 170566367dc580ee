"""Pure text helpers: HTML to plain text, hashtags, tag folding, timestamps, dedupe keys, and what
to say of what spreadsheets do to files (encodings other than UTF-8, ids rounded as numbers)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import UTC, datetime
from functools import lru_cache
from html.parser import HTMLParser

from monitor.errors import InvalidPost

# Byte-order marks of UTF-16, as Excel's "Unicode Text" export starts.
UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")

# A number as a spreadsheet shows one too long for it (Excel's General format: 1.99548E+18).
_ROUNDED_NUMBER = re.compile(r"\d(?:\.\d+)?[eE]\+\d+")
# Digits a spreadsheet keeps of a number (Excel: 15); a longer id typed as a number loses the rest.
SPREADSHEET_DIGITS = 15

# A hashtag is '#' then word characters with at least one letter (so '#1' is not one), not
# preceded by a word character or '&' (so 'a#b' and '&#39;' are not either). The pattern starts
# with the '#' (the look-behind follows it), so a search jumps from '#' to '#': ten times faster.
_HASHTAG = re.compile(r"#(?<![\w&#]#)(\w*[^\W\d_]\w*)")
# Hashtags are words; no platform allows one over 100 characters (X: 100, Mastodon: 100).
_TAG = re.compile(r"^\w{1,100}$")
_SPACE = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n{3,}")


@lru_cache(maxsize=65536)  # a stream repeats a few tags endlessly: fold each once
def fold_tag(tag: str) -> str:
    """The stored form of a hashtag: no '#', NFKC-normalised and case-folded."""
    return unicodedata.normalize("NFKC", tag.strip().removeprefix("#")).casefold()


def is_valid_tag(tag: str) -> bool:
    return bool(_TAG.match(fold_tag(tag)))


def hashtags(text: str) -> list[str]:
    """Hashtags written in ``text``, folded, in order of first appearance, without repeats."""
    return list(dict.fromkeys(fold_tag(m) for m in _HASHTAG.findall(text)))


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML fragment, turning block ends and <br> into line breaks."""

    _BLOCKS = frozenset({"p", "div", "blockquote", "li", "ul", "ol", "h1", "h2", "h3", "pre"})
    _SKIP = frozenset({"script", "style"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in self._BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment: paragraphs and <br> become line breaks, entities are
    decoded, links keep their visible text, scripts and styles are dropped."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    text = "".join(extractor.parts)
    lines = (_SPACE.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def text_key(text: str) -> str:
    """A key equal for texts that score the same: reposts and copy-pastes share one score."""
    normal = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.blake2b(normal.encode("utf-8"), digest_size=16).hexdigest()


def parse_timestamp(value: str) -> datetime:
    """An ISO 8601 / RFC 3339 timestamp with an offset ('Z' or '+hh:mm'), as aware UTC."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidPost("created_at is missing")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidPost(f"created_at {value!r} is not an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        raise InvalidPost(f"created_at {value!r} has no UTC offset")
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 pushed past the calendar by its offset
        raise InvalidPost(f"created_at {value!r} is out of range") from None


def format_timestamp(moment: datetime) -> str:
    """The stored form of a time: UTC, second precision, 'Z' suffix (sorts as text).
    (isoformat, not strftime: a third of the time, and four-digit years everywhere.)"""
    return moment.astimezone(UTC).isoformat(timespec="seconds")[:19] + "Z"


def printable(text: str, keep: str = "") -> str:
    """``text`` safe to print at a terminal and to store: control characters (escape
    sequences that clear the screen or retitle the window, bells, bidirectional overrides,
    forged line breaks) and lone surrogates (undecodable bytes) become U+FFFD; ``keep``: those
    to leave (say, line breaks in a message of several lines)."""
    return "".join(
        "\ufffd"
        if unicodedata.category(c) in ("Cc", "Cf", "Cs") and c not in "\u200d" and c not in keep
        else c
        for c in text
    )


# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets a leading quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


# Platforms are names: letters, digits, '_' and '-' (they become file names, CSV cells, labels).
PLATFORM = re.compile(r"[a-z0-9_-]{1,40}")
PLATFORM_ALIASES = {"twitter": "x"}


def fold_platform(name: str) -> str:
    """The stored form of a platform name: lowercase, ``twitter`` is ``x``."""
    folded = name.strip().lower()
    return PLATFORM_ALIASES.get(folded, folded)


def wall_clock(moment: datetime, fmt: str) -> str:
    """``moment`` formatted as its zone's clocks showed it; an hour that a fall-back repeats
    carries its UTC offset ("Sun 26 Oct 02:00 (UTC+01:00)"), or the two would read the same."""
    text = moment.strftime(fmt)
    if moment.tzinfo is not None and moment.replace(fold=1 - moment.fold).utcoffset() != (
        moment.utcoffset()
    ):
        text += f" (UTC{moment.isoformat()[-6:]})"
    return text


# A link as posts show it: with a scheme, from www., or a bare domain with a path
# ("example.org/peace-plan", as Bluesky shortens them). "U.S." and "e.g." are no domains.
_DOMAIN = r"(?:[a-z0-9-]+\.)+[a-z]{2,}"
_LINK = re.compile(rf"(?:https?://|www\.)\S+|\b{_DOMAIN}/\S*", re.IGNORECASE)


def search_fields(text: str) -> tuple[str, str]:
    """A post's text as the search index holds it: (the visible words, its links)."""
    if "/" not in text and "www." not in text.lower():  # no link: nothing to split
        return text, ""
    visible, links = [], []
    for word in text.split():  # only words that may hold a link meet the expression
        if "/" in word or "www." in word.lower():
            links += _LINK.findall(word)
            word = _LINK.sub(" ", word)
        visible.append(word)
    return (" ".join(visible), " ".join(links)) if links else (text, "")


_MENTION = re.compile(r"(?<!\w)@[\w.@-]+")


def near_duplicate_key(text: str) -> str:
    """What near-duplicate posts share: the text without its links and @mentions, its
    whitespace collapsed, case folded (a campaign's copies differ in those only). Only words
    that may hold a link or a mention meet the expressions (a report ranks every post of a
    day by this: 50,000 posts in about 0.4 s, a quarter of what the expressions alone take)."""
    words = unicodedata.normalize("NFC", text).casefold().split()
    for i, word in enumerate(words):
        if "/" in word or "www." in word:
            word = words[i] = _LINK.sub(" ", word)
        if "@" in word:
            words[i] = _MENTION.sub(" ", word)
    return " ".join(" ".join(words).split())


def looks_like_link(word: str) -> bool:
    """A searched word that is a link, or a domain ("example.org")."""
    return bool(_LINK.fullmatch(word) or re.fullmatch(_DOMAIN, word, re.IGNORECASE))


def utf16_export(path: object, then: str) -> str:
    """Why a file that starts as UTF-16 is refused, and how to save it instead."""
    return f"{path}: a UTF-16 text file (Excel's 'Unicode Text'): save it as 'CSV UTF-8' and {then}"


def not_utf8(raw: bytes, then: str) -> str:
    """Why bytes that are not UTF-8 are refused: what they look like (Excel saves CSV as
    Windows-1252) and how to save them instead."""
    try:
        raw.decode("cp1252")
        guess = "Windows-1252 (as Excel saves CSV)"
    except UnicodeDecodeError:
        guess = "Latin-1"
    return (
        f"not valid UTF-8: the file looks like {guess}; save it as UTF-8 (Excel: 'CSV UTF-8')"
        f" and {then}"
    )


def long_number(value: str) -> bool:
    """Digits a spreadsheet would round, were it to read them as a number."""
    return value.isdigit() and len(value) > SPREADSHEET_DIGITS


def rounded_id(value: str) -> str | None:
    """Why an id that a spreadsheet turned into a rounded number names no post, or None: its
    last digits are gone, and many posts' ids round to the same one."""
    if ("E+" in value or "e+" in value) and _ROUNDED_NUMBER.fullmatch(value.strip()):
        return (
            f"id {value.strip()!r} is a number a spreadsheet rounded: its last digits are lost, "
            "so it names no post; keep the id column as text"
        )
    return None
