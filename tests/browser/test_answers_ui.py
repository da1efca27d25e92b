"""Readable answers, voting in reach, and honest, accessible state, in a real browser.

One embedded arena (uvicorn, demo models, which show code, math, a table or a long answer
when the prompt asks) serves the module; each test runs at a desktop and a 390x844 phone
viewport and keeps screenshots in test-artifacts/.
"""

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import VIEWPORTS, open_page, shot
from tests.fixtures.server import ArenaServer

pytestmark = pytest.mark.browser

VOTE_READY = '#vote-form button[value="a"]:not([disabled])'
RICH_PROMPT = "Show code, math and a table please"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# Every text the live region says, in order (it is written, never appended to).
RECORD_ANNOUNCEMENTS = """
window.__announced = [];
document.addEventListener("DOMContentLoaded", () => {
  const region = document.getElementById("announcer");
  new MutationObserver(() => {
    if (region.textContent) window.__announced.push(region.textContent);
  }).observe(region, {childList: true, characterData: true, subtree: true});
});
"""


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _start(page: Any, server: ArenaServer, prompt: str, *, wait: bool = True) -> str:
    page.goto(server.base_url + "/")
    page.fill("#prompt", prompt)
    page.click("text=Start battle")
    page.wait_for_url("**/battles/*/")
    if wait:
        page.wait_for_selector(VOTE_READY, timeout=60_000)
    return str(page.url).rstrip("/").rsplit("/", 1)[-1]


def _battle(page: Any, battle_id: str) -> dict[str, Any]:
    body = page.evaluate(
        "async (id) => (await fetch('/api/battles/' + id, {credentials: 'same-origin'})).text()",
        battle_id,
    )
    return dict(json.loads(body))


def _database(server: ArenaServer) -> sqlite3.Connection:
    return sqlite3.connect(server.log_path.parent / "arena.sqlite3")


def _axe(page: Any) -> list[str]:
    """Serious and critical axe-core violations on the page (axe from its npm package)."""
    assert AXE.exists(), "axe-core is missing: run npm ci"
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("async () => await axe.run(document)")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_code_is_highlighted_math_typeset_and_copy_works(
    browser: Any, server: ArenaServer, viewport: str
) -> None:
    context, page = open_page(browser, viewport, permissions=["clipboard-read", "clipboard-write"])
    try:
        page.add_init_script(RECORD_ANNOUNCEMENTS)
        _start(page, server, RICH_PROMPT)
        page.wait_for_selector(".answer[data-side=b] .math[data-typeset]")

        for side in ("a", "b"):
            card = page.locator(f'.answer[data-side="{side}"]')
            assert card.locator(".code-block .highlight .k", has_text="def").count() == 1
            assert card.locator(".code-lang", has_text="python").count() == 1
            assert card.locator(".katex").count() >= 2
            assert card.locator(".katex-display").count() == 1
            assert "$$" not in card.locator(".answer-body").inner_text()

        python = '.answer[data-side="a"] .code-block:has(.language-python)'
        page.locator(f"{python} .copy").click()
        copied = page.wait_for_selector(f"{python} .copy[data-state]")
        assert copied.inner_text() == "Copied"
        code = page.evaluate("navigator.clipboard.readText()")
        assert code.startswith("def greet(name: str) -> str:")
        page.wait_for_function("window.__announced.includes('Copied to the clipboard.')")

        page.locator('.answer[data-side="b"] .answer-head .copy').click()
        whole = page.evaluate("navigator.clipboard.readText()")
        assert "```python\ndef greet" in whole and "$e^{i\\pi} + 1 = 0$" in whole

        # A wide table scrolls inside its box; the page itself never scrolls sideways.
        table = page.locator(".answer[data-side=a] .table-scroll", has_text="Trade-off")
        sizes = table.evaluate("el => [el.scrollWidth, el.clientWidth]")
        page_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert page_width[0] <= page_width[1]
        if viewport == "phone":
            assert sizes[0] > sizes[1], "the table should scroll on a phone"
            table.evaluate("el => { el.scrollLeft = 200; }")
            assert table.evaluate("el => el.scrollLeft") > 0
        shot(page, "answers-code-math-table")
    finally:
        context.close()


