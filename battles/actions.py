"""What the battles domain does: start a battle (blind or in a named mode), add a turn,
regenerate, vote, share a voted battle, look a battle up.

The web layer calls these and nothing else. Every error is an ``ArenaError`` whose
message is safe to show a voter: it never says which side or model is which.
"""

import random
import secrets
from collections.abc import Sequence
from functools import partial
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet

from arena import embedded
from arena.db.rows import insert_rows, update_row
from arena.errors import BadRequest, Conflict, Forbidden, NotFound
from arena.models import Contender, ContenderQuerySet
from battles.categories import categorise, language_if_loaded, warm_up
from battles.dispatch import enqueue_generation, enqueue_labelling
from battles.duplicates import duplicate_reason, prompt_hash
from battles.identity_questions import identity_question_reason
from battles.leaks import leak_reason, matcher_for, registered_names
from battles.models import (
    Battle,
    BattleCategory,
    BattleMode,
    BattleStatus,
    Completion,
    CompletionStatus,
    Outcome,
    SharedBattle,
    Side,
    Turn,
    Vote,
)
from battles.sampling import sample_pair
from battles.screening import check_prompt, check_rate_limits, check_vote_caps
from battles.vote_rows import Answer, LockedBattle, conversation, lock_battle

_SYSTEM_RNG = secrets.SystemRandom()

NO_SUCH_BATTLE = "This battle does not exist."
WAIT_MESSAGE = "Wait until both answers have finished."
FAILED_MESSAGE = "This battle failed and cannot be voted on. Please start a new battle."
PICK_MESSAGE = "Choose the models from the list offered."
SHARE_BEFORE_VOTE = (
    "A battle can be shared only after your vote: until then its models stay anonymous."
)
# "same": new answers from the same two contenders, sides kept; "new": a fresh draw.
REGENERATE_PAIRS = ("same", "new")


def start_battle(
    *,
    voter: str,
    ip_hash: str,
    prompt: str,
    rng: random.Random | None = None,
    regenerated_from: Battle | None = None,
) -> Battle:
    """Check the prompt and limits, draw two contenders, write the battle, start both sides."""
    check_prompt(prompt)
    check_rate_limits(voter=voter, ip_hash=ip_hash)
    language = language_if_loaded(prompt)  # here, not in the vote's transaction
    pair = sample_pair(rng)
    first, second = pair.contenders
    # Sides are random per battle, independent of the draw order.
    if (rng or _SYSTEM_RNG).random() < 0.5:
        first, second = second, first
    battle = Battle(
        voter=voter,
        ip_hash=ip_hash,
        contender_a=first,
        contender_b=second,
        pair_probability=pair.probability,
        pairs_allowed=pair.pairs_allowed,
        regenerated_from=regenerated_from,
        prompt_hash=prompt_hash(prompt),
        language=language,
    )
    with transaction.atomic():
        insert_rows([battle])  # hand-written, as the vote's: it is on the way to the first token
        _create_turn(battle, 0, prompt)
    warm_up()
    return battle


def named_contenders() -> ContenderQuerySet:
    """Who a voter may pick by name: revealed and sampleable, never an unrevealed codename."""
    return Contender.objects.revealed().sampleable().order_by("public_name")


