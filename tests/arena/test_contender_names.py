"""The one rule for a contender's name, in Python and in SQL alike."""

import pytest
from django.utils import timezone

from arena.models import Contender
from tests.factories import make_contender

pytestmark = pytest.mark.django_db


def test_a_revealed_contender_is_its_public_name_to_everyone() -> None:
    revealed = make_contender("chocolate", revealed=True, public_name="Cocoa Large")
    for allowed in (True, False):
        assert revealed.name_for(codename_allowed=allowed) == "Cocoa Large"


def test_an_unrevealed_codename_is_shown_only_where_allowed() -> None:
    hidden = make_contender("chocolate", public_name="Cocoa Large")  # named, not revealed yet
    assert hidden.name_for(codename_allowed=True) == "chocolate"
    assert hidden.name_for(codename_allowed=False) == ""


def test_the_revealed_filter_agrees_with_is_revealed() -> None:
    make_contender("shown", revealed=True)
    make_contender("named-only", public_name="Named")
    make_contender("dated-only", revealed_at=timezone.now())
    make_contender("neither")

    by_rule = {c.codename for c in Contender.objects.all() if c.is_revealed}
    assert {c.codename for c in Contender.objects.revealed()} == by_rule == {"shown"}
    assert {c.codename for c in Contender.objects.unrevealed()} == {
        "named-only", "dated-only", "neither",
    }