def test_vote_bar_stays_in_reach_on_a_long_answer(page: Any, server: ArenaServer) -> None:
    _start(page, server, "Give a long answer")
    page.evaluate("window.scrollTo(0, 0)")
    height = page.evaluate("window.innerHeight")
    assert page.evaluate("document.documentElement.scrollHeight") > 2 * height

    box = page.locator("#vote-form").bounding_box()
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= height + 1
    assert page.locator(VOTE_READY).is_visible()
    shot(page, "vote-bar-long-answer", full_page=False)

    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight / 2)")
    box = page.locator("#vote-form").bounding_box()
    assert box and box["y"] + box["height"] <= height + 1


def test_status_is_announced_once_and_answers_are_busy_while_streaming(
    browser: Any, server: ArenaServer, viewport: str
) -> None:
    context, page = open_page(browser, viewport, reduced_motion="reduce")
    try:
        page.add_init_script(RECORD_ANNOUNCEMENTS)
        _start(page, server, "Give a long answer", wait=False)
        page.wait_for_selector('.answer[data-status="streaming"][aria-busy="true"]')
        assert page.locator("[aria-live]").count() == 0
        assert page.locator('[role="status"]').count() == 1
        # Reduced motion: the streaming cursor does not blink.
        animation = page.evaluate(
            "getComputedStyle(document.querySelector('.answer[data-status=streaming] "
            ".answer-body'), '::after').animationName"
        )
        assert animation == "none"

        # A vote key while voting is closed says why, as the buttons' description does.
        page.locator("h1, .turn-prompt").first.click()
        page.keyboard.press("a")
        reason = "Voting opens when both answers are complete."
        page.wait_for_function(f"window.__announced.includes({json.dumps(reason)})")
        button = page.locator('#vote-form button[value="a"]')
        assert button.is_disabled()
        hint_id = button.get_attribute("aria-describedby")
        assert page.locator(f"#{hint_id}").inner_text() == reason

        page.wait_for_selector(VOTE_READY, timeout=60_000)
        assert page.locator('.answer[aria-busy="true"]').count() == 0
        assert page.locator('.answer[aria-busy="false"]').count() == 2
        hint = page.locator("#vote-hint").inner_text()
        assert hint == "Both answers are complete. Your vote is final."
        page.wait_for_function(
            "window.__announced.includes('Both answers are complete. You can vote now.')"
        )
        announced = page.evaluate("window.__announced")
        assert "Model A is writing." in announced and "Model B has finished." in announced
        # Status changes only: no token text was ever read out.
        assert all(len(text) < 200 and "Each step builds" not in text for text in announced)
        shot(page, "announcements-ready")
    finally:
        context.close()


@pytest.mark.parametrize("key,outcome", [("a", "a"), ("b", "b"), ("t", "tie"), ("x", "bothbad")])
def test_each_vote_shortcut_votes_and_n_starts_a_new_battle(
    page: Any, server: ArenaServer, key: str, outcome: str
) -> None:
    battle_id = _start(page, server, f"Shortcut {outcome} please")
    # Typing a shortcut letter into the follow-up box types it, and votes nothing.
    page.fill("#followup", "")
    page.locator("#followup").press(key)
    assert page.locator("#followup").input_value() == key
    assert _battle(page, battle_id)["status"] == "ready"

    page.locator(".turn-prompt").first.click()
    page.keyboard.press(key)
    page.wait_for_selector("#reveal:not([hidden])")
    assert _battle(page, battle_id)["reveal"]["outcome"] == outcome

    page.keyboard.press("n")
    page.wait_for_url(server.base_url + "/")


