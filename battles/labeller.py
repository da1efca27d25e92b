"""The optional LLM labeller: a contender judges a voted battle's prompts the way
LMArena's classifiers do, and its labels replace the heuristic ones for the
judge-defined categories (hard prompts, instruction following, math, creative writing).

On when ``ARENA_LABELLER_JUDGE`` names a contender's codename. Runs as a Celery task after
the vote (in-process in the embedded mode). Judgements are cached per prompt
(:class:`~battles.models.PromptLabel`, keyed by the SHA-256 of the normalised prompts). A
judge answer that cannot be parsed is recorded with its reason and that category keeps
its heuristic label; nothing here raises for bad output.
"""

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction

from arena.backends import build_request, get_backend
from arena.backends.base import BackendError, Delta, Message
from arena.categories import (
    CREATIVE_WRITING,
    HARD_CRITERIA,
    HARD_PROMPTS,
    IF_MIN_SCORE,
    INSTRUCTION_FOLLOWING,
    MATH,
    is_hard,
)
from arena.models import Contender
from battles.judge_prompts import TASKS, JudgeTask
from battles.models import Battle, BattleCategory, BattleStatus, PromptLabel, Vote

logger = logging.getLogger(__name__)

#: The categories the labeller decides (each from one judge task).
JUDGED = {
    "criteria_v0.1": HARD_PROMPTS,
    "if_v0.1": INSTRUCTION_FOLLOWING,
    "math_v0.1": MATH,
    "creative_writing_v0.1": CREATIVE_WRITING,
}
# A judge reads this much of the conversation's prompts at most.
MAX_JUDGED_CHARS = 16000
_EXCERPT = 160


class BadJudgement(ValueError):
    """The judge's answer does not have the format its task asks for."""


def normalise(prompts: list[str]) -> str:
    """The text a judge sees: prompts in turn order, Unicode NFC, whitespace collapsed."""
    text = "\n\n".join(" ".join(unicodedata.normalize("NFC", p).split()) for p in prompts)
    return text[:MAX_JUDGED_CHARS]


def prompt_hash(prompts: list[str]) -> str:
    return hashlib.sha256(normalise(prompts).encode("utf-8")).hexdigest()


# --- Reading the judge's answers ----------------------------------------------------------
def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return repr(flat[:_EXCERPT] + ("..." if len(flat) > _EXCERPT else ""))


def _single(found: list[str], what: str, text: str) -> str:
    if not found:
        raise BadJudgement(f"no {what} in the judge's answer {_excerpt(text)}")
    if len(set(found)) > 1:
        raise BadJudgement(f"conflicting {what}s in the judge's answer {_excerpt(text)}")
    return found[0]


def parse_criteria(text: str) -> list[int]:
    """The criteria numbers of a ``[1, 3, 6]`` answer (one list, numbers 1-7)."""
    found = [m.group(0) for m in re.finditer(r"\[\s*\d?(?:\s*,\s*\d)*\s*\]", text)]
    listed = _single([re.sub(r"\s", "", f) for f in found], "criteria list", text)
    numbers = [int(n) for n in listed.strip("[]").split(",") if n]
    if any(not 1 <= n <= len(HARD_CRITERIA) for n in numbers):
        raise BadJudgement(f"criteria outside 1-7 in the judge's answer {_excerpt(text)}")
    return sorted(set(numbers))


def parse_score(text: str) -> int:
    """The score of a ``<score>N</score>`` answer, N from 0 to 5."""
    found = re.findall(r"<score>\s*(\d+)\s*</score>", text, re.IGNORECASE)
    score = int(_single(found, "<score>N</score>", text))
    if not 0 <= score <= 5:
        raise BadJudgement(f"score outside 0-5 in the judge's answer {_excerpt(text)}")
    return score


def parse_decision(text: str) -> bool:
    """A ``<decision>yes</decision>`` or ``<decision>no</decision>`` answer."""
    found = re.findall(r"<decision>\s*(\w+)\s*</decision>", text, re.IGNORECASE)
    decision = _single([f.lower() for f in found], "<decision>yes/no</decision>", text)
    if decision not in {"yes", "no"}:
        raise BadJudgement(f"decision neither yes nor no in the judge's answer {_excerpt(text)}")
    return decision == "yes"


