"""``manage.py add_contender``: a valid contender is saved; anything else writes nothing."""

import pytest
from django.core.management import CommandError, call_command

from arena.models import Contender, ContenderStatus


@pytest.mark.django_db
def test_adds_an_unrevealed_openai_contender_with_params() -> None:
    call_command(
        "add_contender", "chocolate", "--backend", "openai",
        "--base-url", "http://127.0.0.1:8001/v1", "--provider-model", "gpt-x",
        "--api-key-env", "CHOCOLATE_API_KEY", "--organisation", "Nutco", "--weight", "2.5",
        "--temperature", "0.7", "--max-tokens", "300", "--system-prompt", "Be brief",
        "--status", "paused",
    )  # fmt: skip

    contender = Contender.objects.get(codename="chocolate")
    assert contender.backend == "openai"
    assert contender.base_url == "http://127.0.0.1:8001/v1"
    assert contender.provider_model == "gpt-x"
    assert contender.api_key_env == "CHOCOLATE_API_KEY"
    assert contender.organisation == "Nutco"
    assert contender.sampling_weight == 2.5
    assert contender.params == {"temperature": 0.7, "max_tokens": 300, "system_prompt": "Be brief"}
    assert contender.status == ContenderStatus.PAUSED
    assert not contender.is_revealed
    assert contender.display_name == "chocolate"


@pytest.mark.django_db
def test_public_name_at_creation_means_revealed() -> None:
    call_command(
        "add_contender", "vanilla", "--backend", "anthropic", "--provider-model", "claude-x",
        "--public-name", "Claude X",
    )  # fmt: skip

    contender = Contender.objects.get(codename="vanilla")
    assert contender.is_revealed and contender.display_name == "Claude X"
    # without --base-url the provider's documented default is stored, visible to operators
    assert contender.base_url == "https://api.anthropic.com"


@pytest.mark.django_db
def test_an_anthropic_contender_may_think() -> None:
    call_command(
        "add_contender", "toffee", "--backend", "anthropic", "--provider-model", "claude-x",
        "--thinking-budget", "2048", "--max-tokens", "500",
    )  # fmt: skip

    assert Contender.objects.get(codename="toffee").params == {
        "thinking_budget": 2048, "max_tokens": 500,
    }


@pytest.mark.django_db
def test_openai_default_base_url_and_demo_needs_nothing() -> None:
    call_command("add_contender", "a", "--backend", "openai", "--provider-model", "gpt-x")
    call_command("add_contender", "b", "--backend", "demo")

    assert Contender.objects.get(codename="a").base_url == "https://api.openai.com/v1"
    assert Contender.objects.get(codename="b").base_url == ""


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["Not A Slug!", "--backend", "demo"], "codename"),
        (["x", "--backend", "openai"], "provider model"),
        (["x", "--backend", "anthropic"], "provider model"),
        (["x", "--backend", "demo", "--base-url", "not a url"], "base url"),
        (["x", "--backend", "demo", "--weight", "-1"], "sampling weight"),
        (["x", "--backend", "demo", "--weight", "nan"], "sampling weight"),
        (["x", "--backend", "demo", "--api-key-env", "sk-live-abc123"], "looks like an API key"),
        (["x", "--backend", "demo", "--api-key-env", "MY-KEY"], "environment variable name"),
        (["x", "--backend", "demo", "--temperature", "3"], "temperature"),
        (["x", "--backend", "demo", "--max-tokens", "0"], "max_tokens"),
        (["x", "--backend", "anthropic", "--provider-model", "c", "--thinking-budget", "100"],
         "thinking_budget must be a whole number of at least 1024"),
        (["x", "--backend", "anthropic", "--provider-model", "c", "--thinking-budget", "2048",
          "--temperature", "0.5"], "cannot be combined with temperature"),
        (["x", "--backend", "openai", "--provider-model", "g", "--thinking-budget", "2048"],
         "only for the anthropic backend"),
        (["existing", "--backend", "demo"], "already exists"),
    ],
)
def test_bad_arguments_are_refused_and_nothing_is_written(
    arguments: list[str], message: str
) -> None:
    call_command("add_contender", "existing", "--backend", "demo", "--weight", "3")
    before = list(Contender.objects.values())

    with pytest.raises(CommandError) as caught:
        call_command("add_contender", *arguments)

    assert message in str(caught.value)
    assert list(Contender.objects.values()) == before


@pytest.mark.django_db
def test_a_pasted_key_is_never_echoed() -> None:
    key = "sk-proj-AbCdEf0123456789XyZ"
    with pytest.raises(CommandError) as caught:
        call_command("add_contender", "x", "--backend", "demo", "--api-key-env", key)
    assert key not in str(caught.value)
    assert not Contender.objects.exists()


@pytest.mark.django_db
def test_command_line_errors_carry_a_non_zero_exit_status_and_a_clear_message() -> None:
    # manage.py prints a CommandError's message and exits with its returncode
    with pytest.raises(CommandError, match="provider model") as caught:
        call_command("add_contender", "x", "--backend", "openai")
    assert caught.value.returncode != 0
    assert not Contender.objects.exists()
