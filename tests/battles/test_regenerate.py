"""Regenerate before the vote: the same two models again, or a new pair in a new battle.

The old answers stay, marked, and count for nothing: not in the vote's categories, not
in its leak check, not in its style features, not in the models' own conversations.
"""

import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.test.utils import override_settings

from arena.models import Contender
from battles.models import Battle, BattleCategory, BattleStatus, Completion, Turn
from ratings.aggregation import aggregate_votes, style_battles
from tests.fixtures.web import VoterClient, generate

pytestmark = pytest.mark.django_db


def _ready_battle(client: VoterClient, prompt: str = "Name a prime") -> str:
    battle = client.post("/api/battles", {"prompt": prompt}).json()
    generate(battle["id"])
    return str(battle["id"])


def test_same_pair_answers_again_with_the_sides_kept(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    battle_id = _ready_battle(voter_client)
    sides = Battle.objects.values_list("contender_a_id", "contender_b_id").get(pk=battle_id)

    response = voter_client.post(f"/api/battles/{battle_id}/regenerate", {"pair": "same"})

    assert response.status_code == 201
    body = response.json()
    assert body["id"] == battle_id and body["status"] == "generating"
    assert [(t["prompt"], t["superseded"]) for t in body["turns"]] == [
        ("Name a prime", True),
        ("Name a prime", False),
    ]
    assert body["turns"][0]["a"]["status"] == "done"  # the old answers are kept
    assert body["turns"][1]["a"]["status"] == "pending"
    generate(battle_id)
    fresh = Completion.objects.filter(turn__battle_id=battle_id, turn__index=1)
    assert {c.side: c.contender_id for c in fresh} == dict(zip("ab", sides, strict=True))
    # each side is asked the prompt alone, not after its superseded answer
    assert [m.role for m in fresh.get(side="a").conversation()] == ["user"]
    assert voter_client.get(f"/api/battles/{battle_id}").json()["status"] == "ready"


def test_superseded_answers_are_left_out_of_the_counted_vote(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    # given a first answer that named its model and was long, then regenerated
    battle_id = _ready_battle(voter_client)
    first = Completion.objects.get(turn__battle_id=battle_id, side="a")
    Completion.objects.filter(pk=first.pk).update(
        text=f"I am {first.contender.codename}.", length_chars=99_999
    )
    voter_client.post(f"/api/battles/{battle_id}/regenerate", {"pair": "same"})
    generate(battle_id)

    # when the voter votes on the regenerated answers
    assert voter_client.post(f"/api/battles/{battle_id}/vote", {"outcome": "a"}).status_code == 200

    # then the leak in the superseded answer does not exclude the vote, the repeated
    # prompt does not make it multi-turn, and its style sums are the new turn's only
    battle = Battle.objects.get(pk=battle_id)
    assert battle.excluded_reason == ""
    assert battle.vote.counted
    tags = set(BattleCategory.objects.filter(battle=battle).values_list("category", flat=True))
    assert "multi_turn" not in tags
    live = Completion.objects.get(turn__battle_id=battle_id, turn__index=1, side="a")
    style = style_battles(aggregate_votes())
    assert style.size == 1
    assert style.style[0][0] == live.length_chars


def test_regenerate_waits_for_the_answers_and_ends_with_the_vote(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    battle = voter_client.post("/api/battles", {"prompt": "Name a prime"}).json()
    url = f"/api/battles/{battle['id']}/regenerate"

    early = voter_client.post(url, {"pair": "same"})
    generate(battle["id"])
    voter_client.post(f"/api/battles/{battle['id']}/vote", {"outcome": "tie"})
    late = voter_client.post(url, {"pair": "new"})

    assert early.status_code == 409 and "finished" in early.json()["detail"]
    assert late.status_code == 409 and "voted" in late.json()["detail"]
    assert Turn.objects.filter(battle_id=battle["id"]).count() == 1
    assert Battle.objects.count() == 1


def test_regenerate_is_the_voters_own_and_checks_its_input(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    battle_id = _ready_battle(voter_client)
    stranger = VoterClient()
    stranger.start_session()

    foreign = stranger.post(f"/api/battles/{battle_id}/regenerate", {"pair": "same"})
    invalid = voter_client.post(f"/api/battles/{battle_id}/regenerate", {"pair": "both"})

    assert foreign.status_code == 403
    assert invalid.status_code == 400 and "pair" in invalid.json()["detail"]
    assert not Turn.objects.filter(superseded=True).exists()


def test_regenerating_costs_what_a_turn_costs(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    battle_id = _ready_battle(voter_client)

    with override_settings(ARENA_BATTLES_PER_HOUR_PER_VOTER=1):
        limited = voter_client.post(f"/api/battles/{battle_id}/regenerate", {"pair": "same"})
    with override_settings(ARENA_MAX_TURNS=1):
        too_many = voter_client.post(f"/api/battles/{battle_id}/regenerate", {"pair": "same"})

    assert limited.status_code == 429
    assert too_many.status_code == 409 and "turns" in too_many.json()["detail"]
    # nothing was lost: the battle can still be voted on as it was
    assert not Turn.objects.filter(superseded=True).exists()
    assert voter_client.post(f"/api/battles/{battle_id}/vote", {"outcome": "a"}).status_code == 200


def test_a_new_pair_is_a_new_battle_and_the_old_one_is_abandoned(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    battle_id = _ready_battle(voter_client, "Name a prime")

    response = voter_client.post(f"/api/battles/{battle_id}/regenerate", {"pair": "new"})

    assert response.status_code == 201
    fresh = response.json()
    assert fresh["id"] != battle_id and fresh["status"] == "generating"
    assert [t["prompt"] for t in fresh["turns"]] == ["Name a prime"]
    assert (
        Battle.objects.get(pk=fresh["id"]).regenerated_from_id
        == Battle.objects.get(pk=battle_id).pk
    )
    old = voter_client.get(f"/api/battles/{battle_id}").json()
    assert old["status"] == BattleStatus.ABANDONED and old["replaced_by"] == fresh["id"]
    assert voter_client.post(f"/api/battles/{battle_id}/vote", {"outcome": "a"}).status_code == 409
    generate(fresh["id"])
    assert (
        voter_client.post(f"/api/battles/{fresh['id']}/vote", {"outcome": "b"}).status_code == 200
    )
    page = voter_client.get(f"/battles/{battle_id}/").content.decode()
    assert f'href="/battles/{fresh["id"]}/"' in page


def test_a_failed_battle_can_be_regenerated(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    battle_id = _ready_battle(voter_client)
    Completion.objects.filter(turn__battle_id=battle_id, side="b").update(status="failed")
    Battle.objects.filter(pk=battle_id).update(status=BattleStatus.FAILED)

    response = voter_client.post(f"/api/battles/{battle_id}/regenerate", {"pair": "same"})
    generate(battle_id)

    assert response.status_code == 201
    assert voter_client.get(f"/api/battles/{battle_id}").json()["status"] == "ready"
    assert voter_client.post(f"/api/battles/{battle_id}/vote", {"outcome": "a"}).status_code == 200


def _csrf(page: str) -> str:
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token
    return token.group(1)


def test_the_form_regenerates_without_javascript(secret_contenders: list[Contender]) -> None:
    client = Client()
    home = client.get("/").content.decode()
    created = client.post("/", {"prompt": "Name a prime", "csrfmiddlewaretoken": _csrf(home)})
    battle_url = created["Location"]
    battle_id = battle_url.strip("/").split("/")[-1]
    generate(battle_id)
    page = client.get(battle_url).content.decode()
    assert 'id="regenerate-form"' in page and 'value="new"' in page

    regenerated = client.post(
        battle_url + "regenerate/", {"pair": "same", "csrfmiddlewaretoken": _csrf(page)}
    )
    early = client.post(
        battle_url + "regenerate/", {"pair": "same", "csrfmiddlewaretoken": _csrf(page)}
    )

    assert regenerated.status_code == 302 and regenerated["Location"] == battle_url
    assert early.status_code == 409
    assert "Wait until both answers have finished." in early.content.decode()
    generate(battle_id)
    after = client.get(battle_url).content.decode()
    assert after.count('class="turn superseded"') == 1
    assert "Earlier answers — regenerated, not counted" in after


def test_exports_carry_only_the_regenerated_answers(
    voter_client: VoterClient, secret_contenders: list[Contender], tmp_path: Path
) -> None:
    for contender in secret_contenders:
        contender.reveal()
    battle_id = _ready_battle(voter_client)
    Completion.objects.filter(turn__battle_id=battle_id).update(text="superseded words")
    voter_client.post(f"/api/battles/{battle_id}/regenerate", {"pair": "same"})
    generate(battle_id)
    voter_client.post(f"/api/battles/{battle_id}/vote", {"outcome": "a"})
    path = tmp_path / "votes.jsonl"

    call_command("export_battles", "--output", str(path), "--conversations")

    (record,) = [json.loads(line) for line in path.read_text().splitlines()]
    assert [m["role"] for m in record["conversation_a"]] == ["user", "assistant"]
    assert "superseded words" not in path.read_text()
    assert record["turn"] == 1
