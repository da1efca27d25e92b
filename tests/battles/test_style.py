"""Style features are counted from markdown structure, not from characters that look like it."""

from battles.style import StyleFeatures, style_features


def test_plain_text() -> None:
    assert style_features("Just a sentence.") == StyleFeatures(16, 0, 0, 0)


def test_headers_lists_and_bold() -> None:
    text = (
        "# Title\n\nIntro with **bold** and __more bold__.\n\n## Part\n\n"
        "- one\n- two **three**\n\n1. first\n2. second\n   - nested\n\nSetext\n------\n"
    )
    features = style_features(text)
    assert features == StyleFeatures(len(text), 3, 5, 3)


def test_markup_inside_code_is_not_counted() -> None:
    text = "```python\n# a comment\n- not a list\n**not bold**\n```\n\n`**inline**`"
    assert style_features(text) == StyleFeatures(len(text), 0, 0, 0)


def test_arithmetic_is_not_a_list_or_bold() -> None:
    text = "2 * 3 * 4 = 24\n\n5 - 3 = 2"
    assert style_features(text) == StyleFeatures(len(text), 0, 0, 0)


def test_length_counts_characters_not_bytes() -> None:
    assert style_features("héllo 世界").length_chars == 8
