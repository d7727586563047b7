"""Status URLs serve Notes (or a page, or a Tombstone), outbox and featured are paged
OrderedCollections, and media files are served from media.dir and nothing else."""

from __future__ import annotations

import pytest
from quart import Quart

from fediverse_ai.activitypub.collections import PAGE_SIZE
from fediverse_ai.config import Settings
from fediverse_ai.runtime import Runtime
from fediverse_ai.services import interactions, statuses
from fediverse_ai.web import create_app

from ..factories import local, media, png_bytes

AP = {"Accept": "application/activity+json"}


@pytest.fixture
def app(runtime: Runtime) -> Quart:
    return create_app(runtime, workers=False)


async def test_status_url_serves_note_page_and_tombstone(app: Quart, runtime: Runtime, settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        ada = await local(session, settings, "ada")
        image = await media(session, settings, ada, description="A fox")
        post = await statuses.create_status(session, settings, ada, text="fox #art", media_ids=[image.id])
        secret = await statuses.create_status(session, settings, ada, text="psst", visibility="private")
    client = app.test_client()
    path = f"/users/ada/statuses/{post.id}"
    response = await client.get(path, headers=AP)
    assert response.status_code == 200 and response.content_type.startswith("application/activity+json")
    note = await response.get_json()
    assert note["id"] == post.uri and note["attachment"][0]["url"].endswith(image.file_path)
    page = await client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 200 and "AI-generated image" in await page.get_data(as_text=True)
    by_url = await client.get(f"/@ada/{post.id}", headers={"Accept": "text/html"})  # Status.url
    assert post.url.endswith(f"/@ada/{post.id}") and by_url.status_code == 200
    assert (await (await client.get(f"/@ada/{post.id}", headers=AP)).get_json())["id"] == post.uri
    assert (await client.get(f"/users/ada/statuses/{secret.id}", headers=AP)).status_code == 404
    assert (await client.get(f"/users/bob/statuses/{post.id}", headers=AP)).status_code == 404
    async with runtime.db.transaction() as session:
        await statuses.delete_status(session, settings, ada, post.id)
    gone = await client.get(path, headers=AP)
    assert gone.status_code == 410 and (await gone.get_json())["type"] == "Tombstone"


async def test_outbox_pages_creates_and_announces(app: Quart, runtime: Runtime, settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        ada = await local(session, settings, "ada")
        for i in range(PAGE_SIZE):
            await statuses.create_status(session, settings, ada, text=f"post {i}")
        await statuses.create_status(session, settings, ada, text="hidden", visibility="direct")
        theirs = await statuses.create_status(session, settings, ada, text="to boost")
        await interactions.reblog(session, settings, ada, theirs)
    client = app.test_client()
    collection = await (await client.get("/users/ada/outbox", headers=AP)).get_json()
    assert collection["type"] == "OrderedCollection" and collection["totalItems"] == PAGE_SIZE + 2
    first = await (await client.get(collection["first"], headers=AP)).get_json()
    assert first["type"] == "OrderedCollectionPage" and len(first["orderedItems"]) == PAGE_SIZE
    assert first["orderedItems"][0]["type"] == "Announce" and first["orderedItems"][1]["type"] == "Create"
    second = await (await client.get(first["next"], headers=AP)).get_json()
    assert len(second["orderedItems"]) == 2 and "next" not in second and second["prev"] == first["id"]
    featured = await (await client.get("/users/ada/collections/featured", headers=AP)).get_json()
    assert featured["totalItems"] == 0 and featured["first"].endswith("?page=1")


async def test_media_route_serves_files_and_refuses_escapes(app: Quart, runtime: Runtime, settings: Settings,
                                                           tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with runtime.db.transaction() as session:
        ada = await local(session, settings, "ada")
        image = await media(session, settings, ada)
    (tmp_path / "secret.png").write_bytes(png_bytes())
    client = app.test_client()
    response = await client.get(f"/media/{image.file_path}")
    assert response.status_code == 200 and response.content_type == "image/png"
    assert await response.get_data() == png_bytes()
    for bad in ("../secret.png", "%2e%2e/secret.png", f"{ada.id}/../../secret.png", "nothing.png"):
        assert (await client.get(f"/media/{bad}")).status_code == 404
