"""Every written file says it was made by a trained model and carries its recipe; with C2PA on,
a signed manifest that c2pa-python reads back as valid."""

from __future__ import annotations

import json
from pathlib import Path

import c2pa
from PIL import Image
from sqlalchemy import select

from fediverse_ai.generation.provenance import RECIPE_PNG_KEY
from fediverse_ai.generation.recipe import DIGITAL_SOURCE_TYPE
from fediverse_ai.jobs import Worker
from fediverse_ai.jobs.registry import load_handlers
from fediverse_ai.models import MediaAttachment
from fediverse_ai.runtime import Runtime
from fediverse_ai.services.generation import GenerationRequest, request_generation
from tests.generation.conftest import make_user

load_handlers()
RECIPE_NS = "https://fediverse-ai.invalid/ns/recipe/1.0/"


async def generate_one(runtime: Runtime, prompt: str) -> MediaAttachment:
    user = await make_user(runtime, "quinn")
    async with runtime.db.transaction() as session:
        await request_generation(session, runtime.settings, user, GenerationRequest(prompt=prompt, seed=3))
    assert await Worker(runtime, "generation").run_once() == 1
    async with runtime.db.session() as session:
        return (await session.execute(select(MediaAttachment))).scalar_one()


def description(xmp: dict) -> dict:  # type: ignore[type-arg]
    found = xmp["xmpmeta"]["RDF"]["Description"]
    return found[0] if isinstance(found, list) else found


def check_xmp(image: Image.Image, prompt: str) -> dict:  # type: ignore[type-arg]
    about = description(image.getxmp())
    assert about["DigitalSourceType"] == DIGITAL_SOURCE_TYPE
    assert about["CreatorTool"].startswith("fediverse_ai ")
    recipe = json.loads(about["recipe"])
    assert recipe["prompt"] == prompt and recipe["seed"] == 3
    return recipe  # type: ignore[no-any-return]


async def test_png_and_jpeg_carry_the_label_and_the_recipe(runtime: Runtime) -> None:
    media = await generate_one(runtime, 'a "quoted" <prompt> & more')
    root = runtime.settings.media.dir
    with Image.open(root / str(media.file_path)) as png:
        assert png.format == "PNG"
        recipe = check_xmp(png, 'a "quoted" <prompt> & more')
        assert json.loads(png.text[RECIPE_PNG_KEY]) == recipe == media.recipe
        assert "AI-generated" in png.text["Description"]
    for rel in (media.preview_path, media.thumbnail_path):
        with Image.open(root / str(rel)) as jpeg:
            assert jpeg.format == "JPEG"
            assert check_xmp(jpeg, 'a "quoted" <prompt> & more') == recipe


def read_manifest(path: Path, mime: str) -> dict:  # type: ignore[type-arg]
    with path.open("rb") as stream:
        return json.loads(c2pa.Reader(mime, stream).json())  # type: ignore[no-any-return]


async def test_with_c2pa_on_the_files_carry_a_valid_signed_manifest(runtime: Runtime) -> None:
    runtime.settings = runtime.settings.replace(generation__c2pa=True)
    media = await generate_one(runtime, "a signed tree")
    root = runtime.settings.media.dir
    for rel, mime in ((media.file_path, "image/png"), (media.preview_path, "image/jpeg")):
        store = read_manifest(root / str(rel), mime)
        assert store["validation_state"] == "Valid"
        # The instance's own root is not a public trust anchor: that is the only remark.
        assert {s["code"] for s in store.get("validation_status", [])} <= {"signingCredential.untrusted"}
        active = store["manifests"][store["active_manifest"]]
        actions = next(a for a in active["assertions"] if a["label"].startswith("c2pa.actions"))
        created = actions["data"]["actions"][0]
        assert (created["action"], created["digitalSourceType"]) == ("c2pa.created", DIGITAL_SOURCE_TYPE)
    with Image.open(root / str(media.file_path)) as png:  # signing kept the XMP label and recipe
        check_xmp(png, "a signed tree")
        assert json.loads(png.text[RECIPE_PNG_KEY])["prompt"] == "a signed tree"
    assert (runtime.settings.generation.c2pa_dir / "root.pem").exists()