def start_named_battle(
    *, voter: str, ip_hash: str, prompt: str, mode: str, contender_ids: Sequence[int]
) -> Battle:
    """A side-by-side (two picked models, sides in the order picked) or a direct chat
    (one model, side a only); names shown from the start, so never counted in ratings."""
    check_prompt(prompt)
    wanted = {BattleMode.SIDE_BY_SIDE.value: 2, BattleMode.DIRECT.value: 1}.get(mode)
    if wanted is None:
        raise BadRequest("Choose side-by-side or direct chat.")
    ids = list(contender_ids)
    if len(ids) != wanted or len(set(ids)) != wanted:
        raise BadRequest(
            "Choose two different models." if wanted == 2 else "Choose one model."
        )
    # An unrevealed or unknown id gets the same answer: nothing confirms that it exists.
    chosen = named_contenders().in_bulk(ids)
    if len(chosen) != wanted:
        raise BadRequest(PICK_MESSAGE)
    check_rate_limits(voter=voter, ip_hash=ip_hash)
    language = language_if_loaded(prompt)
    with transaction.atomic():
        battle = Battle.objects.create(
            voter=voter,
            ip_hash=ip_hash,
            mode=mode,
            contender_a=chosen[ids[0]],
            contender_b=chosen[ids[-1]],
            language=language,
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


def regenerate(
    *, battle_id: UUID, voter: str, pair: str, rng: random.Random | None = None
) -> Battle:
    """New answers to the latest prompt, before the vote; the battle that now waits for them.

    ``same``: this battle, the same contenders on the same sides; the old turn is kept,
    superseded. ``new`` (blind arena only): a new battle with a fresh draw, asked the
    latest prompt and linked to this one, which is abandoned (one pair per battle). Either
    way it costs what a new turn or battle costs: the turn limit and the rate limits.
    """
    if pair not in REGENERATE_PAIRS:
        raise BadRequest("Choose same (the same two models) or new (a new pair).")
    with transaction.atomic():
        battle = _own_battle(battle_id, voter, lock=True)
        if battle.status == BattleStatus.VOTED:
            raise Conflict("This battle has been voted on; its answers are final.")
        if battle.status == BattleStatus.ABANDONED:
            raise Conflict("This battle has ended. Please start a new battle.")
        latest = battle.latest_turn()
        if not all(c.is_finished for c in latest.completions.all()):
            raise Conflict(WAIT_MESSAGE)
        if pair == "new":
            if not battle.is_blind:
                raise Conflict("Here you chose the models yourself: start again to change them.")
            fresh = start_battle(
                voter=voter,
                ip_hash=battle.ip_hash,
                prompt=latest.prompt,
                rng=rng,
                regenerated_from=battle,
            )
            battle.status = BattleStatus.ABANDONED
            battle.save(update_fields=["status", "updated_at"])
            return fresh
        if latest.index + 1 >= settings.ARENA_MAX_TURNS:
            raise Conflict(
                f"A battle has at most {settings.ARENA_MAX_TURNS} turns, regenerated ones "
                "included. Vote now, or start a new battle."
            )
        check_rate_limits(voter=voter, ip_hash=battle.ip_hash)
        latest.superseded = True
        latest.save(update_fields=["superseded"])
        _create_turn(battle, latest.index + 1, latest.prompt)
        battle.status = BattleStatus.GENERATING
        battle.save(update_fields=["status", "updated_at"])
    return battle


def share_battle(*, battle_id: UUID, voter: str) -> SharedBattle:
    """The voted battle's public read-only link (the existing one if already shared)."""
    battle = _own_battle(battle_id, voter, lock=False)
    if battle.status != BattleStatus.VOTED:
        raise Conflict(SHARE_BEFORE_VOTE)
    try:
        with transaction.atomic():
            share, _ = SharedBattle.objects.get_or_create(
                battle=battle, defaults={"token": secrets.token_urlsafe(24)}
            )
    except IntegrityError:  # shared at the same moment by another request
        share = SharedBattle.objects.get(battle=battle)
    return share


def unshare_battle(*, battle_id: UUID, voter: str) -> None:
    """Delete the battle's public link; it answers 404 from now on."""
    battle = _own_battle(battle_id, voter, lock=False)
    deleted, _ = SharedBattle.objects.filter(battle=battle).delete()
    if not deleted:
        raise NotFound("This battle has no public link.")


def get_shared_battle(*, token: str) -> Battle:
    """The voted battle behind a public link, with its conversation."""
    try:
        share = SharedBattle.objects.get(token=token)
    except SharedBattle.DoesNotExist as exc:
        raise NotFound("This link does not exist, or its owner deleted it.") from exc
    return _battle_rows().get(pk=share.battle_id)


def cast_vote(*, battle_id: UUID, voter: str, outcome: str) -> Vote:
    """Record the one final vote; the battle becomes ``voted`` in the same transaction.

    Categories are stored and the exclusions decided now, when the conversation is final:
    an identity question, an identity leak, or a prompt over the duplicate cap.
    """
    if outcome not in Outcome.values:
        raise BadRequest("Choose one of: a, b, tie, bothbad.")
    try:
        with transaction.atomic():
            vote = _record_vote(battle_id, voter, outcome)
    except IntegrityError as exc:
        # The unique constraint, the final guard against a racing second vote (the row
        # lock already serialises them): the whole transaction is rolled back.
        raise Conflict("You have already voted in this battle.") from exc
    # Embedded mode has no beat: a vote is traffic that drives the ratings refresh.
    embedded.run_due_periodic_tasks()
    return vote


def _record_vote(battle_id: UUID, voter: str, outcome: str) -> Vote:
    locked = lock_battle(battle_id)
    if locked is None:
        raise NotFound(NO_SUCH_BATTLE)
    battle = _owned(locked.battle, voter)
    if battle.status == BattleStatus.VOTED:
        raise Conflict("You have already voted in this battle.")
    if battle.status == BattleStatus.ABANDONED:
        raise Conflict("This battle has ended and cannot be voted on.")
    if battle.mode == BattleMode.DIRECT:
        raise Conflict("A direct chat has no vote.")
    # The whole conversation in one query: prompts, latest statuses, answers; regenerated
    # turns are not part of it (nor of its categories or leak checks).
    answers = conversation(battle.pk)
    latest = answers[-1].turn
    statuses = {a.status for a in answers if a.turn == latest}
    if battle.status == BattleStatus.FAILED or CompletionStatus.FAILED in statuses:
        raise Conflict(FAILED_MESSAGE)
    if statuses != {CompletionStatus.DONE}:
        raise Conflict(WAIT_MESSAGE)
    check_vote_caps(voter=voter, ip_hash=battle.ip_hash)
    # Status and reason first: the vote and its tags copy whether they count.
    battle.status = BattleStatus.VOTED
    prompts = [a.prompt for a in answers if a.side == Side.A]
    if not battle.excluded_reason:
        battle.excluded_reason = _exclusion_reason(locked, prompts, answers)
    # Hand-written statements (arena.db.rows): this is the arena's most frequent write.
    vote = Vote.for_battle(battle, outcome, voter)
    insert_rows([vote])
    update_row(battle, ["status", "excluded_reason", "updated_at"])
    tags = sorted(categorise(prompts, battle.language))
    insert_rows([BattleCategory.for_vote(vote, tag) for tag in tags], ignore_conflicts=True)
    transaction.on_commit(partial(enqueue_labelling, battle.id))
    return vote


def get_battle(*, battle_id: UUID, voter: str) -> Battle:
    """The voter's own battle with its turns (in order) and their completions (a, b)."""
    return _own_battle(battle_id, voter, lock=False)


def _battle_rows() -> QuerySet[Battle]:
    """Battles with their contenders, share, and turns (in order) with completions (a, b)."""
    return Battle.objects.select_related("contender_a", "contender_b", "share").prefetch_related(
        Prefetch(
            "turns",
            queryset=Turn.objects.order_by("index").prefetch_related(
                Prefetch("completions", queryset=Completion.objects.order_by("side"))
            ),
        )
    )


def _own_battle(battle_id: UUID, voter: str, *, lock: bool) -> Battle:
    if lock:
        # Lock only the battle row, not the contenders joined in.
        rows = Battle.objects.select_related("contender_a", "contender_b").select_for_update(
            of=("self",)
        )
    else:
        rows = _battle_rows()
    try:
        battle = rows.get(pk=battle_id)
    except (Battle.DoesNotExist, ValueError):
        battle = None
    return _owned(battle, voter)


def _owned(battle: Battle | None, voter: str) -> Battle:
    if battle is None:
        raise NotFound(NO_SUCH_BATTLE)
    if battle.voter != voter:
        raise Forbidden("This battle belongs to someone else.")
    return battle


def _latest_statuses(turn: Turn) -> set[str]:
    return set(turn.completions.values_list("status", flat=True))


def _create_turn(battle: Battle, index: int, prompt: str) -> Turn:
    """A turn with one pending completion per side, each generated once the rows commit."""
    turn = Turn(battle=battle, index=index, prompt=prompt)
    insert_rows([turn])
    completions = [
        Completion(turn=turn, side=side, contender=battle.contender(side)) for side in battle.sides
    ]
    insert_rows(completions)
    for completion in completions:
        transaction.on_commit(partial(enqueue_generation, completion.id))
    return turn


def _exclusion_reason(locked: LockedBattle, prompts: list[str], answers: list[Answer]) -> str:
    """The first reason that applies, the voter's own doing first (they are told it)."""
    battle = locked.battle
    return (
        identity_question_reason(prompts)
        or _leak_reason(battle, prompts, answers)
        or locked.flag_reason
        or duplicate_reason(battle.prompt_hash, locked.duplicates, locked.duplicate_cap)
    )


def _leak_reason(battle: Battle, prompts: list[str], answers: list[Answer]) -> str:
    # Answers only: the voter saw no reasoning trace before voting, whatever it names.
    contender_ids: dict[str, int] = {Side.A: battle.contender_a_id, Side.B: battle.contender_b_id}
    found = [
        (a.side, a.text, contender_ids[a.side])
        for a in answers
        if a.status == CompletionStatus.DONE
    ]
    return leak_reason(matcher_for(registered_names()).leaks(prompts, found))
