"""Prompt categories: each heuristic fires on its kind of prompt and not on plain chat."""

import pytest

from arena.categories import LEADERBOARD_LANGUAGES, LONGER_QUERY_TOKENS
from battles.categories import categorise, detect_language


def _tags(*prompts: str) -> set[str]:
    return categorise(list(prompts))


def test_plain_question_is_only_its_language() -> None:
    assert _tags("What is the capital of France?") == {"language_english"}


@pytest.mark.parametrize(
    "prompt",
    [
        "Why does this fail?\n```python\nprint(1/0)\n```",
        "Write a Python function that reverses a linked list.",
        "How do I debug a segfault in my C++ program?",
        "def add(a, b):\n    return a + b\nimport os\nprint(add(1, 2))",
    ],
)
def test_coding(prompt: str) -> None:
    assert "coding" in _tags(prompt)


def test_rust_on_a_bike_is_not_coding() -> None:
    assert "coding" not in _tags("How do I remove rust from my bike chain?")


@pytest.mark.parametrize(
    "prompt",
    [
        "Solve 3x + 5 = 20 for x.",
        "What is the derivative of sin(x)?",
        "Compute \\frac{1}{2} + \\frac{1}{3}",
        "What is the probability of rolling two sixes?",
    ],
)
def test_math(prompt: str) -> None:
    assert "math" in _tags(prompt)


def test_history_question_is_not_math() -> None:
    assert "math" not in _tags("Who won the battle of Hastings?")


@pytest.mark.parametrize(
    "prompt",
    [
        "Write a poem about autumn leaves.",
        "Can you write me a short story about a lonely robot?",
        "Compose a haiku on the moon",
        "Write song lyrics about summer",
    ],
)
def test_creative_writing(prompt: str) -> None:
    assert "creative_writing" in _tags(prompt)


def test_writing_an_email_is_not_creative_writing() -> None:
    assert "creative_writing" not in _tags("Write an email asking for a day off.")


@pytest.mark.parametrize(
    "prompt",
    [
        "List the planets in exactly 3 bullet points.",
        "Summarise this article in no more than 50 words.",
        "Give me the data formatted as JSON.",
        "Describe Paris without using the letter e.",
        "Answer in all caps: what is your favourite colour?",
    ],
)
def test_instruction_following(prompt: str) -> None:
    assert "instruction_following" in _tags(prompt)


def test_a_plain_request_has_no_explicit_constraint() -> None:
    assert "instruction_following" not in _tags("Tell me about the Roman empire.")


def test_hard_prompt() -> None:
    prompt = (
        "Our company runs a distributed payment service in production. Design a strategy to "
        "optimise throughput of the settlement pipeline while keeping latency under 200 ms, "
        "explain the trade-offs between batching and streaming, and sketch the Python code "
        "for the consumer. What would you monitor? How would you roll it out safely?"
    )
    assert "hard_prompts" in _tags(prompt)
    assert "hard_prompts" not in _tags("Hi, how are you?")


def test_longer_query_sums_the_user_prompts() -> None:
    half = " ".join(["word"] * (LONGER_QUERY_TOKENS // 2 + 1))
    assert "longer_query" not in _tags(half)
    assert "longer_query" in _tags(half, half)


def test_longer_query_is_more_than_the_threshold_live_and_on_import() -> None:
    # the same rule as the file reader's conv_metadata.sum_user_tokens (> 500)
    exactly = " ".join(["word"] * LONGER_QUERY_TOKENS)
    assert "longer_query" not in _tags(exactly)
    assert "longer_query" in _tags(exactly + " more")


def test_multi_turn() -> None:
    assert "multi_turn" not in _tags("hello")
    assert "multi_turn" in _tags("hello", "and again")


@pytest.mark.parametrize(
    ("prompt", "language"),
    [
        ("Please explain how vaccines work.", "english"),
        ("¿Cómo funciona una vacuna en el cuerpo?", "spanish"),
        ("Comment est-ce que les vaccins fonctionnent dans le corps ?", "french"),
        ("Wie funktioniert ein Impfstoff und was ist das Immunsystem?", "german"),
        # languages without a leaderboard category are "other" (no tag), not a neighbour
        ("Come funziona un vaccino e perché è utile per la salute?", "other"),
        ("Como funciona uma vacina e por que é importante para você?", "other"),
        ("疫苗是如何起作用的？", "chinese"),  # noqa: RUF001
        ("ワクチンはどのように機能しますか？", "japanese"),  # noqa: RUF001
        ("백신은 어떻게 작동합니까?", "korean"),
        ("Как работает вакцина?", "russian"),
        ("Як працює вакцина і що це таке?", "other"),  # noqa: RUF001
        ("كيف يعمل اللقاح؟", "other"),
        ("12345 + 678", "unknown"),
        ("thanks!", "english"),  # a few words still get the likelier leaderboard language
    ],
)
def test_language(prompt: str, language: str) -> None:
    assert detect_language(prompt) == language
    languages = {t for t in _tags(prompt) if t.startswith("language_")}
    # only the leaderboard's languages are categories, as in the imported public files
    assert languages == ({f"language_{language}"} if language in LEADERBOARD_LANGUAGES else set())


def test_code_does_not_decide_the_language() -> None:
    prompt = "¿Por qué falla este código?\n```python\nfor item in items: print(item)\n```"
    assert detect_language(prompt) == "spanish"


def test_exclude_ties_and_overall_are_not_tags() -> None:
    tags = _tags("Write a poem in exactly 4 lines about math: 2 + 2 = 4", "more")
    assert not {"overall", "exclude_ties"} & tags
