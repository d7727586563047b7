"""Signed-in pages and forms: like, boost, follow from the page, home feed, notifications;
sign up per registration mode and password change; admin approve/suspend, prompt filter,
job queue; remix honouring the author's permission."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from quart.testing import QuartClient

from fediverse_ai.config import Settings
from fediverse_ai.runtime import Runtime
from fediverse_ai.services.accounts import LocalUser, create_local_user
from tests.generation.conftest import tiny_model  # noqa: F401  (session fixture)

from ..conftest import PASSWORD, sign_in
from .helpers import csrf_of, generate, post_form, publish


@pytest.fixture
def settings(settings: Settings, tiny_model: Path) -> Settings:  # noqa: F811
    return settings.replace(generation__model=str(tiny_model), generation__device="cpu",
                            generation__batch_window_ms=0, registration__mode="open")


async def make_user(runtime: Runtime, username: str, role: str = "user") -> LocalUser:
    async with runtime.db.transaction() as session:
        return await create_local_user(session, runtime.settings, username=username,
                                       email=f"{username}@social.test", password=PASSWORD, role=role)


async def test_like_boost_follow_home_and_notifications(client: QuartClient, runtime: Runtime,
                                                        alice: LocalUser) -> None:
    await sign_in(client)
    post_path = await publish(client, runtime, "a lighthouse")
    status_id = post_path.rsplit("/", 1)[1]
    bob = await make_user(runtime, "bob")
    other = client.app.test_client()  # type: ignore[attr-defined]
    await sign_in(other, "bob")
    liked = await post_form(other, post_path, f"/statuses/{status_id}/favourite", {})
    assert liked.status_code == 302
    page = await (await other.get(post_path)).get_data(as_text=True)
    assert "Liked · 1" in page
    await post_form(other, post_path, f"/statuses/{status_id}/reblog", {})
    assert "Boosted · 1" in await (await other.get(post_path)).get_data(as_text=True)
    await post_form(other, "/@alice", f"/accounts/{alice.account.id}/follow", {})
    assert "Unfollow" in await (await other.get("/@alice")).get_data(as_text=True)
    followers = await (await client.get(f"/accounts/{alice.account.id}/followers")).get_data(as_text=True)
    following = await (await client.get(f"/accounts/{bob.account.id}/following")).get_data(as_text=True)
    assert 'href="/@bob"' in followers and 'href="/@alice"' in following
    home = await (await other.get("/home")).get_data(as_text=True)
    assert f'href="/statuses/{status_id}"' in home
    notes = await (await client.get("/notifications")).get_data(as_text=True)
    assert "@bob</a>\n    liked your post" in notes and "followed you" in notes and "boosted your post" in notes
    await post_form(other, post_path, f"/statuses/{status_id}/unfavourite", {})
    assert "Like · 0" in await (await other.get(post_path)).get_data(as_text=True)
    await post_form(other, "/@alice", f"/accounts/{alice.account.id}/unfollow", {})
    assert ">Follow</button>" in await (await other.get("/@alice")).get_data(as_text=True)
    assert bob.account.username == "bob"


async def test_remix_prefills_compose_links_source_and_honours_permission(
        client: QuartClient, runtime: Runtime, alice: LocalUser) -> None:
    await sign_in(client)
    open_post = await publish(client, runtime, "a red fox", remix_policy="anyone")
    closed_post = await publish(client, runtime, "a secret fox", remix_policy="nobody")
    await make_user(runtime, "bob")
    bob = client.app.test_client()  # type: ignore[attr-defined]
    await sign_in(bob, "bob")
    source_id = open_post.rsplit("/", 1)[1]
    assert f'href="/compose?remix={source_id}"' in await (await bob.get(open_post)).get_data(as_text=True)
    compose = await (await bob.get(f"/compose?remix={source_id}")).get_data(as_text=True)
    assert ">a red fox</textarea>" in compose and 'name="seed" inputmode="numeric" value="7"' in compose
    remix = await publish(bob, runtime, "a red fox, but blue", remix_of=source_id)
    remix_page = await (await bob.get(remix)).get_data(as_text=True)
    assert f'Remix of <a href="/statuses/{source_id}">' in remix_page
    source_page = await (await bob.get(open_post)).get_data(as_text=True)
    assert "<h2>Remixes</h2>" in source_page and f'href="/statuses/{remix.rsplit("/", 1)[1]}"' in source_page

    closed_id = closed_post.rsplit("/", 1)[1]
    assert "does not allow remixes" in await (await bob.get(closed_post)).get_data(as_text=True)
    assert (await bob.get(f"/compose?remix={closed_id}")).status_code == 403
    refused = await publish_expecting_error(bob, runtime, closed_id)
    assert refused == 403


async def publish_expecting_error(client: QuartClient, runtime: Runtime, remix_of: str) -> int:
    job = await generate(client, runtime, "sneaky")
    page = await (await client.get(job)).get_data(as_text=True)
    media = (await (await client.get(f"{job}.json")).get_json())["images"][0]["id"]
    response = await client.post(f"{job}/publish", form={"csrf": csrf_of(page), "media_ids": media,
                                                         "remix_of": remix_of})
    return response.status_code


@pytest.mark.parametrize("mode", ["open", "approval", "closed", "invite"])
async def test_sign_up_follows_the_registration_mode(client: QuartClient, runtime: Runtime, mode: str) -> None:
    runtime.settings = runtime.settings.replace(registration__mode=mode)
    response = await post_form(client, "/auth/sign_in", "/auth/sign_up", {
        "username": "carol", "email": "carol@social.test", "password": "long enough pw"})
    html = await response.get_data(as_text=True)
    signed_in = await client.post("/auth/sign_in", form={
        "csrf": csrf_of(await (await client.get("/auth/sign_in")).get_data(as_text=True)),
        "login": "carol", "password": "long enough pw"})
    if mode == "open":
        assert response.status_code == 201 and "Welcome" in html and signed_in.status_code == 302
    elif mode == "approval":
        assert response.status_code == 201 and "An admin will look" in html
        assert signed_in.status_code == 403
    elif mode == "closed":
        assert response.status_code == 403 and signed_in.status_code == 401
    else:
        assert response.status_code == 422 and "invite code" in html and signed_in.status_code == 401


async def test_password_change_needs_the_current_password(client: QuartClient, runtime: Runtime,
                                                          alice: LocalUser) -> None:
    await sign_in(client)
    wrong = await post_form(client, "/settings/password", "/settings/password",
                            {"current_password": "nope", "new_password": "a brand new one"})
    assert wrong.status_code == 422
    right = await post_form(client, "/settings/password", "/settings/password",
                            {"current_password": PASSWORD, "new_password": "a brand new one"})
    assert right.status_code == 200 and "has been changed" in await right.get_data(as_text=True)
    await sign_in(client.app.test_client(), password="a brand new one")  # type: ignore[attr-defined]


async def test_admin_approves_and_suspends_and_edits_the_prompt_filter(client: QuartClient, runtime: Runtime,
                                                                        alice: LocalUser) -> None:
    runtime.settings = runtime.settings.replace(registration__mode="approval")
    visitor = client.app.test_client()  # type: ignore[attr-defined]
    await post_form(visitor, "/auth/sign_up", "/auth/sign_up", {
        "username": "dave", "email": "dave@social.test", "password": "long enough pw"})
    await sign_in(client)
    users = await (await client.get("/admin/")).get_data(as_text=True)
    assert "waiting for approval" in users
    assert "signed up and waits for approval" in await (await client.get("/notifications")).get_data(as_text=True)
    await post_form(client, "/admin/", "/admin/users/dave/approve", {})
    await sign_in(visitor, "dave", "long enough pw")
    assert (await visitor.get("/home")).status_code == 200
    await post_form(client, "/admin/", "/admin/users/dave/suspend", {})
    assert "suspended" in await (await client.get("/admin/")).get_data(as_text=True)
    assert (await visitor.get("/home")).status_code == 302  # signed out by the suspension
    assert (await client.get("/@dave")).status_code == 410

    added = await post_form(client, "/admin/prompt-filter", "/admin/prompt-filter",
                            {"pattern": "gore", "reason": "not here", "action": "block"})
    assert added.status_code == 302
    assert "<code>gore</code>" in await (await client.get("/admin/prompt-filter")).get_data(as_text=True)
    bad = await post_form(client, "/admin/prompt-filter", "/admin/prompt-filter",
                          {"pattern": "(", "is_regex": "1", "reason": "x"})
    assert bad.status_code == 422
    queue = await (await client.get("/admin/queue")).get_data(as_text=True)
    assert "Depth per lane" in queue


async def test_admin_pages_are_for_staff_only(client: QuartClient, runtime: Runtime) -> None:
    await make_user(runtime, "eve")
    await sign_in(client, "eve")
    for path in ("/admin/", "/admin/reports", "/admin/prompt-filter", "/admin/queue"):
        assert (await client.get(path)).status_code == 403
    refused = await post_form(client, "/home", "/admin/users/eve/suspend", {})
    assert refused.status_code == 403


async def test_invite_links(client: QuartClient, runtime: Runtime, alice: LocalUser) -> None:
    runtime.settings = runtime.settings.replace(registration__mode="invite")
    await sign_in(client)
    await post_form(client, "/admin/", "/admin/invites", {"max_uses": "1", "days": "7"})
    page = await (await client.get("/admin/")).get_data(as_text=True)
    link = re.search(r"<code>(/auth/sign_up\?invite=[^<]+)</code>", page).group(1)  # type: ignore[union-attr]
    assert "0 of 1 used" in page
    visitor = client.app.test_client()  # type: ignore[attr-defined]
    form = await (await visitor.get(link)).get_data(as_text=True)
    code = link.split("=", 1)[1]
    assert f'name="invite" value="{code}"' in form
    joined = await visitor.post("/auth/sign_up", form={"csrf": csrf_of(form), "username": "newbie",
                                                       "email": "newbie@social.test", "password": "long enough pw",
                                                       "invite": code})
    assert joined.status_code == 201
    again = await visitor.post("/auth/sign_up", form={"csrf": csrf_of(form), "username": "second",
                                                      "email": "second@social.test", "password": "long enough pw",
                                                      "invite": code})
    assert again.status_code == 422 and "not valid" in await again.get_data(as_text=True)
