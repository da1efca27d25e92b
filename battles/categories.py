"""Prompt categories of a battle, stored as ``BattleCategory`` rows at vote time.

The tags follow Chatbot Arena's leaderboard categories. FastChat labels prompts with an
LLM judge; we use transparent, dependency-free heuristics over the user prompts only (never
the answers, which differ by side). ``overall`` is implicit and ``exclude_ties`` is not a
tag: the ratings derive it from the outcomes.
"""

import re
from collections.abc import Iterable

CODING = "coding"
MATH = "math"
INSTRUCTION_FOLLOWING = "instruction_following"
CREATIVE_WRITING = "creative_writing"
HARD_PROMPTS = "hard_prompts"
LONGER_QUERY = "longer_query"
MULTI_TURN = "multi_turn"
LANGUAGE_PREFIX = "language_"
UNKNOWN_LANGUAGE = "language_unknown"

# FastChat tags a battle "longer query" when the user prompts sum to more than 500
# tokens (tiktoken). We approximate tokens by words and punctuation marks, which
# undercounts BPE tokens slightly; the threshold is kept at FastChat's value.
LONGER_QUERY_TOKENS = 500
# FastChat's "hard prompts" need 6 of 7 judge criteria; our signals are cruder, so 4 of 7.
HARD_PROMPT_CRITERIA = 4

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
    return sum(criteria) >= HARD_PROMPT_CRITERIA


# --- Language ---------------------------------------------------------------------------
# Non-Latin scripts identify the language (or a close family) by themselves.
_SCRIPTS: list[tuple[str, re.Pattern[str]]] = [
    ("japanese", re.compile(r"[\u3040-\u30ff]")),  # kana; checked before Han
    ("korean", re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")),
    ("chinese", re.compile(r"[\u4e00-\u9fff]")),
    ("russian", re.compile(r"[\u0400-\u04ff]")),  # Cyrillic; Ukrainian told apart below
    ("arabic", re.compile(r"[\u0600-\u06ff]")),
    ("hebrew", re.compile(r"[\u0590-\u05ff]")),
    ("greek", re.compile(r"[\u0370-\u03ff]")),
    ("hindi", re.compile(r"[\u0900-\u097f]")),
    ("thai", re.compile(r"[\u0e00-\u0e7f]")),
]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Letters Ukrainian has and Russian lacks.
_UKRAINIAN = re.compile(r"[іїєґІЇЄҐ]")


# Latin-script languages: their most frequent function words, which rarely overlap.
_STOPWORDS: dict[str, frozenset[str]] = {
    "english": _words(
        "the and is are was of to in that it for on with as this what how you can i "
        "be have do not please my me your an why explain write solve give tell list"
    ),
    "spanish": _words(
        "el la los las de que y en un una es por con para del se no como más pero "
        "qué cómo está son mi"
    ),
    "french": _words(
        "le la les de des et est un une que qui en du dans pour pas sur ce avec je "
        "vous il elle sont comment"
    ),
    "german": _words(
        "der die das und ist nicht ein eine ich sie es zu mit auf für den dem wie "
        "was sind auch bitte"
    ),
    "portuguese": _words(
        "o a os as de que e do da em um uma para com não é por mais como dos das "
        "você são"
    ),
    "italian": _words(
        "il lo la gli le di che e è un una per con non sono del della come anche "
        "mi ti questo"
    ),
    "dutch": _words(
        "de het een en van is dat niet ik je op te voor met zijn er maar ook wat"
    ),
    "polish": _words(
        "i w nie na się z że do to jest jak co ale o po czy jestem jak"
    ),
}


def detect_language(text: str) -> str:
    """A lower-case language name, or ``unknown`` when the prompt gives too little to go on."""
    prose = _strip_code(text)
    letters = re.findall(r"[^\W\d_]", prose)
    if not letters:
        return "unknown"
    for name, pattern in _SCRIPTS:
        # A few foreign characters (a quoted name) do not make the prompt that language.
        if len(pattern.findall(prose)) >= max(2, len(letters) // 5):
            return "ukrainian" if name == "russian" and _UKRAINIAN.search(prose) else name
    words = re.findall(r"[^\W\d_]+", prose.lower())
    scores = {lang: sum(w in stop for w in words) for lang, stop in _STOPWORDS.items()}
    best = max(scores, key=lambda lang: scores[lang])
    return best if scores[best] > 0 else "unknown"


def categorise(prompts: list[str]) -> set[str]:
    """Category tags of a battle from its user prompts, in turn order.

    ``multi_turn`` means more than one turn. The language comes from the first prompt,
    the others from all prompts together.
    """
    text = "\n\n".join(prompts)
    tags: set[str] = set()
    checks: Iterable[tuple[str, bool]] = (
        (CODING, is_coding(text)),
        (MATH, is_math(text)),
        (INSTRUCTION_FOLLOWING, is_instruction_following(text)),
        (CREATIVE_WRITING, is_creative_writing(text)),
        (HARD_PROMPTS, is_hard_prompt(text)),
        (LONGER_QUERY, sum(_count_tokens(p) for p in prompts) > LONGER_QUERY_TOKENS),
        (MULTI_TURN, len(prompts) > 1),
    )
    tags.update(name for name, matched in checks if matched)
    tags.add(LANGUAGE_PREFIX + detect_language(prompts[0] if prompts else ""))
    return tags
