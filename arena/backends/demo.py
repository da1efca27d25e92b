"""A local backend that needs no network: plausible markdown answers, streamed slowly.

Answers are deterministic per (provider_model, conversation) so tests and screenshots
are reproducible. ``provider_model`` picks a personality (``concise``, ``thorough``,
``playful``, ``structured``); the text never names a model, so a demo battle stays blind.
"""

import hashlib
import random
import re
import time
from collections.abc import Callable, Iterator

from django.conf import settings

from arena.backends.base import Delta, Finished, GenerationRequest, StreamEvent

PERSONALITIES = ("concise", "thorough", "playful", "structured")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{2,}")
_TOKEN = re.compile(r"\s*\S+|\s+")
_STOPWORDS = frozenset(
    (  # noqa: SIM905 -- one readable line of words beats a 50-line list literal
        "the and for with that this what how why who are was were you your can could would "
        "should about from into does did have has had not but all any its it's there their "
        "then than them they will just please tell explain write give some"
    ).split()
)


class DemoBackend:
    """Streams a canned-but-relevant markdown answer token by token."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep) -> None:
        self._sleep = sleep

    def stream(self, request: GenerationRequest) -> Iterator[StreamEvent]:
        text = compose_answer(request)
        tokens = _TOKEN.findall(text)
        limit = request.max_tokens
        reason = "stop"
        if limit is not None and len(tokens) > limit:
            tokens, reason = tokens[:limit], "length"
        delay = settings.ARENA_DEMO_TOKEN_DELAY
        for token in tokens:
            if delay > 0:
                self._sleep(delay)
            yield Delta(token)
        input_tokens = sum(len(_TOKEN.findall(m.content)) for m in request.messages)
        input_tokens += len(_TOKEN.findall(request.system_prompt))
        yield Finished(reason, input_tokens=input_tokens, output_tokens=len(tokens))


def personality(provider_model: str) -> str:
    """The personality named by ``provider_model``, or a stable pick for any other id."""
    name = provider_model.strip().lower()
    if name in PERSONALITIES:
        return name
    digest = hashlib.sha256(name.encode()).digest()
    return PERSONALITIES[digest[0] % len(PERSONALITIES)]


def compose_answer(request: GenerationRequest) -> str:
    """The full answer text for ``request``; a pure function of model id and conversation."""
    user_turns = [m.content for m in request.messages if m.role == "user"]
    prompt = user_turns[-1] if user_turns else ""
    seed_text = "\x1f".join([request.provider_model, request.system_prompt, *user_turns])
    rng = random.Random(hashlib.sha256(seed_text.encode()).hexdigest())
    topic = _topic(prompt)
    keywords = _keywords(prompt) or ["this"]
    follow_up = len(user_turns) > 1
    style = personality(request.provider_model)
    answer = _COMPOSERS[style](rng, topic, keywords, follow_up).strip()
    extras = [text for word, text in _SHOWCASE if re.search(rf"\b{word}\b", prompt, re.I)]
    return "\n\n".join([answer, *extras]) + "\n"


def _topic(prompt: str) -> str:
    words = prompt.strip().split()
    topic = " ".join(words[:8]).strip(" ?!.,:;\"'")
    if len(words) > 8:
        topic += "…"
    return topic or "your question"


def _keywords(prompt: str) -> list[str]:
    seen: list[str] = []
    for word in _WORD.findall(prompt):
        lower = word.lower()
        if lower not in _STOPWORDS and lower not in seen:
            seen.append(lower)
    return sorted(seen, key=len, reverse=True)[:4]


def _pick(rng: random.Random, options: list[str]) -> str:
    return options[rng.randrange(len(options))]


def _concise(rng: random.Random, topic: str, keywords: list[str], follow_up: bool) -> str:
    opener = _pick(rng, ["In short:", "Briefly:", "The short answer:"])
    lead = "Building on what we discussed, " if follow_up else ""
    return (
        f"{opener} {lead}**{keywords[0]}** is the heart of it. "
        f"{_pick(rng, ['Start small', 'Focus on the basics', 'Keep it simple'])}, "
        f"check how {keywords[-1]} fits in, and iterate."
    )


def _thorough(rng: random.Random, topic: str, keywords: list[str], follow_up: bool) -> str:
    intro = "Picking up the thread from before. " if follow_up else ""
    points = [
        f"**{word.capitalize()}** — "
        + _pick(
            rng,
            [
                "worth defining precisely before going further.",
                "usually where the subtle trade-offs hide.",
                "the part most explanations skip, so it deserves care.",
                "best understood through a concrete example.",
            ],
        )
        for word in keywords
    ]
    lines = [
        f"## Understanding {topic}",
        "",
        f"{intro}Let me walk through this step by step, because {keywords[0]} "
        f"has a few layers that are easy to mix up.",
        "",
        "### Key ideas",
        "",
        *[f"- {p}" for p in points],
        "",
        "### How it fits together",
        "",
        f"1. Clarify what you mean by *{keywords[0]}*.",
        f"2. {_pick(rng, ['Gather', 'Collect', 'Write down'])} the constraints that matter.",
        f"3. {_pick(rng, ['Compare', 'Weigh', 'Test'])} the options against those constraints.",
        "",
        "### Summary",
        "",
        f"Treat {keywords[-1]} as a series of small, checkable decisions rather than "
        "one big leap; that makes each step easy to verify.",
    ]
    return "\n".join(lines)


def _playful(rng: random.Random, topic: str, keywords: list[str], follow_up: bool) -> str:
    opener = _pick(rng, ["Ooh, fun one!", "Great question!", "Alright, let's dive in!"])
    again = " Round two — I love a follow-up." if follow_up else ""
    return (
        f"{opener}{again} Think of **{keywords[0]}** like a recipe: "
        f"{_pick(rng, ['a pinch of curiosity', 'a dash of patience', 'a spoonful of practice'])}"
        f" goes a long way. 🍦\n\n"
        f"- First, *poke* at {keywords[-1]} and see what happens.\n"
        f"- Then, {_pick(rng, ['laugh at the surprises', 'take notes', 'try it again'])}.\n\n"
        f"Honestly? {topic} is more approachable than it looks."
    )


def _structured(rng: random.Random, topic: str, keywords: list[str], follow_up: bool) -> str:
    rows = "\n".join(
        f"| {word} | {_pick(rng, ['high', 'medium', 'low'])} | "
        f"{_pick(rng, ['define it', 'measure it', 'revisit later'])} |"
        for word in keywords
    )
    context = "Follow-up on the previous answer." if follow_up else "First look."
    return (
        f"# {topic}\n\n"
        f"**Context:** {context}\n\n"
        f"## Overview\n\n"
        f"| Aspect | Priority | Next step |\n|---|---|---|\n{rows}\n\n"
        f"## Recommendation\n\n"
        f"1. **Scope** — pin down {keywords[0]}.\n"
        f"2. **Plan** — order the work by priority.\n"
        f"3. **Review** — {_pick(rng, ['check results', 'gather feedback', 'adjust'])}.\n\n"
        f"```text\n{keywords[0]} -> plan -> review\n```"
    )


_Composer = Callable[[random.Random, str, list[str], bool], str]
_COMPOSERS: dict[str, _Composer] = {
    "concise": _concise,
    "thorough": _thorough,
    "playful": _playful,
    "structured": _structured,
}


# Asked for code, math, a table or a long answer, every personality shows one, so a demo
# battle (and the browser tests) can see how answers with them look.
_LONG_PARAGRAPH = (
    "Each step builds on the one before it, so it pays to check the result at every stage "
    "before moving on; small, verifiable steps beat one big leap."
)
_SHOWCASE: tuple[tuple[str, str], ...] = (
    (
        "code",
        "```python\ndef greet(name: str) -> str:\n"
        "    # Say hello politely.\n"
        '    return f"Hello, {name}!"\n```',
    ),
    (
        "math",
        "The identity $e^{i\\pi} + 1 = 0$ ties five constants together, and\n\n"
        "$$\n\\int_0^1 x^2\\,dx = \\frac{1}{3}\n$$",
    ),
    (
        "table",
        "| Aspect | Detail | Trade-off | Example | Verdict |\n|---|---|---|---|---|\n"
        + "\n".join(
            f"| aspect-{n} | a fairly long description of detail {n} | cost versus benefit {n} "
            f"| an example value {n} | acceptable {n} |"
            for n in range(1, 4)
        ),
    ),
    ("long answer", "\n\n".join(f"{n}. {_LONG_PARAGRAPH}" for n in range(1, 31))),
)
