"""Flagging anomalous voters: the periodic task, exclusions, review and restore."""

from typing import Any

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from arena.models import Contender
from battles.exclusions import exclusion_kind
from battles.models import Battle, BattleCategory, BattleStatus, Vote
from ratings.models import FlaggedVoter, RatingRow, RatingSnapshot
from ratings.stats.options import ELO_SCALE
from ratings.tasks import flag_voters_task
from ratings.voters import flag_voters, restore_flag
from tests.fixtures.web import VoterClient, generate
from tests.ratings.helpers import contender

pytestmark = pytest.mark.django_db

STRENGTHS = [1.0, 0.6, 0.2, -0.2, -0.6, -1.0]
TARGET = 4  # the rigger's contender: second from the bottom
ATTACK_IP = "attacker-ip-hash"


def _battle(voter: str, ip: str, a: Contender, b: Contender, outcome: str, **extra: Any) -> Vote:
    battle = Battle.objects.create(
        voter=voter, ip_hash=ip, contender_a=a, contender_b=b, status=BattleStatus.VOTED, **extra
    )
    vote = Vote.for_battle(battle, outcome, voter)
    vote.save()
    BattleCategory.for_vote(vote, "coding").save()
    return vote


@pytest.fixture
def arena() -> list[Contender]:
    """Six rated contenders, 40 honest voters following the ratings and one rigger
    (10 sessions of 6 votes from one IP, always for the target)."""
    people = [contender(f"model-{k}") for k in range(len(STRENGTHS))]
    snapshot = RatingSnapshot.objects.create()
    RatingRow.objects.bulk_create(
        RatingRow(
            snapshot=snapshot,
            category="overall",
            contender=c,
            votes=100,
            rating=1000 + s * ELO_SCALE.points_per_logit,
        )
        for c, s in zip(people, STRENGTHS, strict=True)
    )
    rng = np.random.default_rng(7)
    theta = np.array(STRENGTHS)
    for v in range(40):
        for _ in range(25):
            i, j = rng.choice(len(people), 2, replace=False)
            won = rng.random() < 1 / (1 + np.exp(theta[j] - theta[i]))
            _battle(f"honest-{v}", f"ip-{v}", people[i], people[j], "a" if won else "b")
    for n in range(60):
        other = people[(TARGET + 1 + n % 5) % len(people)]
        if n % 2:
            _battle(f"rigger-{n // 6}", ATTACK_IP, people[TARGET], other, "a")
        else:
            _battle(f"rigger-{n // 6}", ATTACK_IP, other, people[TARGET], "b")
    return people


def _counted(**filters: Any) -> set[bool]:
    votes = set(
        Vote.objects.filter(**{f"battle__{k}": v for k, v in filters.items()}).values_list(
            "counted", flat=True
        )
    )
    tags = set(
        BattleCategory.objects.filter(
            **{f"battle__{k}": v for k, v in filters.items()}
        ).values_list("counted", flat=True)
    )
    return votes | tags


def test_the_task_flags_the_rigger_and_no_honest_voter(arena: list[Contender]) -> None:
    result = flag_voters_task.apply().get()

    flags = list(FlaggedVoter.objects.all())
    assert [(f.kind, f.key, f.signal) for f in flags] == [("ip", ATTACK_IP, "favouritism")]
    assert result == {"votes": 1060, "flagged": 1, "excluded": 60}
    rigged = Battle.objects.filter(ip_hash=ATTACK_IP)
    assert {exclusion_kind(b.excluded_reason) for b in rigged} == {"flagged_voter"}
    assert {b.excluded_reason for b in rigged} == {flags[0].reason}
    assert flags[0].reason.startswith(f"flagged voter #{flags[0].pk}: ip favouritism")
    assert _counted(ip_hash=ATTACK_IP) == {False}
    assert _counted(voter__startswith="honest") == {True}
    # votes are never deleted
    assert Vote.objects.count() == 1060


