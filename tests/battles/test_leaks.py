"""Identity leaks: answers naming a model, family or vendor, with context rules for the
names that are also ordinary words."""

import pytest

from arena.models import Contender
from battles.leaks import (
    IdentityMatcher,
    Leak,
    contender_names,
    identity_terms,
    leak_reason,
    matcher_for,
    registered_names,
)
from tests.factories import make_contender

CARAMEL = 1
HAZELNUT = 2
NAMES = [
    (CARAMEL, "caramel", "", "Caramelco", ""),
    (HAZELNUT, "big-bird", "Hazelnut Large", "NutCo", "acme/hazelnut-l-0613"),
]
MATCHER = IdentityMatcher(NAMES)


def leak(text: str, contender: int = CARAMEL, prompt: str = "Tell me something.") -> str:
    return MATCHER.find_leak(text, contender, MATCHER.prompt_keys([prompt]))


@pytest.mark.parametrize(
    ("text", "term"),
    [
        # The example: a model registered as caramel that calls itself ChatGPT.
        ("I am ChatGPT, a model developed by OpenAI.", "ChatGPT"),
        ("Sure! As an OpenAI model I can help.", "OpenAI"),
        ("Running on gpt-4o today.", "gpt-4o"),
        ("I'm Claude 3.5 Sonnet.", "Claude 3.5 Sonnet"),
        ("This is Llama-3-8B speaking", "Llama-3-8B"),
        ("Built on LLaMA weights.", "LLaMA"),
        ("DeepSeek trained me on many tokens.", "DeepSeek"),
        ("Qwen is happy to help", "Qwen"),
        ("Command R+ at your service", "Command R+"),
        ("I run on Mixtral-8x7B.", "Mixtral"),
        ("Gemini 1.5 Pro here.", "Gemini 1.5 Pro"),
        ("Ich bin Phi-3 von Microsoft.", "Phi-3"),
        ("我是通义千问，由阿里云开发。", "通义千问"),
    ],
)
def test_strong_names_leak_anywhere(text: str, term: str) -> None:
    assert leak(text) == term


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("I am Claude, an AI assistant.", "Claude"),
        ("Hi! I'm Pi, your personal AI.", "Pi"),
        ("My name is Gemini.", "Gemini"),
        ("I was trained by Google.", "Google"),
        ("I am a large language model trained by Google.", "Google"),
        ("I'm an AI assistant called Nova.", "Nova"),
        ("I'm Yi, nice to meet you", "Yi"),
        ("Cohere's Command model is what you are talking to.", "Command"),
        # Other languages
        ("Soy Gemini, un modelo grande.", "Gemini"),
        ("Fui desarrollado por Google.", "Google"),
        ("Je suis Claude, un assistant.", "Claude"),
        ("J'ai été développé par Meta.", "Meta"),
        ("Ich bin Grok.", "Grok"),
        ("Ich wurde von Google entwickelt, genauer: entwickelt von Google.", "Google"),
        ("Eu sou o Claude.", "Claude"),
        ("Fui criado pela Meta.", "Meta"),
        ("Я — Claude.", "Claude"),
        ("Я был создан компанией Google.", "Google"),
        ("我是Claude。", "Claude"),
        ("我是由Google训练的", "Google"),
        ("私はClaudeです。", "Claude"),
        ("Sono Gemini.", "Gemini"),
    ],
)
def test_ambiguous_names_leak_when_the_answer_introduces_itself(text: str, term: str) -> None:
    assert leak(text) == term


@pytest.mark.parametrize(
    "text",
    [
        "The llama lives in the Andes and eats grass.",
        "Llamas and alpacas are camelids.",
        "Pi is roughly 3.14159.",
        "Claude Monet painted water lilies.",
        "I am Claude Monet, and I paint light.",  # a person, not a model
        "As a Gemini, you are curious and quick.",
        "Gemini is the third sign of the zodiac.",
        "You can Google it, or look on Amazon.",
        "The phi coefficient measures association; so does Yi's method.",
        "Nova Scotia is in Canada.",
        "Use the command line to list files.",
        "The anthropic principle is debated.",
        "A mistral is a cold wind in France.",
        "Microsoft Excel can do that.",
        "The bard of Avon wrote sonnets.",
        "GLM stands for generalised linear model in statistics.",
        "Nothing to see here.",
        "I like caramel sauce.",  # another contender's plain-word codename, in passing
    ],
)
def test_ordinary_text_is_no_leak(text: str) -> None:
    assert leak(text, contender=HAZELNUT) == ""