def read_judgement(task: JudgeTask, text: str) -> dict[str, Any]:
    """The labels one task's answer gives, or :class:`BadJudgement`."""
    if task.name == "criteria_v0.1":
        met = parse_criteria(text)
        criteria = [HARD_CRITERIA[n - 1] for n in met]
        return {HARD_PROMPTS: bool(is_hard(len(met))), "criteria": criteria}
    if task.name == "if_v0.1":
        score = parse_score(text)
        return {INSTRUCTION_FOLLOWING: score >= IF_MIN_SCORE, "if_score": score}
    return {JUDGED[task.name]: parse_decision(text)}


# --- Asking ---------------------------------------------------------------------------------
def configured_judge() -> Contender | None:
    """The judge contender named by ``ARENA_LABELLER_JUDGE``, or None (labeller off)."""
    codename = settings.ARENA_LABELLER_JUDGE
    if not codename:
        return None
    judge = Contender.objects.filter(codename=codename).first()
    if judge is None:
        logger.warning("ARENA_LABELLER_JUDGE=%s names no contender; labeller off", codename)
    return judge


def ask(judge: Contender, task: JudgeTask, text: str) -> str:
    """The judge's whole answer to one task (its thinking, if any, is not part of it)."""
    system, user = task.messages(text)
    request = replace(build_request(judge, [Message("user", user)]), system_prompt=system)
    parts = [e.text for e in get_backend(judge.backend).stream(request) if isinstance(e, Delta)]
    return "".join(parts)


@dataclass
class Judgement:
    labels: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def judge_text(judge: Contender, text: str, tasks: tuple[JudgeTask, ...] = TASKS) -> Judgement:
    result = Judgement()
    for task in tasks:
        try:
            result.labels.update(read_judgement(task, ask(judge, task, text)))
        except BadJudgement as exc:
            result.errors[task.name] = str(exc)
        except BackendError as exc:
            result.errors[task.name] = f"the judge failed: {exc.reason}"
    return result


def judged_label(judge: Contender, prompts: list[str]) -> PromptLabel:
    """The cached judgement of ``prompts``; tasks without a usable answer are asked again."""
    key = prompt_hash(prompts)
    label = PromptLabel.objects.filter(prompt_hash=key).first()
    if label is not None and not label.errors:
        return label
    pending = TASKS if label is None else tuple(t for t in TASKS if t.name in label.errors)
    fresh = judge_text(judge, normalise(prompts), pending)
    for task in pending:
        if task.name in fresh.errors:
            logger.warning("labeller: %s: %s", task.name, fresh.errors[task.name])
    if label is None:
        try:
            with transaction.atomic():
                return PromptLabel.objects.create(
                    prompt_hash=key, judge=judge.codename, labels=fresh.labels, errors=fresh.errors
                )
        except IntegrityError:  # judged meanwhile by another worker: theirs stands
            return PromptLabel.objects.get(prompt_hash=key)
    label.labels = {**label.labels, **fresh.labels}
    label.errors = fresh.errors
    label.judge = judge.codename
    label.save(update_fields=["labels", "errors", "judge"])
    return label


# --- Storing --------------------------------------------------------------------------------
def apply_label(battle_id: UUID, label: PromptLabel) -> set[str]:
    """Make the battle's judged category tags agree with ``label``; its tags after.

    Under the battle's row lock, like ``battles.exclusions``: a new tag row copies the
    vote's ``counted`` as it is now, so the two stay in step.
    """
    with transaction.atomic():
        Battle.objects.select_for_update().filter(pk=battle_id).first()
        vote = Vote.objects.filter(battle_id=battle_id).first()
        if vote is None:
            return set()
        decided = {c: bool(label.labels[c]) for c in JUDGED.values() if c in label.labels}
        yes = [c for c, v in decided.items() if v]
        no = [c for c, v in decided.items() if not v]
        BattleCategory.objects.filter(battle_id=battle_id, category__in=no).delete()
        BattleCategory.objects.bulk_create(
            [BattleCategory.for_vote(vote, c) for c in yes], ignore_conflicts=True
        )
        return set(
            BattleCategory.objects.filter(battle_id=battle_id).values_list("category", flat=True)
        )


def label_battle(battle_id: UUID) -> set[str] | None:
    """Judge a voted battle's prompts and store the labels; None when there is nothing to do."""
    judge = configured_judge()
    battle = Battle.objects.filter(pk=battle_id, status=BattleStatus.VOTED).first()
    if judge is None or battle is None:
        return None
    prompts = list(battle.turns.order_by("index").values_list("prompt", flat=True))
    if not prompts:
        return None
    return apply_label(battle_id, judged_label(judge, prompts))
