"""Screenshots of the main pages at phone and desktop widths, into docs/screenshots/.

Starts a throwaway instance (SQLite in a temporary folder, the tiny random-weight model, so the
images are noise: the point is the layout), makes an admin, creates two posts in the browser
and photographs the pages with Debian's chromium through Playwright.

    .venv/bin/python docs/screenshots.py
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from fediverse_ai.generation.tiny import save_tiny_pipeline  # noqa: E402
from tests.live import live_server  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
SIZES = {"phone": (390, 844), "desktop": (1280, 900)}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
PASSWORD = "correct horse battery"


def shoot(page: Page, name: str) -> None:
    for label, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(OUT / f"{name}-{label}.jpg"), full_page=True, type="jpeg", quality=80)


def create(page: Page, prompt: str, caption: str, *, photograph: bool = False) -> str:
    """Generate two variations and publish the first; returns the post's address. With
    ``photograph`` the job page is photographed with its results, before publishing."""
    page.click("nav >> text=Create")
    page.fill("textarea[name=prompt]", prompt)
    page.click("details.advanced summary")
    page.fill("input[name=steps]", "4")
    page.fill("input[name=width]", "256")
    page.fill("input[name=height]", "256")
    page.fill("input[name=count]", "2")
    page.click("form[action='/compose'] button[type=submit]")
    page.wait_for_selector("#status-line:has-text('Done.')", timeout=120_000)
    if photograph:
        shoot(page, "generation")
    page.fill("textarea[name=text]", caption)
    page.click("#publish button[type=submit]")
    page.wait_for_url(re.compile(r"/statuses/\d+$"))
    return page.url


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        database = f"sqlite+aiosqlite:///{work / 'screens.db'}"
        env = os.environ | {"FEDIVERSE_AI_DATABASE_URL": database}
        subprocess.run([sys.executable, "-m", "fediverse_ai", "migrate"], check=True, env=env, cwd=work)
        subprocess.run([sys.executable, "-m", "fediverse_ai", "user", "create", "ada", "--email", "ada@example.com",
                        "--password", PASSWORD, "--role", "admin", "--display-name", "Ada"],
                       check=True, env=env, cwd=work, stdout=subprocess.DEVNULL)
        model = save_tiny_pipeline(work / "tiny")
        server_env = {"FEDIVERSE_AI_GENERATION_MODEL": str(model), "FEDIVERSE_AI_GENERATION_DEVICE": "cpu",
                      "FEDIVERSE_AI_REGISTRATION_MODE": "open",
                      "FEDIVERSE_AI_INSTANCE_RULES": "Label images that need a content warning.\nNo harassment."}
        with live_server(database, work, env=server_env) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page()
            page.goto(f"{server.url}/auth/sign_in")
            page.fill("input[name=login]", "ada")
            page.fill("input[name=password]", PASSWORD)
            page.click("form[action='/auth/sign_in'] button")
            create(page, "a lighthouse at dusk, oil painting", "Dusk at the lighthouse #seaside")
            post = create(page, "a fox in a snowy forest", "A winter fox #winter", photograph=True)
            pages = {"home": "/", "local": "/local", "post": post.split(server.url)[1], "profile": "/@ada",
                     "compose": "/compose", "about": "/about", "admin": "/admin/", "queue": "/admin/queue"}
            for name, path in pages.items():
                page.goto(f"{server.url}{path}")
                shoot(page, name)
            browser.close()
    print(f"screenshots written to {OUT.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
