"""Generation with the demo backend: text, timings, style, stream and battle status."""

from collections.abc import Iterator

import pytest
from django.test import override_settings

from arena.models import Contender
from battles.generation import run_generation
from battles.models import Battle, BattleStatus, CompletionStatus
from battles.style import style_features
from tests.battles.generation_helpers import (
    completion_of,
    make_contender,
    new_battle,
    shown_text,
    stream_entries,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_demo")]


@pytest.fixture
def fast_demo() -> Iterator[None]:
    with override_settings(ARENA_DEMO_TOKEN_DELAY=0):
        yield


@pytest.fixture
def demo_pair() -> list[Contender]:
    return [
        make_contender("thorough-one", provider_model="thorough"),
        make_contender("concise-one", provider_model="concise"),
    ]


def test_demo_answer_is_streamed_and_stored(demo_pair: list[Contender]) -> None:
    battle = new_battle("Explain photosynthesis")
    completion = completion_of(battle, "thorough-one")

    run_generation(completion.id)

    completion.refresh_from_db()
    entries = stream_entries(completion)
    assert completion.status == CompletionStatus.DONE
    assert completion.text.startswith("## Understanding")
    assert [e.kind for e in entries[-1:]] == ["end"] and entries[-1].text == "done"
    assert len([e for e in entries if e.kind == "delta"]) > 10
    assert shown_text(entries) == completion.text
    assert completion.finish_reason == "stop"
    assert completion.output_tokens and completion.input_tokens
    assert completion.attempts == 1 and completion.error == ""
    assert completion.queued_at <= completion.started_at <= completion.first_token_at
    assert completion.first_token_at <= completion.finished_at
    expected = style_features(completion.text)
    assert (completion.length_chars, completion.header_count) == (
        expected.length_chars, expected.header_count,
    )
    assert completion.header_count >= 3 and completion.list_count >= 3
    assert completion.bold_count == expected.bold_count > 0


def test_battle_becomes_ready_only_when_both_sides_are_done(demo_pair: list[Contender]) -> None:
    battle = new_battle()

    run_generation(completion_of(battle, "thorough-one").id)
    first = Battle.objects.get(pk=battle.pk).status
    run_generation(completion_of(battle, "concise-one").id)

    assert first == BattleStatus.GENERATING
    assert Battle.objects.get(pk=battle.pk).status == BattleStatus.READY


def test_finished_completion_redelivered_does_nothing(demo_pair: list[Contender]) -> None:
    battle = new_battle()
    completion = completion_of(battle, "concise-one")
    run_generation(completion.id)
    before = stream_entries(completion)
    completion.refresh_from_db()

    run_generation(completion.id)

    after = Battle.objects.get(pk=battle.pk)
    completion.refresh_from_db()
    assert stream_entries(completion) == before
    assert completion.attempts == 1
    assert after.status == BattleStatus.GENERATING


def test_one_failed_side_fails_the_battle(demo_pair: list[Contender]) -> None:
    battle = new_battle()
    # A contender whose key variable is missing: a permanent error before any token.
    Contender.objects.filter(codename="concise-one").update(api_key_env="ARENA_TEST_NO_SUCH_KEY")

    run_generation(completion_of(battle, "concise-one").id)

    failed = completion_of(battle, "concise-one")
    assert failed.status == CompletionStatus.FAILED
    assert "ARENA_TEST_NO_SUCH_KEY" in failed.error
    assert stream_entries(failed)[-1].text == "failed"
    assert Battle.objects.get(pk=battle.pk).status == BattleStatus.FAILED
    # The other side finishing later does not resurrect the battle.
    run_generation(completion_of(battle, "thorough-one").id)
    assert Battle.objects.get(pk=battle.pk).status == BattleStatus.FAILED
