"""Prompt categories of a battle, stored as ``BattleCategory`` rows at vote time.

The tags follow Chatbot Arena's leaderboard categories (names and thresholds from
:mod:`arena.categories`). LMArena labels prompts with an LLM judge; here transparent
heuristics label every vote at once, over the user prompts only (never the answers, which
differ by side), the language comes from ``lingua``, and the optional LLM labeller
(:mod:`battles.labeller`) can replace the judge-defined tags later. ``overall`` is implicit
and ``exclude_ties`` is not a tag: the ratings derive it from the outcomes.
"""

import re
import threading
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING

from arena.categories import (
    CODING,
    CREATIVE_WRITING,
    HARD_PROMPTS,
    INSTRUCTION_FOLLOWING,
    LEADERBOARD_LANGUAGES,
    LONGER_QUERY,
    MATH,
    MULTI_TURN,
    OTHER_LANGUAGE,
    is_longer_query,
    language_category,
)

if TYPE_CHECKING:
    from lingua import LanguageDetector

# The live heuristics' seven signals are cruder than a judge's criteria, so a prompt
# needs 4 of them (a judge's criteria use the public 6: arena.categories.is_hard).
HEURISTIC_HARD_CRITERIA = 4

_I = re.IGNORECASE

_CODE_FENCE = re.compile(r"```|~~~")
_CODE_WORDS = re.compile(
    r"\b(python|javascript|typescript|java|kotlin|swift|c\+\+|c#|golang|rustc?|php|ruby|"
    r"perl|haskell|scala|sql|html|css|bash|powershell|regex|json schema|dockerfile|docker|"
    r"kubernetes|react|django|flask|numpy|pandas|pytorch|api|sdk|git|npm|pip|code|coding|"
    r"program|programming|debug|debugging|compile|compiler|refactor|stack ?trace|traceback|"
    r"segfault|function|class|method|variable|algorithm|script|unit tests?|exception)\b",
    _I,
)
# Code itself pasted into the prompt.
_CODE_SYNTAX = re.compile(
    r"(\bdef \w+\(|\bfunction \w*\(|#include\s*<|\bimport \w+|\bfrom \w+ import\b|"
    r"console\.log\(|\bprint\(|\bSELECT\b.+\bFROM\b|=>|;\s*$|\{\s*$|\bpublic static\b|"
    r"\breturn\b.*;)",
    re.MULTILINE,
)
_STRONG_CODE_WORDS = re.compile(
    r"\b(python|javascript|typescript|c\+\+|golang|sql|regex|code|coding|programming|"
    r"debug|compiler?|traceback|stack ?trace|algorithm|script)\b",
    _I,
)

_MATH_WORDS = re.compile(
    r"\b(solve|equation|equations|integral|integrate|derivative|differentiate|"
    r"probability|theorem|prove|proof|lemma|matrix|matrices|eigen\w*|polynomial|"
    r"factorial|prime numbers?|logarithm|sqrt|square root|calculus|algebra|geometry|"
    r"trigonometry|arithmetic|fraction|percentage|how many|calculate|compute|"
    r"expected value|variance|limit of|sum of|series|modulo|triangle|circle|radius)\b",
    _I,
)
_MATH_SYNTAX = re.compile(
    r"(\d+\s*[-+*/^\u00d7\u00f7=<>]\s*\d+|\b[a-z]\s*\^\s*\d|\b\d*[a-z]\s*[-+=]\s*\d|\\frac|\\int|"
    r"\\sum|\\sqrt|\$[^$]+\$|[∫∑√π∞≤≥≠])",
    _I,
)

_CREATIVE = re.compile(
    r"\b(write|compose|create|draft|pen|make up|tell me)\b[^.?!\n]{0,40}?"
    r"\b(poem|poetry|story|stories|tale|song|lyrics|haiku|limerick|sonnet|ballad|rap|"
    r"screenplay|script for a (?:play|film|movie|scene)|novel|chapter|fable|fairy tale|"
    r"fan ?fiction|monologue|dialogue between|verse)\b|"
    r"\b(role-?play|once upon a time|short story|creative writing|fiction)\b",
    _I,
)

