"""The battles JSON API: session, battles, turns, votes, and the live event stream.

Every operation runs as the session's anonymous voter; unsafe methods need the CSRF
token from ``GET /api/session`` in an ``X-CSRFToken`` header.
"""

from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponseBase, HttpResponseForbidden
from django.middleware.csrf import CsrfViewMiddleware, get_token
from ninja import Router, Status
from ninja.errors import HttpError

from battles import actions, events, human_check
from battles.models import BattleMode
from battles.presenters import battle_dict, reveal_dict, share_dict, shared_battle_dict
from battles.schemas import (
    BattleOut,
    DirectChatIn,
    ErrorOut,
    HumanCheckOut,
    NamedModelOut,
    PromptIn,
    RegenerateIn,
    RevealOut,
    SessionOut,
    SharedBattleOut,
    ShareOut,
    SideBySideIn,
    VoteIn,
)
from battles.voters import get_voter, ip_hash

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSRF_FAILED = "CSRF check failed: send the token from GET /api/session as the X-CSRFToken header."


class VoterSession:
    """Authenticates as the session's voter (created on first use); checks CSRF on writes.

    Ninja exempts its views from the CSRF middleware and leaves the check to the auth.
    Its ``check_csrf`` builds a new ``CsrfViewMiddleware`` per request (about 5 % of a
    vote's web CPU, and the trusted-origin lists are parsed again for every browser
    request); the middleware keeps no per-request state, so one per process serves all.
    """

    def __init__(self) -> None:
        self._csrf = CsrfViewMiddleware(lambda request: HttpResponseForbidden())

    def __call__(self, request: HttpRequest) -> str:
        if request.method not in SAFE_METHODS and self._csrf_failed(request):
            raise HttpError(403, CSRF_FAILED)
        return get_voter(request)

    def _csrf_failed(self, request: HttpRequest) -> bool:
        request.csrf_processing_done = False  # type: ignore[attr-defined]
        self._csrf.process_request(request)
        return self._csrf.process_view(request, _unexempt_view, (), {}) is not None


def _unexempt_view(request: HttpRequest) -> HttpResponseBase:
    """The view the CSRF check is asked about: not exempt, and never called."""
    raise NotImplementedError


router = Router(tags=["battles"], auth=VoterSession())

ERRORS: dict[int, Any] = {code: ErrorOut for code in (400, 403, 404, 409, 429, 503)}


@router.get("/session", response=SessionOut, auth=None)
def session(request: HttpRequest) -> dict[str, str]:
    """Start (or continue) an anonymous session; returns the CSRF token for writes."""
    get_voter(request)
    return {"csrf_token": get_token(request)}


@router.get("/human-check", response=HumanCheckOut, auth=None)
def human_check_challenge(request: HttpRequest) -> dict[str, Any]:
    """What ``POST /battles`` needs in its ``X-Human-Check`` header (kind ``off``: nothing).

    ``pow``: find a nonce such that ``SHA-256(challenge + ":" + nonce)`` starts with
    ``difficulty`` zero bits and send ``challenge:nonce`` (each challenge is accepted
    once). ``turnstile`` / ``hcaptcha``: the token of the provider's widget for
    ``site_key``.
    """
    return human_check.new_challenge().to_dict()


@router.post(
    "/battles",
    response={201: BattleOut, **ERRORS},
    openapi_extra={
        "parameters": [
            {
                "in": "header",
                "name": "X-Human-Check",
                "required": False,
                "schema": {"type": "string"},
                "description": "The answer to GET /api/human-check when a check is on "
                "(403 without it).",
            }
        ]
    },
)
def create_battle(request: HttpRequest, payload: PromptIn) -> Status[dict[str, Any]]:
    """Ask two anonymous models the same prompt (after the human check, when one is on)."""
    human_check.check_request(request)
    battle = actions.start_battle(
        voter=get_voter(request), ip_hash=ip_hash(request), prompt=payload.prompt
    )
    return Status(201, battle_dict(battle))


@router.get("/battles/{battle_id}", response={200: BattleOut, **ERRORS})
def battle_detail(request: HttpRequest, battle_id: UUID) -> dict[str, Any]:
    """The battle as its voter sees it: names only after the vote."""
    return battle_dict(actions.get_battle(battle_id=battle_id, voter=get_voter(request)))


