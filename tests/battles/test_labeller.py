"""The LLM labeller: a contender judging prompts by LMArena's criteria, cached per prompt,
its labels stored on the battle's categories; bad judge output recorded, never a crash."""

import pytest
from django.test import override_settings

from arena import embedded
from arena.models import BackendKind, Contender, ContenderStatus
from battles.actions import cast_vote
from battles.exclusions import exclude_battles
from battles.labeller import (
    BadJudgement,
    label_battle,
    parse_criteria,
    parse_decision,
    parse_score,
    prompt_hash,
)
from battles.models import Battle, BattleCategory, PromptLabel
from tests.battles.generation_helpers import generate_all, make_contender, new_battle
from tests.fakes.openai_server import OpenAIServer

HARD_MATH = "This is hard: solve x + 1 = 2 and answer in exactly three words."


@pytest.fixture
def judge(openai_server: OpenAIServer) -> Contender:
    # Paused: a judge is not sampled into battles.
    return make_contender(
        "judge-one",
        backend=BackendKind.OPENAI,
        base_url=openai_server.base_url,
        provider_model="judge",
        status=ContenderStatus.PAUSED,
    )


def voted_battle(prompt: str, *, in_process: bool = False) -> Battle:
    for codename in ("first-one", "second-one"):
        if not Contender.objects.filter(codename=codename).exists():
            make_contender(codename)
    battle = new_battle(prompt, voter="owner")
    if in_process:
        assert embedded.wait_for_inprocess_tasks(timeout=60)
    else:
        generate_all(battle)
    cast_vote(battle_id=battle.id, voter="owner", outcome="a")
    return battle


def tags(battle: Battle) -> set[str]:
    return set(BattleCategory.objects.filter(battle=battle).values_list("category", flat=True))


@pytest.mark.parametrize(
    ("text", "criteria"),
    [
        ("[1, 3, 6]", [1, 3, 6]),
        ("The prompt meets [2,5] of them.", [2, 5]),
        ("[]", []),
        ("[1, 1, 2]", [1, 2]),
    ],
)
def test_criteria_answers_are_read(text: str, criteria: list[int]) -> None:
    assert parse_criteria(text) == criteria


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("I cannot tell.", "no criteria list"),
        ("[1, 2] or maybe [3]", "conflicting"),
        ("[0, 9]", "outside 1-7"),
    ],
)
def test_bad_criteria_answers_say_why(text: str, reason: str) -> None:
    with pytest.raises(BadJudgement, match=reason):
        parse_criteria(text)


def test_scores_and_decisions_are_read_robustly() -> None:
    assert parse_score("Verdict: <score> 4 </score>.") == 4
    assert parse_decision("<decision>\nYES\n</decision>") is True
    assert parse_decision("<decision>no</decision> <decision>no</decision>") is False
    for bad, reason in [
        ("<score>9</score>", "outside 0-5"),
        ("<score>2</score><score>3</score>", "conflicting"),
        ("four", "no <score>"),
    ]:
        with pytest.raises(BadJudgement, match=reason):
            parse_score(bad)
    with pytest.raises(BadJudgement, match="neither yes nor no"):
        parse_decision("<decision>maybe</decision>")


def test_the_cache_key_ignores_spacing_but_not_words() -> None:
    assert prompt_hash(["Solve  x\n+1"]) == prompt_hash([" Solve x +1 "])
    assert prompt_hash(["Solve x"]) != prompt_hash(["Solve y"])
    assert len(prompt_hash(["a"])) == 64


@pytest.mark.django_db
def test_off_without_a_configured_judge(judge: Contender) -> None:
    battle = voted_battle(HARD_MATH)
    assert label_battle(battle.id) is None
    assert not PromptLabel.objects.exists()


