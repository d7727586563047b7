"""Creating in the browser: compose -> generation job (queue position, then step progress in its
JSON view) -> images -> publish with alt text, content warning and visibility. Regenerating keeps
earlier results; a refused prompt or a failed generation shows why. The generation lane runs the
real diffusers code on the tiny model."""

from __future__ import annotations

from pathlib import Path

import pytest
from quart.testing import QuartClient

from fediverse_ai.config import Settings
from fediverse_ai.runtime import Runtime
from fediverse_ai.services import generation_runs, prompt_filter
from fediverse_ai.services.accounts import LocalUser, create_local_user
from tests.generation.conftest import tiny_model  # noqa: F401  (session fixture)

from ..conftest import sign_in
from .helpers import csrf_of, drain, generate, post_form, publish


@pytest.fixture
def settings(settings: Settings, tiny_model: Path) -> Settings:  # noqa: F811
    return settings.replace(generation__model=str(tiny_model), generation__device="cpu",
                            generation__batch_window_ms=0)


async def test_compose_needs_sign_in(client: QuartClient) -> None:
    response = await client.get("/compose")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/sign_in?next=/compose")


async def test_generate_shows_queue_then_images_and_publishes(client: QuartClient, runtime: Runtime,
                                                              alice: LocalUser) -> None:
    await sign_in(client)
    response = await post_form(client, "/compose", "/compose", {
        "prompt": "a red lighthouse", "negative_prompt": "blurry", "steps": "2", "width": "64", "height": "64",
        "seed": "42"})
    job_path = response.headers["Location"]
    state = await (await client.get(f"{job_path}.json")).get_json()
    assert state["state"] == "queued" and state["queue_position"] == 0 and state["steps"] == 2
    page = await (await client.get(job_path)).get_data(as_text=True)
    assert "Waiting in the queue: 0 ahead of you" in page and "generation.js" in page

    async with runtime.db.transaction() as session:  # what the worker records between steps
        await generation_runs.start_generations(session, [int(state["id"])])
        await generation_runs.record_progress(session, [int(state["id"])], 1, phase="denoising")
    running = await (await client.get(f"{job_path}.json")).get_json()
    assert (running["state"], running["step"], running["queue_position"]) == ("running", 1, None)
    async with runtime.db.transaction() as session:
        await generation_runs.fail_generations(session, [int(state["id"])], "the model ran out of memory")
    failed = await (await client.get(job_path)).get_data(as_text=True)
    assert "This generation failed: the model ran out of memory" in failed

    job_path = await generate(client, runtime, "a red lighthouse")
    done = await (await client.get(f"{job_path}.json")).get_json()
    assert done["state"] == "done" and len(done["images"]) == 1 and done["images"][0]["url"].endswith(".png")
    page = await (await client.get(job_path)).get_data(as_text=True)
    assert "AI-generated image: a red lighthouse" in page  # alt text prefilled from the prompt

    post_path = await publish(client, runtime, "a blue whale", alt="A blue whale, drawn", text="my whale #ocean",
                              spoiler_text="big fish")
    post = await (await client.get(post_path)).get_data(as_text=True)
    assert "A blue whale, drawn" in post and "AI-generated image" in post and "Copy recipe" in post
    assert "Content warning: big fish" in post and "prompt</dt><dd>a blue whale" in post
    profile = await (await client.get("/@alice")).get_data(as_text=True)
    local = await (await client.get("/local")).get_data(as_text=True)
    tag = await (await client.get("/tags/ocean")).get_data(as_text=True)
    status_id = post_path.rsplit("/", 1)[1]
    for html in (profile, local, tag):
        assert f'href="/statuses/{status_id}"' in html


async def test_regenerate_keeps_earlier_results_until_published(client: QuartClient, runtime: Runtime,
                                                                alice: LocalUser) -> None:
    await sign_in(client)
    first = await generate(client, runtime, "a cat")
    page = await (await client.get(first)).get_data(as_text=True)
    again = await client.post(f"{first}/regenerate", form={"csrf": csrf_of(page), "prompt": "a cat in a hat"})
    second = again.headers["Location"]
    await drain(runtime, "generation")
    state = await (await client.get(f"{second}.json")).get_json()
    page = await (await client.get(second)).get_data(as_text=True)
    assert page.count('name="media_ids"') == 2  # both tries on offer
    assert f'value="{state["images"][0]["id"]}" checked' in page


async def test_refused_prompt_and_bad_option_say_why(client: QuartClient, runtime: Runtime,
                                                     alice: LocalUser) -> None:
    async with runtime.db.transaction() as session:
        await prompt_filter.add_rule(session, pattern="forbidden", reason="not on this instance")
    await sign_in(client)
    refused = await post_form(client, "/compose", "/compose", {"prompt": "a forbidden thing"})
    assert refused.status_code == 422 and "not on this instance" in await refused.get_data(as_text=True)
    bad = await post_form(client, "/compose", "/compose", {"prompt": "ok", "steps": "many"})
    html = await bad.get_data(as_text=True)
    assert bad.status_code == 422 and "steps must be a whole number" in html and ">ok</textarea>" in html


async def test_someone_elses_generation_is_not_found(client: QuartClient, runtime: Runtime, alice: LocalUser) -> None:
    await sign_in(client)
    job_path = await generate(client, runtime, "mine")
    other = client.app.test_client()  # type: ignore[attr-defined]
    async with runtime.db.transaction() as session:
        await create_local_user(session, runtime.settings, username="mallory", email="m@social.test",
                                password="correct horse battery")
    await sign_in(other, "mallory")
    assert (await other.get(f"{job_path}.json")).status_code == 404
    page = await (await other.get("/compose")).get_data(as_text=True)
    media = await (await client.get(f"{job_path}.json")).get_json()
    stolen = await other.post(f"{job_path}/publish", form={"csrf": csrf_of(page),
                                                           "media_ids": media["images"][0]["id"]})
    assert stolen.status_code == 404