_NUMBER = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|fifty|hundred)"
_UNITS = (
    r"(?:words?|sentences?|paragraphs?|bullet points?|bullets|lines?|items?|points?|"
    r"characters?|letters?|sections?|steps?|examples?|questions?|stanzas?|syllables?)"
)
_CONSTRAINTS = re.compile(
    rf"\b(exactly|precisely|no more than|no less than|not more than|at most|at least|"
    rf"fewer than|less than|under|maximum of|minimum of|up to|in)\s+{_NUMBER}\s+{_UNITS}\b|"
    rf"\b{_NUMBER}[- ]{_UNITS}\b|"
    r"\b(format(?:ted)? (?:it |the \w+ )?(?:as|in)|respond (?:only )?(?:in|with)|"
    r"answer (?:only )?(?:in|with)|output (?:only )?(?:in|as)|reply (?:only )?(?:in|with))\s+"
    r"(?:a |an |valid )?(json|yaml|xml|csv|markdown|a table|table|bullet|list|one word|"
    r"yes or no|lower ?case|upper ?case|all caps)\b|"
    r"\b(do not|don't|never|without)\s+(use|using|mention|include|including)\b|"
    r"\b(all (?:caps|lowercase|uppercase|capital letters)|in lowercase|in uppercase|"
    r"start (?:each|every|your) \w+ with|end (?:each|every|your) \w+ with|"
    r"wrap (?:your|the) (?:entire )?(?:answer|response)|only output|nothing else)\b",
    _I,
)

# Hard-prompt signals, one per FastChat criterion.
_DOMAIN = re.compile(
    r"\b(quantum|thermodynamic\w*|genom\w*|protein|enzyme|statute|jurisdiction|tort|"
    r"liabilit\w+|derivatives? pricing|portfolio|amorti[sz]ation|latency|throughput|"
    r"distributed|concurren\w+|compiler|kernel|cryptograph\w*|neural|gradient|"
    r"regression|bayesian|econometric\w*|pharmaco\w*|diagnos\w+|clinical|topolog\w*|"
    r"manifold|semiconductor|spectroscop\w*|architecture|protocol)\b",
    _I,
)
_PROBLEM_SOLVING = re.compile(
    r"\b(how (?:would|should|can|do) (?:i|we|you)|design|optimi[sz]e|implement|prove|"
    r"derive|trade-?offs?|compare|analy[sz]e|evaluate|troubleshoot|diagnose|plan|"
    r"step[- ]by[- ]step|strategy|why does|why is|explain why)\b",
    _I,
)
_REAL_WORLD = re.compile(
    r"\b(my|our) (?:company|team|startup|business|client|customer|project|app|"
    r"application|server|production|codebase|database|thesis|patient|manager)\b|"
    r"\b(in production|real-world|deadline|budget|stakeholders?)\b",
    _I,
)


# "Longer query" counts tokens (tiktoken at LMArena); words and punctuation marks
# undercount BPE tokens slightly, and the public threshold is kept.
def _count_tokens(text: str) -> int:
    return len(re.findall(r"\w+|[^\w\s]", text))


def _strip_code(text: str) -> str:
    """Prompt text without fenced code blocks, so code does not sway language detection."""
    return re.sub(r"(```|~~~).*?(\1|\Z)", " ", text, flags=re.DOTALL)


def is_coding(text: str) -> bool:
    if _CODE_FENCE.search(text) or len(_CODE_SYNTAX.findall(text)) >= 2:
        return True
    return bool(_STRONG_CODE_WORDS.search(text)) or len(set(_CODE_WORDS.findall(text))) >= 2


def is_math(text: str) -> bool:
    prose = _strip_code(text)
    words = {w.lower() for w in _MATH_WORDS.findall(prose)}
    return bool(_MATH_SYNTAX.search(prose)) or len(words) >= 2 or bool(
        words & {"equation", "integral", "derivative", "theorem", "polynomial", "probability"}
    )


def is_creative_writing(text: str) -> bool:
    return bool(_CREATIVE.search(text))


def is_instruction_following(text: str) -> bool:
    return bool(_CONSTRAINTS.search(_strip_code(text)))


def is_hard_prompt(text: str) -> bool:
    """Count the FastChat criteria a prompt shows; hard when enough are present."""
    words = _count_tokens(text)
    criteria = [
        words >= 40 and is_instruction_following(text),  # specificity
        bool(_DOMAIN.search(text)),  # domain knowledge
        words >= 80 or text.count("?") >= 2,  # complexity
        bool(_PROBLEM_SOLVING.search(text)),  # problem-solving
        is_creative_writing(text) or bool(re.search(r"\b(novel|original|creative)\b", text, _I)),
        is_coding(text) or is_math(text),  # technical accuracy
        bool(_REAL_WORLD.search(text)),  # real-world application
    ]
    return sum(criteria) >= HEURISTIC_HARD_CRITERIA


