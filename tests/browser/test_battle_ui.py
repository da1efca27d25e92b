"""A person's whole battle in a real browser, against the real ASGI app under uvicorn."""

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.server import ArenaServer

pytestmark = pytest.mark.browser

# Records, on every change, how much text each side shows and its status, so the test
# can tell that the answers grew token by token rather than appearing at once.
RECORD_GROWTH = """
window.__samples = [];
new MutationObserver(() => {
  for (const el of document.querySelectorAll('.turn:last-child .answer')) {
    window.__samples.push({
      side: el.dataset.side,
      status: el.dataset.status,
      length: el.querySelector('.answer-body').textContent.length,
    });
  }
}).observe(document, {subtree: true, childList: true, characterData: true, attributes: true});
"""


def _identities(server: ArenaServer) -> list[str]:
    with sqlite3.connect(server.log_path.parent / "arena.sqlite3") as db:
        rows = db.execute(
            "SELECT codename, public_name, organisation, provider_model FROM arena_contender"
        ).fetchall()
    return [value for row in rows for value in row if value]


def test_prompt_stream_vote_reveal(
    arena_server: ArenaServer, browser_page: Any, artifacts_dir: Path
) -> None:
    page = browser_page
    identities = _identities(arena_server)
    assert identities, "seed_demo created no contenders"
    page.add_init_script(RECORD_GROWTH)

    page.goto(arena_server.base_url + "/")
    page.fill("#prompt", "How do owls see in the dark?")
    page.click("text=Start battle")
    page.wait_for_url("**/battles/*/")
    page.wait_for_selector('#vote-form button[value="a"]:not([disabled])', timeout=60_000)

    samples = page.evaluate("window.__samples")
    for side in ("a", "b"):
        lengths = [s["length"] for s in samples if s["side"] == side and s["status"] == "streaming"]
        final = page.locator(f'.answer[data-side="{side}"] .answer-body').inner_text()
        assert len(set(lengths)) > 3, f"side {side} did not grow while streaming"
        assert 0 < min(x for x in lengths if x) < len(final)
        assert page.locator(f'.answer[data-side="{side}"]').get_attribute("data-status") == "done"
    # The finished answers are the server-rendered Markdown, not the plain stream.
    assert page.locator(".answer-body.markdown").count() == 2
    before_vote = page.content().lower()
    leaked = [name for name in identities if name.lower() in before_vote]
    assert leaked == []
    page.screenshot(path=str(artifacts_dir / "battle-before-vote.png"), full_page=True)

    # A follow-up: both sides continue, streamed into a second turn; voting waits for it.
    page.fill("#followup", "And what about hawks?")
    page.click("text=Send to both")
    page.wait_for_selector(".turn:nth-child(2) .answer[data-status=streaming]")
    assert page.locator('#vote-form button[value="a"]').is_disabled()
    page.screenshot(path=str(artifacts_dir / "battle-streaming.png"), full_page=True)
    page.wait_for_selector('#vote-form button[value="a"]:not([disabled])', timeout=60_000)
    assert page.locator(".turn").count() == 2
    assert page.locator(".turn:nth-child(2) .answer-body.markdown").count() == 2
    assert "hawks" in page.locator(".turn:nth-child(2) .turn-prompt").inner_text()
    assert not any(name.lower() in page.content().lower() for name in identities)

    page.click("text=A is better")
    page.wait_for_selector("#reveal:not([hidden])")

    names = [page.locator(f'[data-reveal="{side}"]').inner_text() for side in ("a", "b")]
    assert all(any(n in shown for n in identities) for shown in names), names
    assert page.locator("#vote-form").is_hidden()
    assert page.locator("#reveal >> text=New battle").is_visible()
    assert page.locator("#reveal-notice").is_hidden()  # an ordinary battle counts
    page.screenshot(path=str(artifacts_dir / "battle.png"), full_page=True)


def test_an_identity_question_is_explained_after_the_vote(
    arena_server: ArenaServer, browser_page: Any
) -> None:
    page = browser_page
    page.goto(arena_server.base_url + "/")
    page.fill("#prompt", "Who are you?")
    page.click("text=Start battle")
    page.wait_for_url("**/battles/*/")
    page.wait_for_selector('#vote-form button[value="a"]:not([disabled])', timeout=60_000)
    assert page.locator("#reveal-notice").is_hidden()
    assert "not count" not in page.content()

    page.click("#vote-form button[value=tie]")

    page.wait_for_selector("#reveal-notice:not([hidden])")
    assert "asked the models who they are" in page.locator("#reveal-notice").inner_text()
