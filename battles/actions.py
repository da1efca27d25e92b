"""What the battles domain does: start a battle, add a turn, vote, look a battle up.

The web layer calls these and nothing else. Every error is an ``ArenaError`` whose
message is safe to show a voter: it never says which side or model is which.
"""

import random
import secrets
from functools import partial
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Prefetch

from arena.errors import BadRequest, Conflict, Forbidden, NotFound
from battles.categories import categorise, warm_up
from battles.dispatch import enqueue_generation, enqueue_labelling
from battles.leaks import leak_reason, leaking_sides
from battles.models import (
    Battle,
    BattleCategory,
    BattleStatus,
    Completion,
    CompletionStatus,
    Outcome,
    Side,
    Turn,
    Vote,
)
from battles.sampling import sample_pair
from battles.screening import check_prompt, check_rate_limits

_SYSTEM_RNG = secrets.SystemRandom()

WAIT_MESSAGE = "Wait until both answers have finished."
FAILED_MESSAGE = "This battle failed and cannot be voted on. Please start a new battle."


def start_battle(
    *, voter: str, ip_hash: str, prompt: str, rng: random.Random | None = None
) -> Battle:
    """Check the prompt and limits, draw two contenders, write the battle, start both sides."""
    check_prompt(prompt)
    check_rate_limits(voter=voter, ip_hash=ip_hash)
    pair = sample_pair(rng)
    first, second = pair.contenders
    # Sides are random per battle, independent of the draw order.
    if (rng or _SYSTEM_RNG).random() < 0.5:
        first, second = second, first
    with transaction.atomic():
        battle = Battle.objects.create(
            voter=voter,
            ip_hash=ip_hash,
            contender_a=first,
            contender_b=second,
            pair_probability=pair.probability,
            pairs_allowed=pair.pairs_allowed,
        )
        _create_turn(battle, 0, prompt)
    warm_up()
    return battle


def add_turn(*, battle_id: UUID, voter: str, prompt: str) -> Turn:
    """A follow-up prompt to both sides of an unvoted battle whose last answers are done."""
    check_prompt(prompt)
    with transaction.atomic():
        battle = _own_battle(battle_id, voter, lock=True)
        if battle.status == BattleStatus.VOTED:
            raise Conflict("This battle has been voted on. Start a new battle to keep chatting.")
        if battle.status in (BattleStatus.FAILED, BattleStatus.ABANDONED):
            raise Conflict("This battle has ended. Please start a new battle.")
        latest = battle.latest_turn()
        if _latest_statuses(latest) != {CompletionStatus.DONE}:
            raise Conflict(WAIT_MESSAGE)
        if latest.index + 1 >= settings.ARENA_MAX_TURNS:
            raise Conflict(
                f"A battle has at most {settings.ARENA_MAX_TURNS} turns. "
                "Vote now, or start a new battle."
            )
        check_rate_limits(voter=voter, ip_hash=battle.ip_hash)
        turn = _create_turn(battle, latest.index + 1, prompt)
        battle.status = BattleStatus.GENERATING
        battle.save(update_fields=["status", "updated_at"])
    return turn


def cast_vote(*, battle_id: UUID, voter: str, outcome: str) -> Vote:
    """Record the one final vote; the battle becomes ``voted`` in the same transaction.

    Categories are stored and identity leaks detected now, when the conversation is final.
    """
    if outcome not in Outcome.values:
        raise BadRequest("Choose one of: a, b, tie, bothbad.")
    try:
        with transaction.atomic():
            return _record_vote(battle_id, voter, outcome)
    except IntegrityError as exc:
        # The unique constraint, the final guard against a racing second vote (the row
        # lock already serialises them): the whole transaction is rolled back.
        raise Conflict("You have already voted in this battle.") from exc


def _record_vote(battle_id: UUID, voter: str, outcome: str) -> Vote:
    battle = _own_battle(battle_id, voter, lock=True)
    if battle.status == BattleStatus.VOTED:
        raise Conflict("You have already voted in this battle.")
    if battle.status == BattleStatus.ABANDONED:
        raise Conflict("This battle has ended and cannot be voted on.")
    # The whole conversation in one query: prompts, latest statuses, answers.
    completions = list(
        Completion.objects.filter(turn__battle=battle)
        .select_related("turn")
        .order_by("turn__index", "side")
    )
    latest = completions[-1].turn.index
    statuses = {c.status for c in completions if c.turn.index == latest}
    if battle.status == BattleStatus.FAILED or CompletionStatus.FAILED in statuses:
        raise Conflict(FAILED_MESSAGE)
    if statuses != {CompletionStatus.DONE}:
        raise Conflict(WAIT_MESSAGE)
    # Status and reason first: the vote and its tags copy whether they count.
    battle.status = BattleStatus.VOTED
    if not battle.excluded_reason:
        battle.excluded_reason = _leak_reason(battle, completions)
    vote = Vote.for_battle(battle, outcome, voter)
    vote.save()
    battle.save(update_fields=["status", "excluded_reason", "updated_at"])
    tags = categorise([c.turn.prompt for c in completions if c.side == Side.A])
    BattleCategory.objects.bulk_create(
        [BattleCategory.for_vote(vote, tag) for tag in sorted(tags)],
        ignore_conflicts=True,
    )
    transaction.on_commit(partial(enqueue_labelling, battle.id))
    return vote


def get_battle(*, battle_id: UUID, voter: str) -> Battle:
    """The voter's own battle with its turns (in order) and their completions (a, b)."""
    return _own_battle(battle_id, voter, lock=False)


def _own_battle(battle_id: UUID, voter: str, *, lock: bool) -> Battle:
    rows = Battle.objects.select_related("contender_a", "contender_b")
    if lock:
        # Lock only the battle row, not the contenders joined in.
        rows = rows.select_for_update(of=("self",))
    else:
        rows = rows.prefetch_related(
            Prefetch(
                "turns",
                queryset=Turn.objects.order_by("index").prefetch_related(
                    Prefetch("completions", queryset=Completion.objects.order_by("side"))
                ),
            )
        )
    try:
        battle = rows.get(pk=battle_id)
    except (Battle.DoesNotExist, ValueError) as exc:
        raise NotFound("This battle does not exist.") from exc
    if battle.voter != voter:
        raise Forbidden("This battle belongs to someone else.")
    return battle


def _latest_statuses(turn: Turn) -> set[str]:
    return set(turn.completions.values_list("status", flat=True))


def _create_turn(battle: Battle, index: int, prompt: str) -> Turn:
    """A turn with one pending completion per side, each generated once the rows commit."""
    turn = Turn.objects.create(battle=battle, index=index, prompt=prompt)
    completions = Completion.objects.bulk_create(
        Completion(turn=turn, side=side, contender=battle.contender(side))
        for side in (Side.A, Side.B)
    )
    for completion in completions:
        transaction.on_commit(partial(enqueue_generation, completion.id))
    return turn


def _leak_reason(battle: Battle, completions: list[Completion]) -> str:
    # Answers only: the voter saw no reasoning trace before voting, whatever it names.
    answers = [
        (c.side, c.text, battle.contender(c.side))
        for c in completions
        if c.status == CompletionStatus.DONE
    ]
    return leak_reason(leaking_sides(answers))
