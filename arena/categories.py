"""The category vocabulary: names, labels and thresholds of the leaderboard's categories.

One statement of LMArena's public definitions, read by the live categoriser
(``battles.categories``), the LLM labeller (``battles.labeller``), the vote-file reader
(``ratings.datasets``) and the exporter, so that a battle voted here and a battle imported
from a public file land in the same categories. No Django here.
"""

from typing import Any

OVERALL = "overall"
CODING = "coding"
MATH = "math"
INSTRUCTION_FOLLOWING = "instruction_following"
CREATIVE_WRITING = "creative_writing"
HARD_PROMPTS = "hard_prompts"
LONGER_QUERY = "longer_query"
MULTI_TURN = "multi_turn"
EXCLUDE_TIES = "exclude_ties"
LANGUAGE_PREFIX = "language_"

#: Category order of every leaderboard; languages follow, sorted.
BASE_CATEGORIES = [
    OVERALL, CODING, MATH, INSTRUCTION_FOLLOWING, CREATIVE_WRITING, HARD_PROMPTS,
    LONGER_QUERY, MULTI_TURN, EXCLUDE_TIES,
]  # fmt: skip
#: Not stored as battle tags: ``overall`` is every battle, ``exclude_ties`` is derived
#: from the outcome.
IMPLICIT = frozenset({OVERALL, EXCLUDE_TIES})

#: LMArena's hard-prompt criteria (``criteria_v0.1``), in the public files' column order.
HARD_CRITERIA = [
    "specificity", "domain_knowledge", "complexity", "problem_solving", "creativity",
    "technical_accuracy", "real_world",
]  # fmt: skip
#: A prompt is "hard" when it meets at least this many of the 7 criteria (LMArena's
#: "hard_6"); applies to criteria given by a judge (a file's, or the LLM labeller's).
HARD_PROMPT_MIN_CRITERIA = 6
#: "Longer Query": the user prompts of the conversation (FastChat's
#: ``conv_metadata.sum_user_tokens``) sum to more than 500 tokens. The public files do not
#: settle > against >= (the 140k file has no token counts); one rule, here, for both.
LONGER_QUERY_TOKENS = 500
#: Instruction following counts from this score of the judge's 0-5 scale (``if_v0.1``).
IF_MIN_SCORE = 4
#: Math and creative writing are yes/no judgements (``math_v0.1``, ``creative_writing_v0.1``).


# Both take a number, or a numpy array / pandas Series of them (then answer element-wise).
def is_hard(criteria_met: Any) -> Any:
    return criteria_met >= HARD_PROMPT_MIN_CRITERIA


def is_longer_query(user_tokens: Any) -> Any:
    return user_tokens > LONGER_QUERY_TOKENS


# --- Languages --------------------------------------------------------------------------
#: The languages the public leaderboard has a category for (FastChat's leaderboard tabs),
#: with their ISO 639-1 codes; any other language is ``other`` and gets no category.
LEADERBOARD_LANGUAGES = {
    "english": "en", "chinese": "zh", "french": "fr", "german": "de", "spanish": "es",
    "russian": "ru", "japanese": "ja", "korean": "ko",
}  # fmt: skip
OTHER_LANGUAGE = "other"
#: Language values that say "no language" (no category either).
UNKNOWN_LANGUAGES = frozenset({"", "unknown", "und", "other", "none", "nan", "<err>"})
_BY_CODE = {code: name for name, code in LEADERBOARD_LANGUAGES.items()}


def language_name(value: str) -> str:
    """A file's or a detector's language value as a lower-case name.

    ``English``, ``english`` and ``en`` (or ``en-US``) all give ``english``; other values
    are kept (lower case, ``_`` for spaces); no language at all is ``unknown``.
    """
    text = value.strip().lower()
    if text in UNKNOWN_LANGUAGES:
        return "unknown"
    code = text.replace("_", "-").split("-")[0]
    if code in _BY_CODE:
        return _BY_CODE[code]
    return text.replace(" ", "_")


def language_category(value: str) -> str | None:
    """The category of a language value: one of the leaderboard's languages, else None.

    Live and imported battles alike: an Italian prompt has no language category whether
    lingua detected it or a file said so.
    """
    name = language_name(value)
    return LANGUAGE_PREFIX + name if name in LEADERBOARD_LANGUAGES else None


LABELS = {
    OVERALL: "Overall", CODING: "Coding", MATH: "Math",
    INSTRUCTION_FOLLOWING: "Instruction Following", CREATIVE_WRITING: "Creative Writing",
    HARD_PROMPTS: "Hard Prompts", LONGER_QUERY: "Longer Query", MULTI_TURN: "Multi-Turn",
    EXCLUDE_TIES: "Exclude Ties",
}  # fmt: skip


def label(category: str) -> str:
    """The public leaderboard's label of a category (``language_german`` is ``German``)."""
    if category in LABELS:
        return LABELS[category]
    if category.startswith(LANGUAGE_PREFIX):
        return category.removeprefix(LANGUAGE_PREFIX).replace("_", " ").title()
    return category.replace("_", " ").title()
