"""Replying, reporting, muting and blocking from the pages; account search; remote follow sends
a visitor to their own server; /authorize_interaction (our WebFinger subscribe template) lands
on the account here. These posts are text only, so no model is needed."""

from __future__ import annotations

from quart.testing import QuartClient

from fediverse_ai.models import Report
from fediverse_ai.runtime import Runtime
from fediverse_ai.services import statuses
from fediverse_ai.services.accounts import LocalUser, create_local_user

from ..conftest import PASSWORD, sign_in
from .helpers import post_form


async def make_post(runtime: Runtime, who: LocalUser, text: str) -> int:
    async with runtime.db.transaction() as session:
        return (await statuses.create_status(session, runtime.settings, who.account, text=text)).id


async def make_bob(runtime: Runtime) -> LocalUser:
    async with runtime.db.transaction() as session:
        return await create_local_user(session, runtime.settings, username="bob", email="bob@social.test",
                                       password=PASSWORD)


async def test_reply_report_mute_and_block(client: QuartClient, runtime: Runtime, alice: LocalUser) -> None:
    bob = await make_bob(runtime)
    post_id = await make_post(runtime, bob, "hello from bob")
    await sign_in(client)
    page = f"/statuses/{post_id}"
    replied = await post_form(client, page, f"{page}/reply", {"text": "@bob hi <b>there</b>"})
    assert replied.status_code == 302
    reply_page = await (await client.get(replied.headers["Location"])).get_data(as_text=True)
    assert "hi &lt;b&gt;there&lt;/b&gt;" in reply_page and f'In reply to <a href="{page}">@bob</a>' in reply_page
    assert "hi &lt;b&gt;there" in await (await client.get(page)).get_data(as_text=True)  # listed under Replies

    reported = await post_form(client, page, f"{page}/report", {"category": "spam", "comment": "buy now"})
    assert reported.status_code == 302
    async with runtime.db.session() as session:
        [report] = (await session.execute(Report.__table__.select())).all()
    assert report.status_ids == [post_id] and report.comment == "buy now"
    assert "buy now" in await (await client.get("/admin/reports")).get_data(as_text=True)

    await post_form(client, "/@bob", f"/accounts/{bob.account.id}/mute", {})
    profile = await (await client.get("/@bob")).get_data(as_text=True)
    assert "Unmute" in profile
    assert f'href="/statuses/{post_id}"' not in await (await client.get("/local")).get_data(as_text=True)
    await post_form(client, "/@bob", f"/accounts/{bob.account.id}/unmute", {})
    await post_form(client, "/@bob", f"/accounts/{bob.account.id}/block", {})
    assert "Unblock" in await (await client.get("/@bob")).get_data(as_text=True)
    assert (await client.get(page)).status_code == 404  # blocks hide both ways


async def test_search_remote_follow_and_authorize_interaction(client: QuartClient, runtime: Runtime,
                                                               alice: LocalUser) -> None:
    await make_bob(runtime)
    found = await (await client.get("/search?q=bo")).get_data(as_text=True)
    assert 'href="/@bob"' in found and "@bob" in found
    remote = await (await client.get("/search?q=someone@elsewhere.example")).get_data(as_text=True)
    assert "Sign in</a> to look up accounts" in remote  # signed out: no remote lookups

    sent = await post_form(client, "/@bob", "/@bob/remote_follow", {"handle": "@carol@mastodon.example"})
    assert sent.status_code == 302
    assert sent.headers["Location"] == "https://mastodon.example/authorize_interaction?uri=bob@social.test"
    bad = await post_form(client, "/@bob", "/@bob/remote_follow", {"handle": "carol"})
    assert bad.status_code == 422

    assert (await client.get("/authorize_interaction?uri=bob")).status_code == 302  # to sign in first
    await sign_in(client)
    landed = await client.get("/authorize_interaction?uri=acct:bob@social.test")
    assert landed.status_code == 302 and landed.headers["Location"] == "/@bob"