def test_a_name_the_prompt_already_uses_is_no_evidence() -> None:
    # The South-America llama test: the user brought up llamas, the answer talks of them.
    prompt = "Tell me about the llama of South America."
    assert leak("I am a llama expert. The Llama is a camelid.", prompt=prompt) == ""
    # ... and a comparison the user asked for is not a leak either.
    compare = "Compare ChatGPT and Claude 3 for coding."
    assert leak("ChatGPT is broad; Claude 3 writes tidy code.", prompt=compare) == ""
    # A family the prompt does not name still counts.
    assert leak("I am Claude, made by Anthropic.", prompt="What is a llama?") == "Claude"


def test_own_contender_names_leak_in_any_case() -> None:
    assert leak("Hello from nutco!", contender=HAZELNUT) == "nutco"
    assert leak("Big Bird here.", contender=HAZELNUT) == "Big Bird"
    assert leak("model hazelnut-l-0613 ready", contender=HAZELNUT) == "hazelnut-l-0613"
    assert leak("The big birds fly.", contender=HAZELNUT) == ""


def test_an_own_name_that_is_an_ordinary_word_needs_an_introduction() -> None:
    matcher = IdentityMatcher([(7, "gemstone", "Gemini", "Google", "gemini-pro")])
    assert matcher.find_leak("Search for it on Google Maps.", 7, set()) == ""
    assert matcher.find_leak("I was trained by Google.", 7, set()) == "Google"
    assert matcher.find_leak("Ask gemstone anything.", 7, set()) == "gemstone"


def test_other_contenders_plain_names_count_only_in_self_identification() -> None:
    assert leak("I am caramel, the best model.", contender=HAZELNUT) == "caramel"
    assert leak("Caramel is made by heating sugar.", contender=HAZELNUT) == ""
    # A distinctive name of another contender counts anywhere.
    assert leak("Compared with hazelnut-l-0613, I am faster.") == "hazelnut-l-0613"


def test_sides_and_reason() -> None:
    leaks = MATCHER.leaks(
        ["Write a poem"],
        [
            ("a", "Roses are red.", CARAMEL),
            ("b", "Hello from NutCo! I'm Big Bird.", HAZELNUT),
            ("b", "A second turn answer from ChatGPT.", HAZELNUT),
        ],
    )
    assert leaks == [Leak("b", "NutCo")]
    assert leak_reason(leaks) == 'identity leak: side b names "NutCo"'
    both = [Leak("a", "ChatGPT"), Leak("b", "Claude")]
    assert leak_reason(both) == 'identity leak: sides a names "ChatGPT", b names "Claude"'
    assert leak_reason([]) == ""


def test_every_turn_counts() -> None:
    leaks = MATCHER.leaks(
        ["Hi", "And now?"],
        [("a", "Hello.", CARAMEL), ("a", "I was made by OpenAI.", CARAMEL)],
    )
    assert leaks == [Leak("a", "OpenAI")]


def test_too_short_contender_names_are_ignored() -> None:
    contender = Contender(codename="big-bird", organisation="AI", provider_model="o1")
    assert set(identity_terms(contender)) == {"big-bird", "big bird"}


@pytest.mark.django_db
def test_the_matcher_is_built_once_per_contender_set() -> None:
    first = make_contender("toffee", organisation="Toffee Labs")
    built = matcher_for(registered_names())
    assert matcher_for(registered_names()) is built
    assert built.find_leak("Greetings from Toffee Labs", first.pk, set()) == "Toffee Labs"

    # A renamed or new contender gives a new set, and a new matcher that knows it.
    make_contender("fudge", public_name="Fudge-2")
    rebuilt = matcher_for(registered_names())
    assert rebuilt is not built
    assert rebuilt.find_leak("Fudge-2 says hi", first.pk, set()) == "Fudge-2"
    assert contender_names(first) == (first.pk, "toffee", "", "Toffee Labs", "concise")
