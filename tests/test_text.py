from datetime import UTC, datetime

import pytest

from monitor.errors import InvalidPost
from monitor.text import fold_tag, hashtags, html_to_text, parse_timestamp, text_key


def test_hashtags_are_folded_deduplicated_and_skip_numbers_and_entities():
    text = (
        "#WitkoffUkraine is up, #witkoffukraine again, #1 not a tag, &#39; nor this, a#b, "
        "#Ünïcode_2"
    )
    assert hashtags(text) == ["witkoffukraine", "ünïcode_2"]


def test_fold_tag_strips_hash_and_case():
    assert fold_tag("#DiplomacyDebacle") == "diplomacydebacle"
    assert fold_tag("ＷＩＴＫＯＦＦ") == "witkoff"  # full-width letters fold through NFKC


def test_html_to_text_keeps_paragraphs_line_breaks_and_link_text():
    html = (
        '<p>Erster Absatz &amp; mehr<br>zweite Zeile</p><p><a href="https://x.example/tags/IchBinHanna"'
        ' class="mention hashtag">#<span>IchBinHanna</span></a> <span class="h-card"><a href="u">'
        "@<span>someone</span></a></span></p><script>alert(1)</script>"
    )
    assert html_to_text(html) == "Erster Absatz & mehr\nzweite Zeile\n\n#IchBinHanna @someone"


@pytest.mark.parametrize(
    "value",
    [
        "2023-10-05T12:30:00Z",
        "2023-10-05T12:30:00.123Z",
        "2023-10-05T12:30:00.123456+00:00",
        "2023-10-05T14:30:00+02:00",
        "2023-10-05T12:30:00.1234567Z",
    ],
)
def test_parse_timestamp_accepts_rfc3339_forms(value):
    parsed = parse_timestamp(value)
    assert parsed.replace(microsecond=0) == datetime(2023, 10, 5, 12, 30, tzinfo=UTC)


@pytest.mark.parametrize("value", ["2023-10-05T12:30:00", "yesterday", "", None])
def test_parse_timestamp_rejects_naive_or_garbage(value):
    with pytest.raises(InvalidPost):
        parse_timestamp(value)


def test_text_key_ignores_whitespace_differences_only():
    assert text_key("Fresh  perspectives\n") == text_key("Fresh perspectives")
    assert text_key("Fresh perspectives") != text_key("fresh perspectives")