# --- Language ---------------------------------------------------------------------------
# lingua's n-gram models (high accuracy: the low-accuracy mode misreads short prompts),
# restricted to the leaderboard's languages plus the most frequent others in LMArena's
# traffic, detected so that they become "other" rather than a near neighbour (Italian is
# not Spanish). Each language costs memory and load time (16: ~2 s and ~300 MB on first
# use, see benchmarks/bench_categories.py), so the detector is built once per process,
# lazily, and the list is kept short.
_DETECTED_OTHERS = [
    "ITALIAN", "PORTUGUESE", "POLISH", "DUTCH", "TURKISH", "UKRAINIAN", "VIETNAMESE",
    "ARABIC",
]  # fmt: skip
# A frequent other language wins only when the detector is sure of it: on a few words
# ("hello") the scores are close and a leaderboard language is the likelier reading.
_OTHER_CONFIDENCE = 0.5


_detector_lock = threading.Lock()


@cache
def _detector() -> "LanguageDetector":
    from lingua import Language, LanguageDetectorBuilder

    names = [n.upper() for n in LEADERBOARD_LANGUAGES] + _DETECTED_OTHERS
    detector = LanguageDetectorBuilder.from_languages(*(Language.from_str(n) for n in names))
    return detector.build()


# lingua loads a language's n-gram models lazily, as far as the text it reads needs them:
# two words load a third of them, and the first real prompt would load the rest inside a
# vote (seconds, holding the GIL). A full sentence per script of the leaderboard's
# languages loads what prompts need (Latin ~2.4 s and ~270 MB, Cyrillic +0.5 s);
# ``with_preloaded_language_models`` would load everything: 12 s and ~390 MB.
_WARM_UP_TEXTS = (
    "Which three rivers are the longest in the world, and why is that so?",
    "Какие три реки самые длинные в мире и почему?",
)


_models_loaded = threading.Event()


def _load_models() -> None:
    with _detector_lock:  # one load per process, however many battles start at once
        detector = _detector()
        for text in _WARM_UP_TEXTS:
            detector.compute_language_confidence_values(text)
    _models_loaded.set()


def warm_up() -> None:
    """Load the language models in the background, once per process.

    Called when a web process starts (``arena/asgi.py``) and again when a battle starts
    (a no-op once loaded), so that the battle's language is read as it starts, and at
    the latest by the vote, which otherwise labels the prompt inside its transaction.
    """
    if _detector.cache_info().currsize == 0 and not _detector_lock.locked():
        threading.Thread(target=_load_models, name="lingua-warm-up", daemon=True).start()


def detect_language(text: str) -> str:
    """A leaderboard language's lower-case name, ``other``, or ``unknown`` (no letters)."""
    prose = _strip_code(text)
    if not re.search(r"[^\W\d_]", prose):
        return "unknown"
    with _detector_lock:
        detector = _detector()
    scores = detector.compute_language_confidence_values(prose)
    best = scores[0]
    if best.value <= 0:  # a script none of the detector's languages is written in
        return OTHER_LANGUAGE
    if best.language.name.lower() in LEADERBOARD_LANGUAGES:
        return best.language.name.lower()
    if best.value >= _OTHER_CONFIDENCE:
        return OTHER_LANGUAGE
    listed = next(s for s in scores if s.language.name.lower() in LEADERBOARD_LANGUAGES)
    return listed.language.name.lower() if listed.value > 0 else OTHER_LANGUAGE


def language_if_loaded(text: str) -> str:
    """:func:`detect_language` once the models are in memory; ``""`` while they load
    (seconds after a process starts), rather than keeping a battle waiting for them."""
    return detect_language(text) if _models_loaded.is_set() else ""


def categorise(prompts: list[str], language: str = "") -> set[str]:
    """Category tags of a battle from its user prompts, in turn order.

    ``multi_turn`` means more than one turn. The language comes from the first prompt
    (``language`` when it was read already), the others from all prompts together.
    """
    text = "\n\n".join(prompts)
    tags: set[str] = set()
    checks: Iterable[tuple[str, bool]] = (
        (CODING, is_coding(text)),
        (MATH, is_math(text)),
        (INSTRUCTION_FOLLOWING, is_instruction_following(text)),
        (CREATIVE_WRITING, is_creative_writing(text)),
        (HARD_PROMPTS, is_hard_prompt(text)),
        (LONGER_QUERY, is_longer_query(sum(_count_tokens(p) for p in prompts))),
        (MULTI_TURN, len(prompts) > 1),
    )
    tags.update(name for name, matched in checks if matched)
    tag = language_category(language or detect_language(prompts[0] if prompts else ""))
    if tag is not None:
        tags.add(tag)
    return tags
