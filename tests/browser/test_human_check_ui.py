"""With proof of work on, the browser solves the challenge and the battle starts."""

from typing import Any

import pytest

from tests.fixtures.server import ArenaServer

pytestmark = pytest.mark.browser


@pytest.fixture
def pow_server(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> ArenaServer:
    # The server process reads its settings from the environment it is started with.
    monkeypatch.setenv("ARENA_HUMAN_CHECK", "pow")
    monkeypatch.setenv("ARENA_POW_DIFFICULTY", "12")
    server: ArenaServer = request.getfixturevalue("arena_server")
    return server


def test_the_battle_page_works_with_proof_of_work(
    pow_server: ArenaServer, browser_page: Any
) -> None:
    page = browser_page
    sent: list[str] = []
    page.on(
        "request",
        lambda r: (
            sent.append(r.headers.get("x-human-check", ""))
            if r.url.endswith("/api/battles") and r.method == "POST"
            else None
        ),
    )

    page.goto(pow_server.base_url + "/")
    page.fill("#prompt", "How do owls see in the dark?")
    page.click("text=Start battle")
    page.wait_for_url("**/battles/*/", timeout=30_000)
    page.wait_for_selector('#vote-form button[value="a"]:not([disabled])', timeout=60_000)

    # the token went with the request: challenge:nonce
    assert len(sent) == 1 and sent[0].count(".") == 3 and ":" in sent[0]
    page.click('#vote-form button[value="a"]')
    page.wait_for_selector("#reveal:not([hidden])", timeout=10_000)
