"""``manage.py seed_demo``: four demo contenders, idempotently, one left unrevealed."""

import pytest
from django.core.management import call_command
from django.test import override_settings

from arena.backends import Delta, Message, build_request, get_backend
from arena.models import Contender


@pytest.mark.django_db
def test_creates_four_demo_contenders_once() -> None:
    call_command("seed_demo")
    first = list(Contender.objects.values())
    call_command("seed_demo")

    assert list(Contender.objects.values()) == first
    contenders = {c.codename: c for c in Contender.objects.all()}
    assert set(contenders) == {"chocolate", "vanilla", "pistachio", "mango"}
    assert all(c.backend == "demo" and c.status == "active" for c in contenders.values())
    revealed = {c.codename: c.display_name for c in contenders.values() if c.is_revealed}
    assert set(revealed) == {"chocolate", "vanilla", "pistachio"}
    assert all(name.startswith("Demo ") for name in revealed.values())
    assert contenders["mango"].display_name == "mango"


@pytest.mark.django_db
def test_keeps_operator_changes() -> None:
    call_command("seed_demo")
    Contender.objects.filter(codename="mango").update(status="paused", sampling_weight=0)

    call_command("seed_demo")

    mango = Contender.objects.get(codename="mango")
    assert (mango.status, mango.sampling_weight) == ("paused", 0)


@pytest.mark.django_db
@override_settings(ARENA_DEMO_TOKEN_DELAY=0)
def test_seeded_contenders_answer_in_different_styles() -> None:
    call_command("seed_demo")
    answers = set()
    for contender in Contender.objects.all():
        request = build_request(contender, [Message("user", "Explain recursion.")])
        events = get_backend(contender.backend).stream(request)
        answers.add("".join(e.text for e in events if isinstance(e, Delta)))
    assert len(answers) == 4
