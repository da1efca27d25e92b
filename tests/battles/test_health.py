"""Backend health from known completions: percentiles, error rates by reason, breaker."""

from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from arena.models import Contender, ContenderStatus
from battles.health import backend_health
from battles.models import Battle, Completion, CompletionStatus, Turn
from tests.factories import make_contender

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _completion(
    contender: Contender,
    other: Contender,
    *,
    first: float | None,
    total: float,
    ago: timedelta = timedelta(minutes=5),
    error: str = "",
) -> None:
    finished = NOW - ago
    started: datetime = finished - timedelta(seconds=total)
    battle = Battle.objects.create(voter="v", contender_a=contender, contender_b=other)
    turn = Turn.objects.create(battle=battle, index=0, prompt="hi")
    Completion.objects.create(
        turn=turn, side="a", contender=contender,
        status=CompletionStatus.FAILED if error else CompletionStatus.DONE,
        error=error, started_at=started, finished_at=finished,
        first_token_at=None if first is None else started + timedelta(seconds=first),
    )  # fmt: skip


@pytest.fixture
def known() -> dict[str, Contender]:
    fast, other = make_contender("fast"), make_contender("other")
    for k in range(1, 6):
        _completion(fast, other, first=float(k), total=10.0 * k)
    _completion(fast, other, first=None, total=1.0, error="HTTP 429: slow down")
    _completion(fast, other, first=None, total=600.0, error="timed out after 600s: no data")
    _completion(fast, other, first=None, total=2.0, error="HTTP 429: again")
    # Outside the hour, inside the day.
    _completion(fast, other, first=100.0, total=200.0, ago=timedelta(hours=3))
    return {"fast": fast, "other": other}


def _by_codename(window: timedelta) -> dict[str, object]:
    return {h.codename: h for h in backend_health(window, NOW)}


def test_percentiles_and_error_rates_over_the_last_hour(known: dict[str, Contender]) -> None:
    fast = _by_codename(timedelta(hours=1))["fast"]

    assert (fast.finished, fast.failed) == (8, 3)  # type: ignore[attr-defined]
    assert fast.error_rate == pytest.approx(3 / 8)  # type: ignore[attr-defined]
    assert fast.errors == {"HTTP 429": 2, "timeout": 1}  # type: ignore[attr-defined]
    # percentile_cont's linear interpolation over 1..5 s and 10..50 s.
    assert fast.first_token.p50 == pytest.approx(3.0)  # type: ignore[attr-defined]
    assert fast.first_token.p95 == pytest.approx(4.8)  # type: ignore[attr-defined]
    assert fast.total.p50 == pytest.approx(30.0)  # type: ignore[attr-defined]
    assert fast.total.p95 == pytest.approx(48.0)  # type: ignore[attr-defined]


def test_the_day_includes_older_completions(known: dict[str, Contender]) -> None:
    day = _by_codename(timedelta(days=1))

    fast = day["fast"]
    assert fast.finished == 9  # type: ignore[attr-defined]
    assert fast.first_token.p50 == pytest.approx(3.5)  # type: ignore[attr-defined]
    # A contender without completions is listed with nothing measured.
    other = day["other"]
    assert (other.finished, other.error_rate, other.total.p50) == (0, None, None)  # type: ignore[attr-defined]


def test_breaker_state_is_shown(known: dict[str, Contender]) -> None:
    Contender.objects.filter(codename="other").update(
        status=ContenderStatus.OUTAGE, breaker_opened_at=NOW
    )

    health = _by_codename(timedelta(hours=1))

    assert health["other"].breaker == "open"  # type: ignore[attr-defined]
    assert health["fast"].breaker == "closed"  # type: ignore[attr-defined]


def test_page_is_for_staff_only(client: Client, known: dict[str, Contender]) -> None:
    assert client.get("/ops/health/").status_code == 302  # to the admin login
    client.force_login(User.objects.create_user("visitor", password="pw"))
    assert client.get("/ops/health/").status_code == 302

    client.force_login(User.objects.create_user("op", password="pw", is_staff=True))
    page = client.get("/ops/health/").content.decode()

    assert "Last hour" in page and "Last day" in page
    assert "HTTP 429: 2" in page and "timeout: 1" in page
    assert "3.00" in page and "4.80" in page
