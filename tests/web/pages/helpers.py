"""Helpers for page tests: read the CSRF token from a page, post a form with it, and make a
published image post through the real compose flow (tiny model, lanes stepped)."""

from __future__ import annotations

import re

from quart.testing import QuartClient

from fediverse_ai.jobs import Worker
from fediverse_ai.runtime import Runtime


def csrf_of(html: str) -> str:
    return html.split('name="csrf" value="')[1].split('"')[0]


async def post_form(client: QuartClient, page: str, action: str, form: dict[str, str | list[str]]):  # type: ignore[no-untyped-def]
    """Open ``page`` (for its CSRF token) and submit ``form`` to ``action`` like a browser."""
    html = await (await client.get(page)).get_data(as_text=True)
    return await client.post(action, form={"csrf": csrf_of(html), **form})


async def generate(client: QuartClient, runtime: Runtime, prompt: str, **extra: str) -> str:
    """Submit the compose form and run the generation lane; returns the job page path."""
    response = await post_form(client, "/compose", "/compose",
                               {"prompt": prompt, "steps": "1", "width": "64", "height": "64", "seed": "7"} | extra)
    assert response.status_code == 302, await response.get_data(as_text=True)
    job_path = response.headers["Location"].split("?")[0]
    await drain(runtime, "generation")
    return job_path


async def drain(runtime: Runtime, lane: str) -> None:
    """Step a lane until it has nothing left to do."""
    while await Worker(runtime, lane).run_once():
        pass


async def publish(client: QuartClient, runtime: Runtime, prompt: str, **form: str) -> str:
    """Generate and publish one image; returns the post page path."""
    job_path = await generate(client, runtime, prompt)
    page = await (await client.get(job_path)).get_data(as_text=True)
    media_id = re.search(r'name="media_ids" value="(\d+)" checked', page).group(1)  # type: ignore[union-attr]
    response = await client.post(f"{job_path}/publish", form={
        "csrf": csrf_of(page), "media_ids": media_id, f"alt_{media_id}": form.pop("alt", "a test image"),
        "text": form.pop("text", ""), "visibility": form.pop("visibility", "public"), **form})
    assert response.status_code == 302, await response.get_data(as_text=True)
    return response.headers["Location"]
