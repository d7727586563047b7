"""Browser tests: a real `fediverse-ai run` process (tiny model, in-process workers) driven by
Debian's chromium through Playwright; each test saves screenshots of its pages when it fails,
into test-artifacts/ (gitignored). axe-core (npm, tests/e2e/node_modules) checks accessibility."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest

from fediverse_ai.config import Settings
from fediverse_ai.runtime import Runtime
from fediverse_ai.services.accounts import create_local_user
from tests.generation.conftest import tiny_model  # noqa: F401  (session fixture)
from tests.live import LiveServer, live_server

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "correct horse battery"

try:
    from playwright import sync_api
except ImportError:  # pragma: no cover - the test extra brings it
    sync_api = None  # type: ignore[assignment]


def make_user(settings: Settings, username: str, role: str = "user") -> None:
    async def go() -> None:
        runtime = Runtime.from_settings(settings)
        try:
            async with runtime.db.transaction() as session:
                await create_local_user(session, settings, username=username, email=f"{username}@example.com",
                                        password=PASSWORD, role=role)
        finally:
            await runtime.close()

    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API runs an event loop in this thread
        pool.submit(asyncio.run, go()).result()


@pytest.fixture
def server(settings: Settings, tmp_path: Path, tiny_model: Path) -> Iterator[LiveServer]:  # noqa: F811
    env = {"FEDIVERSE_AI_GENERATION_MODEL": str(tiny_model), "FEDIVERSE_AI_GENERATION_DEVICE": "cpu",
           "FEDIVERSE_AI_GENERATION_BATCH_WINDOW_MS": "0", "FEDIVERSE_AI_REGISTRATION_MODE": "open",
           "FEDIVERSE_AI_WORKERS_POLL_INTERVAL_S": "0.1"}
    with live_server(settings.database.url, tmp_path, env=env) as running:
        yield running


@pytest.fixture
def browser_available() -> None:
    """Ask for this first: it skips before a server starts when the browser cannot run."""
    if sync_api is None or not CHROMIUM.exists():
        pytest.skip("needs Playwright and Debian's chromium: `make install-test` installs both")


@pytest.fixture
def browser(browser_available: None) -> Iterator[Any]:
    """Started after the database fixtures: Playwright's sync API runs an event loop here."""
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@contextmanager
def screenshots_on_failure(name: str, pages: dict[str, Any]) -> Iterator[None]:
    """Save a full-page screenshot of every open page if the block fails."""
    try:
        yield
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        for label, page in pages.items():
            with suppress(Exception):  # a closed page must not hide the real failure
                page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)
        raise


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core in the page (WCAG 2 A/AA rules); returns the serious and critical violations."""
    page.add_script_tag(content=AXE.read_text())
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    return [v for v in result if v["impact"] in ("serious", "critical")]


def describe(violations: list[dict[str, Any]]) -> str:
    return json.dumps(violations, indent=1)
