"""Before the vote nothing the server sends may tell who is who; after it, the names show.

Every response of a whole battle -- bodies, headers, cookies, redirects, SSE events -- is
recorded and searched for every identifying string of every contender, and for reasoning
models' traces too (they tend to name their makers).
"""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from arena.models import BackendKind, Contender, ContenderStatus
from battles.models import Battle, Completion, CompletionStatus
from battles.presenters import IDENTITY_QUESTION_NOTICE
from tests.battles.sse_helpers import read_stream
from tests.fixtures.web import VoterClient, generate, identity_strings, make_contender

pytestmark = pytest.mark.django_db


class Recorder:
    """Everything the server sent, as one searchable text per response."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def add(self, what: str, response: Any) -> Any:
        parts = [f"{name}: {value}" for name, value in response.items()]
        parts += [f"cookie {morsel.key}={morsel.value}" for morsel in response.cookies.values()]
        if not getattr(response, "streaming", False):
            parts.append(response.content.decode(errors="replace"))
        self.seen.append((what, "\n".join(parts)))
        return response

    def add_stream(self, what: str, stream: Any) -> None:
        headers = "\n".join(f"{k}: {v}" for k, v in stream.headers.items())
        self.seen.append((what, headers + "\n" + stream.raw))

    def leaks(self, secrets: list[str]) -> list[tuple[str, str]]:
        return [
            (what, secret)
            for what, text in self.seen
            for secret in secrets
            if secret.lower() in text.lower()
        ]


def _drive_battle_until_vote(client: VoterClient, record: Recorder) -> str:
    record.add("session", client.get("/api/session"))
    record.add("home", client.get("/"))
    created = record.add("create", client.post("/api/battles", {"prompt": "Who made you?"}))
    battle_id = created.json()["id"]
    record.add("poll before", client.get(f"/api/battles/{battle_id}"))
    record.add("page before", client.get(f"/battles/{battle_id}/"))
    generate(battle_id)
    record.add_stream(
        "events", read_stream(client.http.cookies, f"/api/battles/{battle_id}/events")
    )
    record.add("poll after", client.get(f"/api/battles/{battle_id}"))
    record.add("page after", client.get(f"/battles/{battle_id}/"))
    return str(battle_id)


def test_nothing_identifies_the_models_before_the_vote(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    record = Recorder()
    secrets = identity_strings(secret_contenders)

    battle_id = _drive_battle_until_vote(voter_client, record)
    follow = record.add(
        "follow-up",
        voter_client.post(f"/api/battles/{battle_id}/turns", {"prompt": "Name your maker."}),
    )
    assert follow.status_code == 201
    generate(battle_id)
    stream = read_stream(voter_client.http.cookies, f"/api/battles/{battle_id}/events")
    record.add_stream("events turn 2 after", stream)
    record.add("poll turn 2", voter_client.get(f"/api/battles/{battle_id}"))
    record.add("page turn 2", voter_client.get(f"/battles/{battle_id}/"))
    page_client = Client()
    home = page_client.get("/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', home)
    assert token
    fallback = page_client.post("/", {"prompt": "Hello", "csrfmiddlewaretoken": token.group(1)})
    record.add("form fallback", fallback)
    record.add("form fallback page", page_client.get(fallback["Location"]))

    assert record.leaks(secrets) == []
    assert all(text for _, text in record.seen)
    bodies = "\n".join(text for _, text in record.seen)
    for field in ("input_tokens", "output_tokens", "finish_reason", "contender"):
        assert field not in bodies
    assert stream.events[-1].event == "done"
    # The prompt asks who made them, yet nothing says so before the vote: no notice,
    # nothing that could tell the voter their vote will not count.
    assert IDENTITY_QUESTION_NOTICE not in bodies and "not count" not in bodies

    # After the vote the names are revealed (codenames while unrevealed), with the notice.
    reveal = voter_client.post(f"/api/battles/{battle_id}/vote", {"outcome": "tie"}).json()
    assert {reveal["a"]["name"], reveal["b"]["name"]} == {"zanzibar-owl", "marzipan-yak"}
    assert reveal["notice"] == IDENTITY_QUESTION_NOTICE
    page = voter_client.get(f"/battles/{battle_id}/").content.decode()
    assert "zanzibar-owl" in page and "marzipan-yak" in page


def test_a_failing_backend_leaks_neither_its_error_nor_its_name(
    voter_client: VoterClient, openai_server: Any
) -> None:
    contenders = [
        make_contender(
            "papaya-heron",
            public_name="Driftwood Max",
            organisation="Orrery Systems",
            backend=BackendKind.OPENAI,
            base_url=openai_server.base_url,
            provider_model="http400-orrery-driftwood-max",
        ),
        make_contender(
            "quince-lynx",
            public_name="Sablecrest Mini",
            organisation="Halcyon Forge",
            provider_model="halcyon-sablecrest-mini",
        ),
    ]
    record = Recorder()

    battle_id = _drive_battle_until_vote(voter_client, record)

    failed = Completion.objects.get(turn__battle_id=battle_id, status=CompletionStatus.FAILED)
    assert failed.error  # the operators' reason exists ...
    secrets = [*identity_strings(contenders), failed.error, openai_server.base_url]
    assert record.leaks(secrets) == []  # ... and never reaches the voter
    detail = voter_client.get(f"/api/battles/{battle_id}").json()
    assert detail["status"] == "failed"
    errors = {detail["turns"][0][side]["error"] for side in ("a", "b")}
    assert "This answer could not be generated." in errors


def test_reasoning_traces_reach_the_voter_only_after_the_vote(
    voter_client: VoterClient, openai_server: Any, anthropic_server: Any
) -> None:
    # given two reasoning models, one per protocol, whose traces name them
    contenders = [
        make_contender(
            "saffron-crane",
            public_name="Thinkwell Deep",
            organisation="Cogitara Labs",
            backend=BackendKind.OPENAI,
            base_url=openai_server.base_url,
            provider_model="reasoning-cogitara-thinkwell-deep",
        ),
        make_contender(
            "juniper-otter",
            public_name="Mulling Opus",
            organisation="Ponderosa AI",
            backend=BackendKind.ANTHROPIC,
            base_url=anthropic_server.base_url,
            provider_model="thinking-ponderosa-mulling-opus",
            params={"thinking_budget": 2048},
        ),
    ]
    record = Recorder()

    # when a voter drives the battle up to the vote, watching it live
    battle_id = _drive_battle_until_vote(voter_client, record)
    done = Completion.objects.filter(turn__battle_id=battle_id).select_related("contender")
    traces = {c.side: c.reasoning for c in done}
    names = {c.side: c.contender.provider_model for c in done}
    done.update(status=CompletionStatus.STREAMING)  # a viewer that came while they streamed
    live = read_stream(voter_client.http.cookies, f"/api/battles/{battle_id}/events")
    done.update(status=CompletionStatus.DONE)
    record.add_stream("events live", live)

    # then both traces exist and name their models, yet nothing sent so far shows them
    assert all(names[side] in traces[side] for side in ("a", "b"))
    assert record.leaks([*identity_strings(contenders), *traces.values()]) == []
    thinking = [e.data for e in live.events if e.event == "thinking"]
    assert sorted(thinking, key=lambda d: d["side"]) == [{"side": "a"}, {"side": "b"}]

    # and after the vote both traces can be opened
    voter_client.post(f"/api/battles/{battle_id}/vote", {"outcome": "tie"})
    detail = voter_client.get(f"/api/battles/{battle_id}").json()
    page = voter_client.get(f"/battles/{battle_id}/").content.decode()
    assert detail["turns"][0]["reasoning"] == traces
    assert page.count('<details class="trace">') == 2
    for contender in contenders:
        assert contender.provider_model in page
    # The prompt ("Who made you?") is an identity question; the traces, which name the
    # models, are no leak: the voter could not see them before voting.
    assert Battle.objects.get(pk=battle_id).excluded_reason == "identity question"


def test_regenerate_share_and_named_modes_reveal_nothing_before_the_vote(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    # given a blind battle of two unrevealed models, driven up to the vote
    record = Recorder()
    secrets = identity_strings(secret_contenders)
    battle_id = _drive_battle_until_vote(voter_client, record)

    # when the voter tries to share it, regenerates it both ways, and opens the named modes
    early_share = record.add("share", voter_client.post(f"/api/battles/{battle_id}/share", {}))
    same = record.add(
        "regenerate same",
        voter_client.post(f"/api/battles/{battle_id}/regenerate", {"pair": "same"}),
    )
    generate(battle_id)
    events = read_stream(voter_client.http.cookies, f"/api/battles/{battle_id}/events")
    record.add_stream("events regenerated", events)
    record.add("page regenerated", voter_client.get(f"/battles/{battle_id}/"))
    new = record.add(
        "regenerate new",
        voter_client.post(f"/api/battles/{battle_id}/regenerate", {"pair": "new"}),
    )
    fresh_id = new.json()["id"]
    generate(fresh_id)
    record.add("old page", voter_client.get(f"/battles/{battle_id}/"))
    record.add("new page", voter_client.get(f"/battles/{fresh_id}/"))
    record.add("poll new", voter_client.get(f"/api/battles/{fresh_id}"))
    for named_page in ("/side-by-side/", "/direct/", "/api/models"):
        record.add(named_page, voter_client.get(named_page))
    refused = record.add(
        "pick unrevealed",
        voter_client.post("/api/direct", {"prompt": "Hi", "model": secret_contenders[0].id}),
    )

    # then nothing sent names a model, no link exists, and the unrevealed pick is refused
    assert early_share.status_code == 409 and same.status_code == 201
    assert refused.status_code == 400
    assert record.leaks(secrets) == []
    assert "/shared/" not in "\n".join(text for _, text in record.seen)

    # and after the vote the public link names no unrevealed model (its voter sees them)
    voter_client.post(f"/api/battles/{fresh_id}/vote", {"outcome": "tie"})
    share = voter_client.post(f"/api/battles/{fresh_id}/share", {}).json()
    public = Recorder()
    public.add("shared page", Client().get(share["url"]))
    public.add("shared api", Client().get(f"/api/shared/{share['token']}"))
    assert public.leaks(secrets) == []
    assert "zanzibar-owl" in voter_client.get(f"/battles/{fresh_id}/").content.decode()


def test_the_operator_exclusions_page_is_closed_to_voters(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    # It names every contender by codename: staff only, a voter is sent to the login.
    response = voter_client.get("/operator/exclusions/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert not any(s in response.content.decode() for s in identity_strings(secret_contenders))


def test_the_transparency_page_never_identifies_a_model_in_blind_test(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    # given two contenders in blind test with battles, and a variant retired yesterday
    public = make_contender(
        "open-heron", public_name="Open Heron", revealed_at=timezone.now(),
        organisation="Open Labs",
    )  # fmt: skip
    just_retired = make_contender(
        "hidden-variant", public_name="Plinthwave Secret", organisation="Plinth Works",
        provider_model="plinth-sec-1", variant_of=public, status=ContenderStatus.RETIRED,
        retired_at=timezone.now() - timedelta(days=1),
    )  # fmt: skip
    record = Recorder()
    _drive_battle_until_vote(voter_client, record)
    Battle.objects.create(voter="v", contender_a=secret_contenders[0], contender_b=public)

    # when anyone reads the transparency page
    page = record.add("transparency", Client().get("/transparency/"))

    # then it counts them without naming them or their organisations
    assert page.status_code == 200
    text = page.content.decode()
    assert "2 models in blind testing now" in text
    assert "Models in blind testing (unrevealed)" in text
    assert "Open Heron" in text
    assert record.leaks(identity_strings([*secret_contenders, just_retired])) == []
