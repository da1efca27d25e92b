"""``manage.py reveal_contender``: a codename gets its public name."""

import pytest
from django.core.management import CommandError, call_command

from arena.models import Contender


@pytest.fixture
def mango(db: None) -> Contender:
    return Contender.objects.create(codename="mango", backend="demo")


def test_reveals_the_public_name(mango: Contender) -> None:
    assert mango.display_name == "mango"

    call_command("reveal_contender", "mango", "--public-name", "Mango Large")

    mango.refresh_from_db()
    assert mango.is_revealed
    assert mango.display_name == "Mango Large"
    assert mango.reveal_dict() == {"name": "Mango Large", "revealed": True}


def test_renaming_keeps_the_first_reveal_time(mango: Contender) -> None:
    call_command("reveal_contender", "mango", "--public-name", "Mango", "--organisation", "Fruit")
    mango.refresh_from_db()
    first = mango.revealed_at

    call_command("reveal_contender", "mango", "--public-name", "Mango 2")

    mango.refresh_from_db()
    assert (mango.public_name, mango.organisation, mango.revealed_at) == ("Mango 2", "Fruit", first)


def test_unknown_codename_is_refused(mango: Contender) -> None:
    with pytest.raises(CommandError, match="No contender with codename 'kiwi'"):
        call_command("reveal_contender", "kiwi", "--public-name", "Kiwi")


def test_blank_public_name_is_refused_and_nothing_changes(mango: Contender) -> None:
    with pytest.raises(CommandError, match="public name"):
        call_command("reveal_contender", "mango", "--public-name", "   ")

    mango.refresh_from_db()
    assert not mango.is_revealed and mango.public_name == ""