@pytest.mark.django_db
def test_judged_labels_replace_the_heuristic_ones(
    judge: Contender, openai_server: OpenAIServer
) -> None:
    # The heuristics call a poem request creative writing; this judge does not see "poem".
    battle = voted_battle("Write a verse story. " + HARD_MATH)
    assert "creative_writing" in tags(battle)
    with override_settings(ARENA_LABELLER_JUDGE="judge-one"):
        found = label_battle(battle.id)

    assert found is not None
    assert {"hard_prompts", "math", "instruction_following"} <= tags(battle) == found
    assert "creative_writing" not in found
    assert "language_english" in found  # not the judge's to decide
    label = PromptLabel.objects.get()
    assert label.judge == "judge-one" and label.errors == {}
    assert label.labels["if_score"] == 5 and len(label.labels["criteria"]) == 7
    # Rows carry the vote's facts, as the ones written at vote time.
    vote = Battle.objects.get(pk=battle.pk).vote
    facts = set(
        BattleCategory.objects.filter(battle=battle).values_list(
            "contender_a_id", "contender_b_id", "outcome", "counted"
        )
    )
    assert facts == {(vote.contender_a_id, vote.contender_b_id, "a", True)}
    # The judge saw the prompt inside the task's template, with the task's system prompt.
    bodies = [r.body for r in openai_server.requests]
    assert len(bodies) == 4
    assert all(HARD_MATH in b["messages"][-1]["content"] for b in bodies)
    assert all(b["messages"][0]["role"] == "system" for b in bodies)


@pytest.mark.django_db
def test_the_same_prompt_is_judged_once(judge: Contender, openai_server: OpenAIServer) -> None:
    with override_settings(ARENA_LABELLER_JUDGE="judge-one"):
        first = voted_battle(HARD_MATH)
        label_battle(first.id)
        asked = len(openai_server.requests)
        second = voted_battle(HARD_MATH.replace(" ", "  "))
        label_battle(second.id)

    assert asked == 4 and len(openai_server.requests) == 4
    assert PromptLabel.objects.count() == 1
    assert {"hard_prompts", "math"} <= tags(second)


@pytest.mark.django_db
def test_bad_judge_output_is_recorded_and_the_heuristic_labels_stay(
    judge: Contender, openai_server: OpenAIServer
) -> None:
    Contender.objects.filter(pk=judge.pk).update(provider_model="judge-garbage")
    battle = voted_battle("Write a poem about the sea")
    before = tags(battle)
    with override_settings(ARENA_LABELLER_JUDGE="judge-one"):
        assert label_battle(battle.id) == before

    label = PromptLabel.objects.get()
    assert set(label.errors) == {"criteria_v0.1", "if_v0.1", "math_v0.1", "creative_writing_v0.1"}
    assert "no <decision>yes/no</decision>" in label.errors["math_v0.1"]
    assert "rather not label" in label.errors["math_v0.1"]  # what the judge said
    # A failed task is asked again the next time, and its answer then counts.
    Contender.objects.filter(pk=judge.pk).update(provider_model="judge")
    with override_settings(ARENA_LABELLER_JUDGE="judge-one"):
        label_battle(battle.id)
    label.refresh_from_db()
    assert label.errors == {} and label.labels["creative_writing"] is True


@pytest.mark.django_db
def test_an_unreachable_judge_is_recorded_not_raised(judge: Contender) -> None:
    Contender.objects.filter(pk=judge.pk).update(base_url="http://127.0.0.1:9/v1")
    battle = voted_battle(HARD_MATH)
    with override_settings(
        ARENA_LABELLER_JUDGE="judge-one", ARENA_FIRST_TOKEN_TIMEOUT=2, ARENA_IDLE_TIMEOUT=2
    ):
        label_battle(battle.id)
    errors = PromptLabel.objects.get().errors
    assert errors and all(e.startswith("the judge failed") for e in errors.values())


@pytest.mark.django_db
def test_labels_of_an_excluded_battle_do_not_count(judge: Contender) -> None:
    battle = voted_battle(HARD_MATH)
    exclude_battles(Battle.objects.filter(pk=battle.id), "leak")
    with override_settings(ARENA_LABELLER_JUDGE="judge-one"):
        label_battle(battle.id)
    rows = BattleCategory.objects.filter(battle=battle, category="hard_prompts")
    assert list(rows.values_list("counted", flat=True)) == [False]


@pytest.mark.django_db(transaction=True)
def test_a_vote_has_its_battle_labelled_by_the_in_process_runtime(judge: Contender) -> None:
    with override_settings(
        ARENA_LABELLER_JUDGE="judge-one", ARENA_INPROCESS_TASKS=True, ARENA_DEMO_TOKEN_DELAY=0
    ):
        battle = voted_battle(HARD_MATH, in_process=True)
        assert embedded.wait_for_inprocess_tasks(timeout=60)
    assert {"hard_prompts", "math", "instruction_following"} <= tags(battle)
    assert PromptLabel.objects.filter(judge="judge-one").exists()
