"""AI images from any client: a prompt post waits for its image, then is published with it; a
bad option is refused naming it; a failed generation leaves the post unpublished with the
reason and tells its author. The generation lane runs the real diffusers code on the tiny model."""

from __future__ import annotations

from pathlib import Path

import pytest
from quart import Quart
from quart.testing import QuartClient

from fediverse_ai.config import Settings
from fediverse_ai.jobs import Worker
from fediverse_ai.runtime import Runtime
from fediverse_ai.services.accounts import LocalUser
from fediverse_ai.web import create_app
from tests.generation.conftest import tiny_model  # noqa: F401  (session fixture)

from .test_timelines import token_for


@pytest.fixture
def settings(settings: Settings, tiny_model: Path) -> Settings:  # noqa: F811
    return settings.replace(generation__model=str(tiny_model), generation__device="cpu",
                            generation__batch_window_ms=0)


async def run_generation(runtime: Runtime) -> None:
    """Step the generation lane, then the lane that publishes what it made."""
    assert await Worker(runtime, "generation").run_once() == 1
    assert await Worker(runtime, "system").run_once() == 1


async def test_a_prompt_post_is_published_with_its_image(client: QuartClient, runtime: Runtime,
                                                         alice: LocalUser) -> None:
    me = await token_for(runtime, alice)
    created = await client.post("/api/v1/statuses", headers=me, form={
        "status": "/imagine a red lighthouse at dusk --seed 7 --size 64x64 --steps 1"})
    assert created.status_code == 200, await created.get_data(as_text=True)
    waiting = await created.get_json()
    assert waiting["fediverse_ai"]["state"] == "generating" and waiting["media_attachments"] == []
    assert await (await client.get("/api/v1/timelines/public")).get_json() == []  # not public yet

    await run_generation(runtime)
    published = await (await client.get(f"/api/v1/statuses/{waiting['id']}")).get_json()
    assert published["fediverse_ai"]["state"] == "published"
    assert published["fediverse_ai"]["recipe"]["seed"] == 7
    [image] = published["media_attachments"]
    assert image["url"] and image["meta"]["original"]["width"] == 64
    assert "AI-generated" in image["description"]
    assert "aiart" in [t["name"] for t in published["tags"]]
    assert "a red lighthouse at dusk" in published["content"]
    public = await (await client.get("/api/v1/timelines/public")).get_json()
    assert [s["id"] for s in public] == [waiting["id"]]


async def test_an_unknown_option_is_refused_by_name(client: QuartClient, runtime: Runtime, alice: LocalUser) -> None:
    me = await token_for(runtime, alice)
    response = await client.post("/api/v1/statuses", headers=me, form={"status": "/imagine a cat --sampler ddim"})
    assert response.status_code == 422
    assert (await response.get_json())["field"] == "--sampler"
    too_big = await client.post("/api/v1/statuses", headers=me, form={"status": "/imagine a cat --size 9000x64"})
    assert (await too_big.get_json())["field"] == "width"
    assert await (await client.get(f"/api/v1/accounts/{alice.account.id}/statuses", headers=me)).get_json() == []


async def test_a_failed_generation_stays_unpublished_with_its_reason(runtime: Runtime, alice: LocalUser,
                                                                     tmp_path: Path) -> None:
    broken = Runtime(runtime.settings.replace(generation__model=str(tmp_path / "no-model-here")), runtime.db)
    app: Quart = create_app(broken, workers=False)
    client = app.test_client()
    me = await token_for(runtime, alice)
    waiting = await (await client.post("/api/v1/statuses", headers=me,
                                       form={"status": "/imagine a lighthouse"})).get_json()
    await run_generation(broken)
    failed = await (await client.get(f"/api/v1/statuses/{waiting['id']}", headers=me)).get_json()
    assert failed["fediverse_ai"]["state"] == "failed"
    assert "no-model-here" in failed["fediverse_ai"]["state_reason"]
    assert (await client.get(f"/api/v1/statuses/{waiting['id']}")).status_code == 404  # others never see it
    notes = await (await client.get("/api/v1/notifications", headers=me)).get_json()
    assert notes[0]["fediverse_ai"]["type"] == "generation.failed"
    assert "no-model-here" in notes[0]["fediverse_ai"]["detail"]


async def test_media_v2_with_a_prompt_answers_202_then_206_then_200(client: QuartClient, runtime: Runtime,
                                                                    alice: LocalUser) -> None:
    me = await token_for(runtime, alice)
    asked = await client.post("/api/v2/media", headers=me, form={"prompt": "a blue whale", "seed": "11",
                                                                 "steps": "1", "width": "64", "height": "64"})
    assert asked.status_code == 202, await asked.get_data(as_text=True)
    pending = await asked.get_json()
    assert pending["url"] is None and pending["fediverse_ai"]["processing"] == "pending"
    polled = await client.get(f"/api/v1/media/{pending['id']}", headers=me)
    assert polled.status_code == 206
    early = await client.post("/api/v1/statuses", headers=me, form={"status": "too soon", "media_ids[]": pending["id"]})
    assert early.status_code == 422 and (await early.get_json())["field"] == "media_ids"

    assert await Worker(runtime, "generation").run_once() == 1
    ready = await client.get(f"/api/v1/media/{pending['id']}", headers=me)
    assert ready.status_code == 200
    body = await ready.get_json()
    assert body["url"] and body["fediverse_ai"]["recipe"]["seed"] == 11 and "AI-generated" in body["description"]
    posted = await client.post("/api/v1/statuses", headers=me, form={"status": "my whale",
                                                                     "media_ids[]": pending["id"]})
    assert (await posted.get_json())["media_attachments"][0]["id"] == pending["id"]


async def test_media_v2_prompt_errors_name_the_field(client: QuartClient, runtime: Runtime, alice: LocalUser) -> None:
    me = await token_for(runtime, alice)
    unknown = await client.post("/api/v2/media", headers=me, form={"prompt": "a cat", "sampler": "ddim"})
    assert unknown.status_code == 422 and (await unknown.get_json())["field"] == "sampler"
    many = await client.post("/api/v2/media", headers=me, form={"prompt": "a cat", "count": "3"})
    assert (await many.get_json())["field"] == "count"


async def test_a_failed_generation_fails_its_media(runtime: Runtime, alice: LocalUser, tmp_path: Path) -> None:
    broken = Runtime(runtime.settings.replace(generation__model=str(tmp_path / "missing")), runtime.db)
    client = create_app(broken, workers=False).test_client()
    me = await token_for(runtime, alice)
    pending = await (await client.post("/api/v2/media", headers=me, form={"prompt": "a dog"})).get_json()
    assert await Worker(broken, "generation").run_once() == 1
    failed = await (await client.get(f"/api/v1/media/{pending['id']}", headers=me)).get_json()
    assert failed["fediverse_ai"]["processing"] == "failed" and "missing" in failed["fediverse_ai"]["error"]
