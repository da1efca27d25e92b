"""The circuit breaker: consecutive failures put a contender in outage; success resets."""

from typing import Any

import pytest
from django.test import override_settings

from arena.models import BackendKind, Contender, ContenderStatus
from battles.breaker import record_failure, record_success, reset_breaker
from battles.generation import run_generation
from battles.sampling import sampleable_contenders
from tests.battles.generation_helpers import completion_of, make_contender, new_battle

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("three_strikes")]


@pytest.fixture
def three_strikes() -> Any:
    with override_settings(ARENA_BREAKER_FAILURES=3, ARENA_DEMO_TOKEN_DELAY=0):
        yield


def _status(codename: str) -> tuple[str, int]:
    contender = Contender.objects.get(codename=codename)
    return contender.status, contender.consecutive_failures


def test_opens_after_consecutive_failures() -> None:
    contender = make_contender("wobbly")

    opened = [record_failure(contender.pk) for _ in range(4)]

    assert opened == [False, False, True, False]
    assert _status("wobbly") == (ContenderStatus.OUTAGE, 4)
    assert contender.pk not in {c.pk for c in sampleable_contenders()}


def test_a_success_resets_the_count() -> None:
    contender = make_contender("wobbly")
    record_failure(contender.pk)
    record_failure(contender.pk)
    record_success(contender.pk)
    record_failure(contender.pk)

    assert _status("wobbly") == (ContenderStatus.ACTIVE, 1)


def test_paused_contender_stays_paused() -> None:
    contender = make_contender("resting", status=ContenderStatus.PAUSED)
    for _ in range(3):
        record_failure(contender.pk)
    assert _status("resting") == (ContenderStatus.PAUSED, 3)


def test_operator_reset() -> None:
    contender = make_contender("wobbly")
    for _ in range(3):
        record_failure(contender.pk)

    reset_breaker(contender.pk)

    assert _status("wobbly") == (ContenderStatus.ACTIVE, 0)


def test_failing_generations_trip_the_breaker(openai_server: Any) -> None:
    make_contender(
        "broken", backend=BackendKind.OPENAI, base_url=openai_server.base_url,
        provider_model="http400",
    )
    make_contender("steady")
    states = []

    for voter in ("v1", "v2", "v3"):
        battle = new_battle(voter=voter)
        for codename in ("broken", "steady"):
            run_generation(completion_of(battle, codename).id)
        states.append(_status("broken"))

    assert states == [
        (ContenderStatus.ACTIVE, 1), (ContenderStatus.ACTIVE, 2), (ContenderStatus.OUTAGE, 3)
    ]
    assert _status("steady") == (ContenderStatus.ACTIVE, 0)
    # The sampler no longer draws it.
    assert [c.codename for c in sampleable_contenders()] == ["steady"]
