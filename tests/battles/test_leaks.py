"""Identity leaks: an answer naming its own contender, case-insensitive, whole words only."""

import pytest

from arena.models import Contender
from battles.leaks import identity_terms, leak_reason, leaking_sides, names_itself


def _contender(**fields: str) -> Contender:
    # Unsaved: leak detection reads fields only.
    defaults = {"codename": "big-bird", "backend": "demo"}
    return Contender(**{**defaults, **fields})


@pytest.mark.parametrize(
    "text",
    [
        "I am Big-Bird, nice to meet you.",
        "As big bird, I can help.",
        "I'm Hazelnut Large.",
        "I was trained by nutco.",
        "Model: hazelnut-l-0613 here",
        "Running as hazelnut-l-0613.",
    ],
)
def test_own_names_are_leaks(text: str) -> None:
    contender = _contender(
        public_name="Hazelnut Large", organisation="NutCo", provider_model="acme/hazelnut-l-0613"
    )
    assert names_itself(text, contender)


@pytest.mark.parametrize(
    "text",
    [
        "Big birds migrate south.",  # not the whole word
        "The bigbird library is unrelated.",
        "Nutcoat is a fabric.",
        "Nothing to see here.",
    ],
)
def test_other_text_is_not_a_leak(text: str) -> None:
    contender = _contender(public_name="Hazelnut Large", organisation="NutCo")
    assert not names_itself(text, contender)


def test_names_ending_in_punctuation_match_whole() -> None:
    contender = _contender(public_name="Model C++")
    assert names_itself("I am model c++, at your service", contender)
    assert not names_itself("I am model c", contender)


def test_too_short_names_are_ignored() -> None:
    contender = _contender(organisation="AI", provider_model="o1")
    assert set(identity_terms(contender)) == {"big-bird", "big bird"}


def test_sides_and_reason() -> None:
    mine = _contender(codename="chocolate")
    other = _contender(codename="vanilla", organisation="Vanilla Labs")
    answers = [
        ("a", "I like vanilla ice cream.", mine),  # names the *other* model: not a self-leak
        ("b", "Hello from Vanilla Labs!", other),
    ]
    assert leaking_sides(answers) == ["b"]
    assert leak_reason(["b"]) == "identity leak: side b"
    assert leak_reason(["a", "b"]) == "identity leak: sides a, b"
    assert leak_reason([]) == ""