@router.get(
    "/battles/{battle_id}/events",
    auth=None,
    response={200: None, **ERRORS},
    openapi_extra={
        "responses": {
            200: {
                "description": "Server-sent events of the latest turn: `delta` "
                '`{"side","text"}`, `thinking` `{"side"}` (a reasoning model started '
                'to think), `reset` `{"side"}`, `end` `{"side","status"}`, then `done`. '
                "Resume with `Last-Event-ID`.",
                "content": {"text/event-stream": {}},
            }
        }
    },
)
async def battle_events(request: HttpRequest, battle_id: UUID) -> HttpResponseBase:
    """Both answers of the latest turn, live, labelled only ``a`` and ``b``."""
    return await events.battle_events(request, battle_id)


@router.post("/battles/{battle_id}/turns", response={201: BattleOut, **ERRORS})
def create_turn(request: HttpRequest, battle_id: UUID, payload: PromptIn) -> Status[dict[str, Any]]:
    """Continue the conversation: each model answers with its own history."""
    turn = actions.add_turn(battle_id=battle_id, voter=get_voter(request), prompt=payload.prompt)
    return Status(201, battle_dict(turn.battle))


@router.post("/battles/{battle_id}/vote", response={200: RevealOut, **ERRORS})
def vote(request: HttpRequest, battle_id: UUID, payload: VoteIn) -> dict[str, Any]:
    """Vote once, after both answers finished; reveals who was who."""
    cast = actions.cast_vote(battle_id=battle_id, voter=get_voter(request), outcome=payload.outcome)
    return reveal_dict(cast.battle)


@router.post("/battles/{battle_id}/regenerate", response={201: BattleOut, **ERRORS})
def regenerate(
    request: HttpRequest, battle_id: UUID, payload: RegenerateIn
) -> Status[dict[str, Any]]:
    """Before the vote: new answers to the latest prompt; the old ones are kept, not counted.

    Returns the battle that now generates: this one (``same``) or a new one (``new``).
    """
    battle = actions.regenerate(battle_id=battle_id, voter=get_voter(request), pair=payload.pair)
    return Status(201, battle_dict(battle))


@router.post("/battles/{battle_id}/share", response={201: ShareOut, **ERRORS})
def share(request: HttpRequest, battle_id: UUID) -> Status[dict[str, str]]:
    """After the vote: a public read-only link to the battle (409 before the vote)."""
    shared_battle = actions.share_battle(battle_id=battle_id, voter=get_voter(request))
    return Status(201, share_dict(shared_battle))


@router.delete("/battles/{battle_id}/share", response={204: None, **ERRORS})
def unshare(request: HttpRequest, battle_id: UUID) -> Status[None]:
    """Delete the public link; it answers 404 from now on."""
    actions.unshare_battle(battle_id=battle_id, voter=get_voter(request))
    return Status(204, None)


@router.get("/shared/{token}", auth=None, response={200: SharedBattleOut, **ERRORS})
def shared(request: HttpRequest, token: str) -> dict[str, Any]:
    """A shared battle, as anyone with its link sees it."""
    return shared_battle_dict(actions.get_shared_battle(token=token))


@router.get("/models", auth=None, response=list[NamedModelOut])
def models(request: HttpRequest) -> list[dict[str, Any]]:
    """The models a voter may pick by name (side-by-side, direct chat): revealed ones only."""
    return [
        {"id": c.id, "name": c.public_name, "organisation": c.organisation}
        for c in actions.named_contenders()
    ]


@router.post("/side-by-side", response={201: BattleOut, **ERRORS})
def create_side_by_side(request: HttpRequest, payload: SideBySideIn) -> Status[dict[str, Any]]:
    """Two models you choose, names shown; the vote is stored but never counted."""
    battle = actions.start_named_battle(
        voter=get_voter(request),
        ip_hash=ip_hash(request),
        prompt=payload.prompt,
        mode=BattleMode.SIDE_BY_SIDE,
        contender_ids=[payload.model_a, payload.model_b],
    )
    return Status(201, battle_dict(battle))


@router.post("/direct", response={201: BattleOut, **ERRORS})
def create_direct_chat(request: HttpRequest, payload: DirectChatIn) -> Status[dict[str, Any]]:
    """A chat with one model you choose; no vote."""
    battle = actions.start_named_battle(
        voter=get_voter(request),
        ip_hash=ip_hash(request),
        prompt=payload.prompt,
        mode=BattleMode.DIRECT,
        contender_ids=[payload.model],
    )
    return Status(201, battle_dict(battle))
