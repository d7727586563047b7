"""Public pages signed out: the about page shows rules, model, quotas and the prompt marker;
the nav offers sign in and sign up; the feeds and tags answer with empty grids."""

from __future__ import annotations

from quart.testing import QuartClient

from fediverse_ai.runtime import Runtime
from fediverse_ai.services import statuses
from fediverse_ai.services.accounts import LocalUser

from ..conftest import sign_in
from .helpers import post_form


async def test_about_page(client: QuartClient, runtime: Runtime) -> None:
    runtime.settings = runtime.settings.replace(instance__rules="Be kind.\n<b>No spam</b>\n",
                                                instance__contact_email="admin@social.test",
                                                generation__model_license="openrail++")
    html = await (await client.get("/about")).get_data(as_text=True)
    assert "<li>Be kind.</li>" in html and "&lt;b&gt;No spam&lt;/b&gt;" in html
    assert f"<code>{runtime.settings.generation.prompt_marker}</code>" in html
    assert f"{runtime.settings.limits.generations_per_day} images per person" in html
    assert "admin@social.test" in html and "stabilityai/sd-turbo" in html and "Licence: openrail++" in html


async def test_signed_out_nav_and_empty_feeds(client: QuartClient) -> None:
    for path in ("/", "/local", "/federated", "/tags/nothing"):
        response = await client.get(path)
        html = await response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert 'href="/auth/sign_in"' in html and 'href="/auth/sign_up"' in html and "Sign out" not in html
    assert "Nothing here yet." in await (await client.get("/local")).get_data(as_text=True)
    assert (await client.get("/statuses/12345")).status_code == 404


async def test_signed_in_nav(client: QuartClient, alice: LocalUser) -> None:
    await sign_in(client)
    html = await (await client.get("/")).get_data(as_text=True)
    assert 'href="/@alice"' in html and "Sign out" in html and 'href="/admin"' in html and 'href="/compose"' in html


async def test_content_warning_images_hidden_per_setting(client: QuartClient, runtime: Runtime,
                                                         alice: LocalUser) -> None:
    async with runtime.db.transaction() as session:
        post = await statuses.create_status(session, runtime.settings, alice.account, text="spoiler",
                                            spoiler_text="spoilers")
    assert 'class="tile cw"' in await (await client.get("/local")).get_data(as_text=True)  # visitors: hidden
    await sign_in(client)
    assert 'class="tile"' in await (await client.get("/local")).get_data(as_text=True)
    assert '<details class="cw" open>' in await (await client.get(f"/statuses/{post.id}")).get_data(as_text=True)
    saved = await post_form(client, "/settings/password", "/settings/media", {"hide_sensitive_media": "1"})
    assert saved.status_code == 302
    assert 'class="tile cw"' in await (await client.get("/local")).get_data(as_text=True)
    assert '<details class="cw">' in await (await client.get(f"/statuses/{post.id}")).get_data(as_text=True)
