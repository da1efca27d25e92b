"""Regenerate, share and the named modes in a real browser, on a desktop and a phone.

One embedded arena (uvicorn, demo models) serves the whole module; each test gets a fresh
browser context at each viewport and leaves screenshots in test-artifacts/.
"""

from typing import Any

import pytest

from tests.browser.conftest import VIEWPORTS, shot
from tests.fixtures.server import ArenaServer

pytestmark = pytest.mark.browser

VOTE_READY = '#vote-form button[value="a"]:not([disabled])'
# The demo contender that is never revealed (arena/registry.py): no named mode offers it.
UNREVEALED = "mango"


def _shot(page: Any, name: str) -> None:
    shot(page, name)


def _start_blind_battle(page: Any, server: ArenaServer, prompt: str) -> str:
    page.goto(server.base_url + "/")
    page.fill("#prompt", prompt)
    page.click("text=Start battle")
    page.wait_for_url("**/battles/*/")
    page.wait_for_selector(VOTE_READY, timeout=60_000)
    return str(page.url)


def test_regenerate_same_pair_then_a_new_pair(page: Any, server: ArenaServer) -> None:
    first_url = _start_blind_battle(page, server, "Why is the sky blue?")

    page.click("text=Regenerate (same models)")
    page.wait_for_selector(".turn.superseded")
    page.wait_for_selector(VOTE_READY, timeout=60_000)

    assert page.url == first_url
    assert page.locator(".turn").count() == 2
    assert page.locator(".turn.superseded details.superseded-answers").count() == 1
    assert page.locator(".turn:last-child .answer-body.markdown").count() == 2
    assert "Demo " not in page.content() and UNREVEALED not in page.content()
    _shot(page, "regenerate-same")

    page.click("text=New pair of models")
    page.wait_for_url(lambda url: url != first_url and "/battles/" in url)
    page.wait_for_selector(VOTE_READY, timeout=60_000)
    assert page.locator(".turn").count() == 1
    page.goto(first_url)
    assert page.locator("#replaced >> text=Go to the new battle").is_visible()


def test_share_after_the_vote_and_delete_the_link(
    page: Any, server: ArenaServer, browser: Any
) -> None:
    _start_blind_battle(page, server, "Name three rivers.")
    assert page.locator("text=Create a public link").is_hidden()

    page.click("text=A is better")
    page.wait_for_selector("#reveal:not([hidden])")
    page.click("text=Create a public link")
    link = page.locator("#share-link").get_attribute("href")

    visitor = browser.new_context(viewport=VIEWPORTS[page.viewport_name])
    try:
        shared = visitor.new_page()
        shared.viewport_name = page.viewport_name
        shared.goto(server.base_url + link)
        assert shared.locator("text=Name three rivers.").is_visible()
        assert shared.locator(".reveal-names dd").count() == 2
        # Read-only: nothing to submit; only the copy buttons of the answers.
        assert shared.locator("form, button:not(.copy)").count() == 0
        assert shared.locator(".answer-head .copy").count() == 2
        robots = shared.locator('meta[name="robots"]').get_attribute("content")
        assert robots == "noindex, nofollow"
        _shot(shared, "shared-battle")

        page.click("text=Delete the link")
        page.wait_for_selector("text=Create a public link")
        gone = shared.goto(server.base_url + link)
        assert gone.status == 404
    finally:
        visitor.close()


def test_side_by_side_and_direct_chat(page: Any, server: ArenaServer) -> None:
    page.goto(server.base_url + "/side-by-side/")
    options = page.locator("#model_a option").all_inner_texts()
    assert UNREVEALED not in " ".join(options).lower()
    page.select_option("#model_a", label="Demo Concise (Arena demo)")
    page.select_option("#model_b", label="Demo Thorough (Arena demo)")
    page.fill("#prompt", "Describe a cat.")
    page.click("#named-form button[type=submit]")
    page.wait_for_url("**/battles/*/")
    page.wait_for_selector(VOTE_READY, timeout=60_000)

    assert page.locator(".mode-label").inner_text().startswith("Side-by-side")
    heads = page.locator(".answer-head h2").all_inner_texts()
    assert "Demo Concise" in heads[0] and "Demo Thorough" in heads[1]
    _shot(page, "side-by-side")
    page.click("text=B is better")
    page.wait_for_selector("#reveal:not([hidden])")

    page.goto(server.base_url + "/direct/")
    page.select_option("#model", label="Demo Playful (Arena demo)")
    page.fill("#prompt", "Tell me a joke.")
    page.click("#named-form button[type=submit]")
    page.wait_for_selector('.answer[data-side="a"][data-status="done"]', timeout=60_000)

    assert page.locator(".answer").count() == 1
    assert page.locator("#vote-form").is_hidden()
    assert "Direct chat with Demo Playful" in page.locator(".mode-label").inner_text()
    page.fill("#followup", "Another one?")
    page.click("#followup-form button")
    page.wait_for_selector(".turn:nth-child(2) .answer[data-status=done]", timeout=60_000)
    _shot(page, "direct-chat")
