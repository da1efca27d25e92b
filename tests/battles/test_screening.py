"""Prompt checks and rate limits."""

import pytest
from django.test import override_settings

from arena.errors import BadRequest, RateLimited
from battles.screening import check_prompt, check_rate_limits


@pytest.mark.parametrize("prompt", ["", " ", "\n\t "])
def test_empty_prompt(prompt: str) -> None:
    with pytest.raises(BadRequest) as excinfo:
        check_prompt(prompt)
    assert excinfo.value.message == "Type a prompt first."


@override_settings(ARENA_MAX_PROMPT_CHARS=5000)
def test_length_limit_is_inclusive_and_named() -> None:
    assert check_prompt("x" * 5000) == "x" * 5000
    with pytest.raises(BadRequest) as excinfo:
        check_prompt("x" * 5001)
    assert excinfo.value.message == (
        "Your prompt is 5,001 characters long; the limit is 5,000 characters."
    )


def test_prompt_is_kept_as_typed() -> None:
    assert check_prompt("  indented code\n") == "  indented code\n"


@override_settings(ARENA_BLOCKED_TERMS=["badword", "two words"])
@pytest.mark.parametrize("prompt", ["a BadWord here", "say two words now", "badword!"])
def test_blocked_terms(prompt: str) -> None:
    with pytest.raises(BadRequest) as excinfo:
        check_prompt(prompt)
    assert "not allowed" in excinfo.value.message
    assert "badword" not in excinfo.value.message.lower()


@override_settings(ARENA_BLOCKED_TERMS=["bad"])
def test_blocked_terms_match_whole_words_only() -> None:
    assert check_prompt("a badminton racket") == "a badminton racket"


@override_settings(ARENA_BATTLES_PER_HOUR_PER_VOTER=3, ARENA_BATTLES_PER_HOUR_PER_IP=100)
def test_voter_limit() -> None:
    for _ in range(3):
        check_rate_limits(voter="v", ip_hash="ip")
    with pytest.raises(RateLimited, match="too many battles"):
        check_rate_limits(voter="v", ip_hash="ip")
    check_rate_limits(voter="other", ip_hash="ip")


@override_settings(ARENA_BATTLES_PER_HOUR_PER_VOTER=100, ARENA_BATTLES_PER_HOUR_PER_IP=2)
def test_ip_limit_across_voters() -> None:
    check_rate_limits(voter="v1", ip_hash="ip")
    check_rate_limits(voter="v2", ip_hash="ip")
    with pytest.raises(RateLimited):
        check_rate_limits(voter="v3", ip_hash="ip")
    check_rate_limits(voter="v3", ip_hash="other-ip")