def test_restore_counts_the_votes_again_but_not_other_reasons(arena: list[Contender]) -> None:
    # given: one of the rigger's battles was also an identity leak
    leaked = Battle.objects.filter(ip_hash=ATTACK_IP).first()
    assert leaked is not None
    Battle.objects.filter(pk=leaked.pk).update(excluded_reason="identity leak: side a names X")
    Vote.objects.filter(battle=leaked).update(counted=False)
    BattleCategory.objects.filter(battle=leaked).update(counted=False)
    flag_voters()
    flag = FlaggedVoter.objects.get()

    # when
    restored = restore_flag(flag.pk, by="alice")

    # then
    assert restored == 59
    flag.refresh_from_db()
    assert flag.restored_at is not None and flag.reviewed_by == "alice"
    assert _counted(ip_hash=ATTACK_IP, excluded_reason="") == {True}
    leaked.refresh_from_db()
    assert leaked.excluded_reason == "identity leak: side a names X"
    assert _counted(pk=leaked.pk) == {False}
    # the operator's decision stands: the next pass does not flag the IP again
    assert flag_voters().flagged == []
    assert _counted(ip_hash=ATTACK_IP, excluded_reason="") == {True}
    with pytest.raises(ValueError, match="already restored"):
        restore_flag(flag.pk)


def test_restoring_one_flag_keeps_another_flags_votes_out(arena: list[Contender]) -> None:
    flag_voters()
    ip_flag = FlaggedVoter.objects.get()
    session = FlaggedVoter.objects.create(kind="voter", key="rigger-0", signal="speed", score=1.0)
    session.reason = f"{session.reason_prefix} voter speed: by hand"
    session.save()

    restore_flag(ip_flag.pk)

    assert _counted(voter="rigger-0") == {False}
    assert set(
        Battle.objects.filter(voter="rigger-0").values_list("excluded_reason", flat=True)
    ) == {session.reason}
    assert _counted(ip_hash=ATTACK_IP, voter="rigger-1") == {True}


def test_a_flagged_voters_new_vote_is_excluded_in_its_transaction(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    flag = FlaggedVoter.objects.create(
        kind="voter", key=voter_client.voter, signal="speed", score=1
    )
    flag.reason = f"{flag.reason_prefix} voter speed: 95% of votes within 2 s"
    flag.save()
    battle_id = voter_client.post("/api/battles", {"prompt": "Say hi"}).json()["id"]
    generate(battle_id)

    response = voter_client.post(f"/api/battles/{battle_id}/vote", {"outcome": "a"})

    assert response.status_code == 200
    assert response.json()["notice"] == ""  # the reason stays with operators
    assert Battle.objects.get(pk=battle_id).excluded_reason == flag.reason
    assert Vote.objects.get(battle_id=battle_id).counted is False


def test_without_a_snapshot_nothing_is_judged(db: None) -> None:
    report = flag_voters()
    assert (report.votes, report.flagged, report.excluded) == (0, [], 0)


def test_review_voters_command(arena: list[Contender], capsys: pytest.CaptureFixture[str]) -> None:
    call_command("review_voters", "--flag", "--dry-run")
    assert "favouritism" in capsys.readouterr().out
    assert not FlaggedVoter.objects.exists()

    call_command("review_voters", "--flag")
    flag = FlaggedVoter.objects.get()
    out = capsys.readouterr().out
    assert "New flags: 1; votes newly excluded: 60." in out and flag.reason in out

    call_command("review_voters", "--restore", str(flag.pk))
    assert "60 votes count again" in capsys.readouterr().out
    call_command("review_voters")
    assert "No flagged voters." in capsys.readouterr().out
    call_command("review_voters", "--all")
    assert "restored" in capsys.readouterr().out

    with pytest.raises(CommandError, match="No flagged voter #999"):
        call_command("review_voters", "--restore", "999")
    with pytest.raises(CommandError, match="already restored"):
        call_command("review_voters", "--restore", str(flag.pk))
    with pytest.raises(CommandError, match="--dry-run goes with --flag"):
        call_command("review_voters", "--dry-run")


def test_admin_action_restores(arena: list[Contender], admin_client: Client) -> None:
    flag_voters()
    flag = FlaggedVoter.objects.get()
    page = admin_client.get("/admin/ratings/flaggedvoter/")
    assert page.status_code == 200 and ATTACK_IP in page.content.decode()

    response = admin_client.post(
        "/admin/ratings/flaggedvoter/",
        {"action": "restore", "_selected_action": [flag.pk]},
        follow=True,
    )

    assert "Restored 1 flagged voter(s); 60 votes count again." in response.content.decode()
    assert _counted(ip_hash=ATTACK_IP) == {True}
