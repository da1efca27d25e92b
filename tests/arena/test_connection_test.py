"""Testing a contender's connection: one real streamed request, timed, never a battle."""

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from arena.connection import try_connection
from arena.models import BackendKind, ContenderTransition, TransitionEvent
from battles.models import Battle, Completion
from tests.factories import make_contender

pytestmark = pytest.mark.django_db


def _openai(codename: str, server: Any, model: str, **fields: Any) -> Any:
    return make_contender(
        codename, backend=BackendKind.OPENAI, base_url=server.base_url, provider_model=model,
        **fields,
    )  # fmt: skip


def test_a_working_backend_reports_latency_and_a_sample(openai_server: Any) -> None:
    contender = _openai("chocolate", openai_server, "ok")

    result = try_connection(contender)

    assert result.ok, result.error
    assert result.first_token_s is not None and 0 < result.first_token_s <= result.total_s
    assert result.sample and len(result.sample) <= 200
    assert result.finish_reason == "stop"
    # One real request through the battle backend, short by construction.
    (request,) = openai_server.requests
    assert request.body["stream"] is True
    assert request.body["max_tokens"] <= 64


def test_the_command_prints_the_result_logs_it_and_stores_no_battle(openai_server: Any) -> None:
    _openai("chocolate", openai_server, "ok")
    out = StringIO()

    call_command("test_contender", "chocolate", stdout=out)

    assert "chocolate: ok: first token" in out.getvalue()
    assert Battle.objects.count() == 0 and Completion.objects.count() == 0
    step = ContenderTransition.objects.get(contender__codename="chocolate")
    assert step.event == TransitionEvent.TESTED and step.note.startswith("ok: first token")


def test_a_failing_backend_shows_its_reason(openai_server: Any) -> None:
    _openai("broken", openai_server, "http400")

    with pytest.raises(CommandError, match="HTTP 400"):
        call_command("test_contender", "broken", stdout=StringIO())

    step = ContenderTransition.objects.get(contender__codename="broken")
    assert "failed" in step.note and "HTTP 400" in step.note


def test_a_missing_key_variable_is_named(openai_server: Any, monkeypatch: Any) -> None:
    monkeypatch.delenv("ARENA_TEST_MISSING_KEY", raising=False)
    contender = _openai("keyless", openai_server, "ok", api_key_env="ARENA_TEST_MISSING_KEY")

    result = try_connection(contender)

    assert not result.ok
    assert result.error == "API key variable ARENA_TEST_MISSING_KEY is not set"
    assert openai_server.requests == []


def test_a_cut_stream_is_a_failure(openai_server: Any) -> None:
    result = try_connection(_openai("cut", openai_server, "cut"))

    assert not result.ok and "without a finish" in result.error


def test_a_hanging_backend_fails_within_the_limit(openai_server: Any) -> None:
    result = try_connection(_openai("hang", openai_server, "hang"), timeout=0.5)

    assert not result.ok and "timed out" in result.error


def test_unknown_codename_is_refused() -> None:
    with pytest.raises(CommandError, match="No contender"):
        call_command("test_contender", "ghost", stdout=StringIO())


def test_admin_button_shows_the_result(admin_client: Client, openai_server: Any) -> None:
    ok = _openai("chocolate", openai_server, "ok")
    broken = _openai("broken", openai_server, "http500")

    good = admin_client.post(f"/admin/arena/contender/{ok.pk}/test-connection/", follow=True)
    bad = admin_client.post(f"/admin/arena/contender/{broken.pk}/test-connection/", follow=True)

    assert "Test of chocolate: ok: first token" in good.content.decode()
    assert "Test of broken: failed" in bad.content.decode()
    assert "HTTP 500" in bad.content.decode()
    assert admin_client.get(f"/admin/arena/contender/{ok.pk}/test-connection/").status_code == 405
    assert Battle.objects.count() == 0


def test_admin_action_tests_the_selected(admin_client: Client, openai_server: Any) -> None:
    ok = _openai("chocolate", openai_server, "ok")

    page = admin_client.post(
        "/admin/arena/contender/",
        {"action": "test_connection", "_selected_action": [ok.pk]},
        follow=True,
    ).content.decode()

    assert "Test of chocolate: ok" in page
