"""Half-open recovery: after the cool-down one probe request decides, without an operator."""

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from arena.models import BackendKind, Contender, ContenderStatus, ContenderTransition
from battles.breaker import breaker_state, claim_probe, probe, probe_breakers, record_failure
from battles.sampling import sampleable_contenders
from battles.tasks import probe_breakers_task
from tests.factories import make_contender

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("settings_")]


@pytest.fixture
def settings_() -> Any:
    with override_settings(ARENA_BREAKER_FAILURES=2, ARENA_BREAKER_COOLDOWN=60):
        yield


def _tripped(server: Any, model: str) -> Contender:
    contender = make_contender(
        "wobbly", backend=BackendKind.OPENAI, base_url=server.base_url, provider_model=model
    )
    record_failure(contender.pk)
    assert record_failure(contender.pk) is True
    return Contender.objects.get(pk=contender.pk)


def _later(seconds: float) -> Any:
    return timezone.now() + timedelta(seconds=seconds)


def test_open_then_half_open_after_the_cool_down(openai_server: Any) -> None:
    contender = _tripped(openai_server, "ok")

    assert breaker_state(contender) == "open"
    assert breaker_state(contender, _later(61)) == "half-open"
    # Before the cool-down nothing is probed.
    assert probe(contender.pk) is None
    assert openai_server.requests == []


def test_a_successful_probe_closes_the_breaker(openai_server: Any) -> None:
    contender = _tripped(openai_server, "ok")

    assert probe_breakers(_later(61)) == {"closed": 1, "reopened": 0}

    closed = Contender.objects.get(pk=contender.pk)
    assert (closed.status, closed.consecutive_failures) == (ContenderStatus.ACTIVE, 0)
    assert breaker_state(closed) == "closed"
    assert len(openai_server.requests) == 1
    assert "wobbly" in {c.codename for c in sampleable_contenders()}
    last = ContenderTransition.objects.filter(contender=contender).latest("at", "id")
    assert (last.from_status, last.to_status, last.via) == ("outage", "active", "breaker probe")


def test_a_failed_probe_reopens_it_for_another_cool_down(openai_server: Any) -> None:
    contender = _tripped(openai_server, "http500")
    probed_at = _later(61)

    assert probe_breakers(probed_at) == {"closed": 0, "reopened": 1}

    reopened = Contender.objects.get(pk=contender.pk)
    assert reopened.status == ContenderStatus.OUTAGE
    assert reopened.breaker_opened_at == probed_at
    assert breaker_state(reopened, probed_at + timedelta(seconds=30)) == "open"
    # Not probed again until the next cool-down has passed.
    assert probe_breakers(probed_at + timedelta(seconds=30)) == {"closed": 0, "reopened": 0}
    assert probe_breakers(probed_at + timedelta(seconds=61)) == {"closed": 0, "reopened": 1}
    # One probe is one request: no retries, unlike a battle's generation.
    assert len(openai_server.requests) == 2
    note = ContenderTransition.objects.filter(contender=contender).latest("at", "id").note
    assert "HTTP 500" in note and "breaker stays open" in note


def test_only_one_caller_gets_the_probe() -> None:
    contender = make_contender("wobbly", status=ContenderStatus.OUTAGE)
    at = _later(0)

    assert [claim_probe(contender.pk, at) for _ in range(3)] == [True, False, False]


@pytest.mark.skipif(connection.vendor == "sqlite", reason="in-memory SQLite is one connection")
def test_concurrent_claims_let_exactly_one_through() -> None:
    contender = make_contender("wobbly", status=ContenderStatus.OUTAGE)
    at, wins, barrier = _later(0), [], threading.Barrier(8)

    def claim() -> None:
        barrier.wait()
        wins.append(claim_probe(contender.pk, at))
        connection.close()

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(wins) == [False] * 7 + [True]


def test_a_paused_contender_is_never_probed(openai_server: Any) -> None:
    contender = _tripped(openai_server, "ok")
    contender.set_status(ContenderStatus.PAUSED)

    assert probe_breakers(_later(3600)) == {"closed": 0, "reopened": 0}
    assert openai_server.requests == []


def test_the_periodic_task_runs_the_probes(openai_server: Any) -> None:
    contender = _tripped(openai_server, "ok")
    Contender.objects.filter(pk=contender.pk).update(breaker_opened_at=_later(-120))

    assert probe_breakers_task.apply(throw=True).get() == {"closed": 1, "reopened": 0}
    assert Contender.objects.get(pk=contender.pk).status == ContenderStatus.ACTIVE


def test_opening_is_logged_once() -> None:
    contender = make_contender("wobbly")
    for _ in range(4):
        record_failure(contender.pk)

    steps = ContenderTransition.objects.filter(contender=contender)
    assert [(s.from_status, s.to_status, s.via) for s in steps] == [
        ("active", "outage", "breaker")
    ]


@pytest.mark.skipif(connection.vendor == "sqlite", reason="in-memory SQLite is one connection")
def test_workers_failing_at_once_open_it_once() -> None:
    contender = make_contender("wobbly")
    record_failure(contender.pk)
    opened, barrier = [], threading.Barrier(6)

    def fail() -> None:
        barrier.wait()
        opened.append(record_failure(contender.pk))
        connection.close()

    threads = [threading.Thread(target=fail) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(opened) == [False] * 5 + [True]
    assert ContenderTransition.objects.filter(contender=contender, to_status="outage").count() == 1