def test_an_abandoned_battle_says_so_and_offers_a_new_one(page: Any, server: ArenaServer) -> None:
    page.add_init_script(RECORD_ANNOUNCEMENTS)
    battle_id = _start(page, server, "Left alone for a day")
    with _database(server) as db:
        db.execute(
            "UPDATE battles_battle SET status = 'abandoned' WHERE id = ?",
            (battle_id.replace("-", ""),),
        )

    # The open page learns it when shown again; a reload renders it from the server.
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    page.wait_for_selector("#battle-over:not([hidden]) >> text=This battle has expired")
    assert page.locator("#vote-form").is_hidden()
    page.wait_for_function("window.__announced.some((t) => t.includes('has expired'))")
    page.reload()
    over = page.locator("#battle-over")
    assert over.locator("text=This battle has expired").is_visible()
    assert over.locator("text=New battle").is_visible()
    assert page.locator("text=Voting opens when both answers are complete.").count() == 0
    shot(page, "battle-abandoned")


def test_a_failed_battle_says_so_and_offers_a_new_one(page: Any, server: ArenaServer) -> None:
    battle_id = _start(page, server, "This one will fail")
    with _database(server) as db:
        key = battle_id.replace("-", "")
        db.execute("UPDATE battles_battle SET status = 'failed' WHERE id = ?", (key,))
        db.execute(
            "UPDATE battles_completion SET status = 'failed' WHERE side = 'b' AND turn_id IN "
            "(SELECT id FROM battles_turn WHERE battle_id = ?)",
            (key,),
        )

    page.reload()

    over = page.locator("#battle-over")
    assert over.locator("text=could not be generated").is_visible()
    assert over.locator("text=New battle").is_visible()
    assert page.locator("#vote-form").is_hidden()
    assert page.locator('.answer[data-side="b"] .status').inner_text() == "Failed"
    shot(page, "battle-failed")


def test_without_javascript_a_generating_battle_refreshes_itself(
    browser: Any, server: ArenaServer, viewport: str
) -> None:
    context, page = open_page(browser, viewport, java_script_enabled=False)
    try:
        page.goto(server.base_url + "/")
        page.fill("#prompt", "Give a long answer without scripts")
        page.click("text=Start battle")
        page.wait_for_url("**/battles/*/")
        assert page.locator("#battle").get_attribute("data-status") == "generating"
        assert page.locator('meta[http-equiv="refresh"]').count() == 1
        note = page.locator("#battle noscript .hint")
        assert note.is_visible() and "reloads itself" in note.inner_text()

        page.wait_for_selector('#battle[data-status="ready"]', timeout=60_000)
        assert 'http-equiv="refresh"' not in page.content()
        assert page.locator(".answer-body.markdown").count() == 2
        assert page.locator('#vote-form button[value="a"]').is_enabled()
        shot(page, "no-javascript-ready")
    finally:
        context.close()


def test_dark_theme_follows_the_system_setting(
    browser: Any, server: ArenaServer, viewport: str
) -> None:
    context, page = open_page(browser, viewport, color_scheme="dark")
    try:
        _start(page, server, RICH_PROMPT)
        background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
        code = page.evaluate(
            "getComputedStyle(document.querySelector('.highlight')).backgroundColor"
        )
        assert background == "rgb(17, 21, 28)"
        assert code == "rgb(13, 17, 23)"
        assert _axe(page) == []
        shot(page, "battle-dark")
        for path in ("/", "/leaderboard/"):
            page.goto(server.base_url + path)
            assert _axe(page) == [], path
    finally:
        context.close()


def test_home_battle_and_leaderboard_have_no_serious_accessibility_violations(
    page: Any, server: ArenaServer
) -> None:
    page.goto(server.base_url + "/")
    assert _axe(page) == []

    _start(page, server, RICH_PROMPT)
    page.wait_for_selector(".answer[data-side=b] .math[data-typeset]")
    assert _axe(page) == []
    shot(page, "battle-axe")

    page.goto(server.base_url + "/leaderboard/")
    assert _axe(page) == []
