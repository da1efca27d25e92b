"""``build_request``: a contender and a conversation become one backend request."""

import pytest
from django.test import override_settings

from arena.backends import BackendError, Message, build_request, get_backend
from arena.models import Contender

MESSAGES = [Message("user", "Hello")]


def _contender(**fields: object) -> Contender:
    defaults: dict[str, object] = {
        "codename": "chocolate",
        "backend": "openai",
        "base_url": "http://127.0.0.1:9/v1",
        "provider_model": "gpt-x",
    }
    defaults.update(fields)
    return Contender(**defaults)


def test_key_is_read_from_the_named_variable_at_call_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    contender = _contender(api_key_env="CHOCOLATE_KEY")
    monkeypatch.setenv("CHOCOLATE_KEY", "first-key")
    assert build_request(contender, MESSAGES).api_key == "first-key"

    # a rotated key is used by the next request, with no database change
    monkeypatch.setenv("CHOCOLATE_KEY", "rotated-key")
    assert build_request(contender, MESSAGES).api_key == "rotated-key"


def test_missing_key_variable_is_a_permanent_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOT_SET_ANYWHERE_KEY", raising=False)

    with pytest.raises(BackendError) as caught:
        build_request(_contender(api_key_env="NOT_SET_ANYWHERE_KEY"), MESSAGES)

    assert caught.value.reason == "API key variable NOT_SET_ANYWHERE_KEY is not set"
    assert caught.value.transient is False


def test_no_key_variable_means_no_key() -> None:
    assert build_request(_contender(api_key_env=""), MESSAGES).api_key == ""


@override_settings(ARENA_FIRST_TOKEN_TIMEOUT=12.5, ARENA_IDLE_TIMEOUT=3.0)
def test_params_and_timeouts_come_from_the_contender_and_settings() -> None:
    contender = _contender(
        params={"temperature": 0.4, "max_tokens": 256, "top_p": 0.95, "system_prompt": "Hi!"}
    )

    request = build_request(contender, MESSAGES)

    assert request.messages == MESSAGES
    assert (request.provider_model, request.base_url) == ("gpt-x", "http://127.0.0.1:9/v1")
    assert (request.temperature, request.max_tokens, request.top_p) == (0.4, 256, 0.95)
    assert request.system_prompt == "Hi!"
    assert (request.first_token_timeout, request.idle_timeout) == (12.5, 3.0)


def test_unset_params_stay_unset() -> None:
    request = build_request(_contender(params={}), MESSAGES)
    assert (request.temperature, request.max_tokens, request.top_p) == (None, None, None)
    assert request.system_prompt == ""
    assert request.thinking_budget is None


def test_a_thinking_budget_is_passed_on() -> None:
    contender = _contender(backend="anthropic", params={"thinking_budget": 4096})

    assert build_request(contender, MESSAGES).thinking_budget == 4096


def test_a_corrupt_param_is_a_permanent_error() -> None:
    with pytest.raises(BackendError) as caught:
        build_request(_contender(params={"max_tokens": "many"}), MESSAGES)
    assert caught.value.transient is False


def test_unknown_backend_kind_is_refused() -> None:
    with pytest.raises(BackendError) as caught:
        get_backend("gopher")
    assert caught.value.transient is False
