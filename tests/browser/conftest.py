"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright's sync API."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.server import ArenaServer, start_arena_server, stop_arena_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for a whole module; skips when Chromium is not installed."""
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def browser_page(browser: Any) -> Iterator[Any]:
    """A fresh desktop page in the module's Chromium."""
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ArenaServer]:
    """One embedded arena (demo contenders, fast tokens) for a whole module."""
    started, process = start_arena_server(tmp_path_factory.mktemp("arena"), token_delay=0.005)
    try:
        yield started
    finally:
        stop_arena_server(process)


def open_page(browser: Any, viewport: str, **options: Any) -> tuple[Any, Any]:
    """A fresh context and page at a named viewport (``page.viewport_name`` is set)."""
    context = browser.new_context(viewport=VIEWPORTS[viewport], **options)
    opened = context.new_page()
    opened.viewport_name = viewport
    return context, opened


@pytest.fixture(params=list(VIEWPORTS))
def page(request: pytest.FixtureRequest, browser: Any) -> Iterator[Any]:
    """A page in a fresh context, once at each viewport (desktop and phone)."""
    context, opened = open_page(browser, request.param)
    try:
        yield opened
    finally:
        context.close()


def shot(page: Any, name: str, *, full_page: bool = True) -> None:
    """A screenshot kept as a test artifact: test-artifacts/<name>-<viewport>.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}-{page.viewport_name}.png"
    page.screenshot(path=str(path), full_page=full_page)
