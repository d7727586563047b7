"""The whole life of an image in a real browser: sign up, generate with the tiny model while the
page shows the queue and step progress, publish, find the post on the profile and the local
feed, remix it, like it from a second account, and an admin suspends the first one. The pages
visited pass axe-core's WCAG 2 A/AA checks (serious and critical findings)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from fediverse_ai.config import Settings
from tests.live import LiveServer

from .conftest import PASSWORD, axe_violations, describe, make_user, screenshots_on_failure

pytestmark = pytest.mark.slow


axe_pages: list[str] = []  # job pages seen, checked with the others at the end


def generate(page: Any, prompt: str, *, expect_progress: bool) -> None:
    """Submit the compose form and wait for the job page to finish. With ``expect_progress``
    (a cold pipeline takes a while to load) the page must first show the queue or the steps and
    poll the job's JSON view."""
    polls: list[str] = []
    page.on("response", lambda r: polls.append(r.url) if r.url.endswith(".json") and r.ok else None)
    page.fill("textarea[name=prompt]", prompt)
    if page.locator("details.advanced[open]").count() == 0:  # a remix opens it with the recipe shown
        page.click("details.advanced summary")
    page.fill("input[name=steps]", "8")
    page.fill("input[name=width]", "128")
    page.fill("input[name=height]", "128")
    page.click("form[action='/compose'] button[type=submit]")
    page.wait_for_url(re.compile(r"/generations/\d+"))
    first = page.inner_text("#status-line")
    page.wait_for_selector("#status-line:has-text('Done.')", timeout=60_000)
    axe_pages.append(page.url.split("/", 3)[3])
    if expect_progress:
        assert re.match(r"Waiting in the queue: 0 ahead of you|Generating: step \d+ of 8", first), first
        assert polls, "the job page did not poll its progress"


def publish(page: Any, alt: str) -> str:
    page.fill("#results li:first-child textarea", alt)
    page.click("#publish button[type=submit]")
    page.wait_for_url(re.compile(r"/statuses/\d+$"))
    return page.url


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the browser flow once; pages run on both
def test_sign_up_generate_publish_remix_like_and_suspend(browser_available: None, settings: Settings,
                                                         server: LiveServer, browser: Any) -> None:
    make_user(settings, "admin", role="admin")
    bob_context, admin_context = browser.new_context(), browser.new_context()
    bob, admin = bob_context.new_page(), admin_context.new_page()
    pages = {"bob": bob, "admin": admin}
    with screenshots_on_failure("flow", pages):
        bob.goto(f"{server.url}/auth/sign_up")
        bob.fill("input[name=username]", "bob")
        bob.fill("input[name=email]", "bob@example.com")
        bob.fill("input[name=password]", PASSWORD)
        bob.click("form[action='/auth/sign_up'] button")
        assert "Welcome, @bob" in bob.inner_text("main")
        bob.click("text=Sign in")
        bob.fill("input[name=login]", "bob")
        bob.fill("input[name=password]", PASSWORD)
        bob.click("form[action='/auth/sign_in'] button")
        assert bob.inner_text("nav a.me") == "@bob"

        bob.click("nav >> text=Create")
        generate(bob, "a lighthouse at dusk", expect_progress=True)
        assert bob.locator("#results img").count() == 1
        assert bob.input_value("#results li:first-child textarea") == "AI-generated image: a lighthouse at dusk"
        post_url = publish(bob, "A lighthouse on a cliff at dusk")
        assert bob.locator("figcaption .ai-label").inner_text() == "AI-generated image"
        assert "prompt\na lighthouse at dusk" in bob.inner_text(".recipe dl").replace("\t", "\n")
        bob_context.grant_permissions(["clipboard-read", "clipboard-write"])
        bob.click("#copy-recipe")
        bob.wait_for_selector("#copy-recipe:has-text('Copied')")
        post_path = post_url.split(server.url)[1]

        bob.goto(f"{server.url}/@bob")
        assert bob.locator(f"a[href='{post_path}'] img[alt='A lighthouse on a cliff at dusk']").count() == 1
        bob.goto(f"{server.url}/local")
        assert bob.locator(f"a[href='{post_path}']").count() == 1

        bob.goto(post_url)
        bob.click("text=Remix")
        assert bob.input_value("textarea[name=prompt]") == "a lighthouse at dusk"
        generate(bob, "a lighthouse at dawn", expect_progress=False)
        publish(bob, "A lighthouse at dawn")
        assert "Remix of" in bob.inner_text(".remix-of")
        bob.goto(post_url)
        assert bob.locator("h2:has-text('Remixes')").count() == 1

        admin.goto(f"{server.url}/auth/sign_in")
        admin.fill("input[name=login]", "admin")
        admin.fill("input[name=password]", PASSWORD)
        admin.click("form[action='/auth/sign_in'] button")
        admin.goto(post_url)
        admin.click("button:has-text('Like')")
        assert "Liked · 1" in admin.inner_text(".actions")
        bob.goto(f"{server.url}/notifications")
        assert "@admin liked your post" in " ".join(bob.inner_text(".notifications").split())

        problems = {}
        for path in ("/", "/local", "/about", post_path, "/@bob", "/compose", "/notifications", "/home",
                     "/search?q=ad", "/settings/password", f"/{axe_pages[0]}", f"{post_path}/edit"):
            bob.goto(f"{server.url}{path}")
            problems[path] = axe_violations(bob)
        for path in ("/admin/", "/admin/reports", "/admin/domains", "/admin/queue", "/admin/prompt-filter"):
            admin.goto(f"{server.url}{path}")
            problems[path] = axe_violations(admin)
        visitor = browser.new_context(color_scheme="dark").new_page()  # signed out, in dark mode
        pages["visitor"] = visitor
        for path in ("/", "/federated", "/auth/sign_in", "/auth/sign_up", post_path, "/@bob", "/about"):
            visitor.goto(f"{server.url}{path}")
            problems[f"dark {path}"] = axe_violations(visitor)
        assert not any(problems.values()), describe([{"page": p, **v} for p, vs in problems.items() for v in vs])

        admin.goto(f"{server.url}/admin/")
        admin.click("button:has-text('Suspend @bob')")
        assert "suspended" in admin.inner_text("tr:has-text('@bob')")
        bob.goto(f"{server.url}/home")
        assert "/auth/sign_in" in bob.url  # the suspended account's session no longer counts
        assert bob.goto(post_url).status == 404


def test_the_accessibility_check_catches_a_broken_page(browser: Any) -> None:
    """The axe-core check itself: an image without alt text and an unlabelled field are found."""
    page = browser.new_page()
    with screenshots_on_failure("axe", {"page": page}):
        page.set_content('<html lang="en"><head><title>t</title></head><body><main>'
                         '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input name="q"></main></body></html>')
        found = {v["id"] for v in axe_violations(page)}
        assert {"image-alt", "label"} <= found, found
