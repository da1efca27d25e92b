"""Identity-leak detection: an answer that names its own contender breaks anonymity.

Such a vote is kept (the voter did nothing wrong) but excluded from the ratings, with the
side recorded in ``Battle.excluded_reason``. Only answers are searched: a reasoning trace
that names its model is shown only after the vote, so it cannot have swayed it.
"""

import re
from collections.abc import Iterable

from arena.models import Contender

# Shorter names ("Yi", "o1") match ordinary text too often to be evidence of a leak.
MIN_TERM_CHARS = 3


def identity_terms(contender: Contender) -> list[str]:
    """The names a contender could give itself away by, longest first."""
    terms = {contender.codename, contender.public_name, contender.organisation}
    model = contender.provider_model
    # "meta-llama/Llama-3-8B" -> also "Llama-3-8B"; models rarely say the org path.
    terms.update({model, model.rsplit("/", 1)[-1]})
    # Codenames are slugs; an answer would write "big-bird" as "big bird" just as often.
    terms.add(contender.codename.replace("-", " ").replace("_", " "))
    usable = {t.strip() for t in terms if len(t.strip()) >= MIN_TERM_CHARS}
    return sorted(usable, key=lambda term: (-len(term), term))


def _pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    alternatives = [re.escape(t) for t in terms]
    if not alternatives:
        return None
    # Word boundaries by look-around, so names ending in "+" or "." still match whole.
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)


def names_itself(text: str, contender: Contender) -> bool:
    pattern = _pattern(identity_terms(contender))
    return bool(pattern and pattern.search(text))


def leaking_sides(answers: Iterable[tuple[str, str, Contender]]) -> list[str]:
    """Sides (``a``/``b``) whose answer names its own contender.

    ``answers`` holds ``(side, text, contender)`` for every answer of a battle.
    """
    return sorted({side for side, text, contender in answers if names_itself(text, contender)})


def leak_reason(sides: list[str]) -> str:
    """The ``excluded_reason`` for leaking sides, or ``""`` when nothing leaked."""
    if not sides:
        return ""
    label = "side" if len(sides) == 1 else "sides"
    return f"identity leak: {label} {', '.join(sides)}"
