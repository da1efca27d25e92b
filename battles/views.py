"""Pages (home, battle, named modes, shared battles) with plain-form fallbacks; the live
stream is ``battles.events``."""

from typing import Any
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from arena.errors import ArenaError
from battles import actions, human_check
from battles.models import BattleMode, Outcome
from battles.presenters import battle_dict, shared_battle_dict
from battles.shortcuts import NEW_BATTLE_KEY, vote_buttons
from battles.voters import get_voter, ip_hash

# Without JavaScript a page whose answers are still being written reloads itself this often.
NOSCRIPT_REFRESH_SECONDS = 3

# --- Pages ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    """The prompt box; the form posts here when JavaScript is off."""
    if request.method == "GET":
        return _render_home(request)
    prompt = request.POST.get("prompt", "")
    try:
        human_check.check_request(request)
        battle = actions.start_battle(
            voter=get_voter(request), ip_hash=ip_hash(request), prompt=prompt
        )
    except ArenaError as exc:
        return _render_home(request, prompt=prompt, error=exc.message, status=exc.status)
    return redirect("battles:battle", battle_id=battle.id)


def battle_page(request: HttpRequest, battle_id: UUID) -> HttpResponse:
    try:
        battle = actions.get_battle(battle_id=battle_id, voter=get_voter(request))
    except ArenaError as exc:
        return _render_error(request, exc)
    return _render_battle(request, battle_dict(battle))


@require_POST
def follow_up(request: HttpRequest, battle_id: UUID) -> HttpResponse:
    prompt = request.POST.get("prompt", "")
    try:
        actions.add_turn(battle_id=battle_id, voter=get_voter(request), prompt=prompt)
    except ArenaError as exc:
        return _rerender_battle(request, battle_id, exc, prompt=prompt)
    return redirect("battles:battle", battle_id=battle_id)


@require_POST
def vote(request: HttpRequest, battle_id: UUID) -> HttpResponse:
    outcome = request.POST.get("outcome", "")
    if outcome not in Outcome.values:
        return _rerender_battle(request, battle_id, ArenaError("Choose one of the vote buttons."))
    try:
        actions.cast_vote(battle_id=battle_id, voter=get_voter(request), outcome=outcome)
    except ArenaError as exc:
        return _rerender_battle(request, battle_id, exc)
    return redirect("battles:battle", battle_id=battle_id)


@require_POST
def regenerate(request: HttpRequest, battle_id: UUID) -> HttpResponse:
    pair = request.POST.get("pair", "")
    try:
        battle = actions.regenerate(battle_id=battle_id, voter=get_voter(request), pair=pair)
    except ArenaError as exc:
        return _rerender_battle(request, battle_id, exc)
    return redirect("battles:battle", battle_id=battle.id)


@require_POST
def share(request: HttpRequest, battle_id: UUID) -> HttpResponse:
    try:
        actions.share_battle(battle_id=battle_id, voter=get_voter(request))
    except ArenaError as exc:
        return _rerender_battle(request, battle_id, exc)
    return redirect("battles:battle", battle_id=battle_id)


@require_POST
def unshare(request: HttpRequest, battle_id: UUID) -> HttpResponse:
    try:
        actions.unshare_battle(battle_id=battle_id, voter=get_voter(request))
    except ArenaError as exc:
        return _rerender_battle(request, battle_id, exc)
    return redirect("battles:battle", battle_id=battle_id)


def shared_page(request: HttpRequest, token: str) -> HttpResponse:
    """A shared battle, read-only, for anyone with the link: no session is started."""
    try:
        battle = shared_battle_dict(actions.get_shared_battle(token=token))
        response = render(request, "battles/shared.html", {"battle": battle})
    except ArenaError as exc:
        response = render(
            request, "battles/error.html", {"message": exc.message, "noindex": True},
            status=exc.status,
        )
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_http_methods(["GET", "POST"])
def side_by_side(request: HttpRequest) -> HttpResponse:
    """Two models the voter picks by name; the form posts here."""
    return _named_mode(request, BattleMode.SIDE_BY_SIDE, ["model_a", "model_b"])


@require_http_methods(["GET", "POST"])
def direct_chat(request: HttpRequest) -> HttpResponse:
    """One model the voter picks by name; the form posts here."""
    return _named_mode(request, BattleMode.DIRECT, ["model"])


def _named_mode(request: HttpRequest, mode: BattleMode, fields: list[str]) -> HttpResponse:
    context: dict[str, Any] = {
        "mode": mode,
        "fields": fields,
        "models": list(actions.named_contenders()),
        "max_chars": settings.ARENA_MAX_PROMPT_CHARS,
        "prompt": "",
        "chosen": {},
        "error": "",
    }
    if request.method == "GET":
        return render(request, "battles/named.html", context)
    prompt = request.POST.get("prompt", "")
    chosen = {field: request.POST.get(field, "") for field in fields}
    try:
        ids = [int(value) for value in chosen.values()]
    except ValueError:
        ids = []
    try:
        if len(ids) != len(fields):
            raise ArenaError(actions.PICK_MESSAGE)
        battle = actions.start_named_battle(
            voter=get_voter(request),
            ip_hash=ip_hash(request),
            prompt=prompt,
            mode=mode,
            contender_ids=ids,
        )
    except ArenaError as exc:
        context.update(prompt=prompt, chosen=chosen, error=exc.message)
        return render(request, "battles/named.html", context, status=exc.status)
    return redirect("battles:battle", battle_id=battle.id)


def _render_home(
    request: HttpRequest, *, prompt: str = "", error: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "prompt": prompt,
        "error": error,
        "max_chars": settings.ARENA_MAX_PROMPT_CHARS,
        "human_check": human_check.mode(),
        "captcha_site_key": settings.ARENA_CAPTCHA_SITE_KEY,
    }
    return render(request, "battles/home.html", context, status=status)


def _render_battle(
    request: HttpRequest,
    battle: dict[str, Any],
    *,
    error: str = "",
    prompt: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "battle": battle,
        "error": error,
        "prompt": prompt,
        "max_chars": settings.ARENA_MAX_PROMPT_CHARS,
        "vote_buttons": vote_buttons(),
        "new_battle_key": NEW_BATTLE_KEY,
        "refresh_seconds": NOSCRIPT_REFRESH_SECONDS,
    }
    return render(request, "battles/battle.html", context, status=status)


def _rerender_battle(
    request: HttpRequest, battle_id: UUID, exc: ArenaError, *, prompt: str = ""
) -> HttpResponse:
    """The battle page again with the error shown and the typed prompt kept."""
    try:
        battle = actions.get_battle(battle_id=battle_id, voter=get_voter(request))
    except ArenaError as not_found:
        return _render_error(request, not_found)
    return _render_battle(
        request, battle_dict(battle), error=exc.message, prompt=prompt, status=exc.status
    )


def _render_error(request: HttpRequest, exc: ArenaError) -> HttpResponse:
    return render(request, "battles/error.html", {"message": exc.message}, status=exc.status)
