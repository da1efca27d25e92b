"""The one category vocabulary: language values as files and the detector write them,
the public labels, the public thresholds."""

import pytest

from arena.categories import is_hard, is_longer_query, label, language_category, language_name


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("English", "english"),
        ("en", "english"),
        ("en-US", "english"),
        ("zh", "chinese"),
        ("Chinese", "chinese"),
        ("pt", "pt"),  # a language without a leaderboard category keeps its value
        ("Portuguese", "portuguese"),
        ("unknown", "unknown"),
        ("<err>", "unknown"),
        ("", "unknown"),
    ],
)
def test_language_values_of_files_and_detector_agree(value: str, name: str) -> None:
    assert language_name(value) == name


def test_only_the_leaderboard_languages_are_categories() -> None:
    assert language_category("und") is None
    assert language_category("German") == "language_german"
    assert language_category("de") == "language_german"
    assert language_category("Italian") is None


def test_public_labels() -> None:
    assert label("hard_prompts") == "Hard Prompts"
    assert label("instruction_following") == "Instruction Following"
    assert label("language_german") == "German"


def test_public_thresholds() -> None:
    assert not is_hard(5) and is_hard(6)
    assert not is_longer_query(500) and is_longer_query(501)
