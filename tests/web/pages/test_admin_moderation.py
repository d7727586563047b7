"""Admin moderation from the pages: silencing an account keeps its posts out of the public
feeds; a report is closed with an action (suspending its target); a silenced domain's posts
leave the federated feed, and a malformed domain is refused naming the field; failed jobs are
retried or dropped from the queue page; a domain whose media is rejected has its posts stored
without their images."""

from __future__ import annotations

from quart.testing import QuartClient
from sqlalchemy import select

from fediverse_ai.activitypub.notes import RemoteMedia, RemoteNote
from fediverse_ai.models import Account, Job, Report, Status
from fediverse_ai.runtime import Runtime
from fediverse_ai.services import moderation, remote_statuses, statuses
from fediverse_ai.services.accounts import LocalUser, create_local_user

from ..conftest import PASSWORD, sign_in
from .helpers import post_form


async def test_silence_and_report_actions(client: QuartClient, runtime: Runtime, alice: LocalUser) -> None:
    async with runtime.db.transaction() as session:
        bob = await create_local_user(session, runtime.settings, username="bob", email="bob@social.test",
                                      password=PASSWORD)
        post = await statuses.create_status(session, runtime.settings, bob.account, text="loud post")
        report = await moderation.report(session, runtime.settings, alice.account, bob.account,
                                         status_ids=[post.id], comment="too loud")
    await sign_in(client)
    assert f'href="/statuses/{post.id}"' in await (await client.get("/local")).get_data(as_text=True)
    await post_form(client, "/admin/", "/admin/users/bob/silence", {})
    assert "silenced" in await (await client.get("/admin/")).get_data(as_text=True)
    assert f'href="/statuses/{post.id}"' not in await (await client.get("/local")).get_data(as_text=True)
    assert (await client.get(f"/statuses/{post.id}")).status_code == 200  # still reachable, just not promoted
    await post_form(client, "/admin/", "/admin/users/bob/unsilence", {})
    assert f'href="/statuses/{post.id}"' in await (await client.get("/local")).get_data(as_text=True)

    reports = await (await client.get("/admin/reports")).get_data(as_text=True)
    assert f'action="/admin/reports/{report.id}/suspended"' in reports
    await post_form(client, "/admin/reports", f"/admin/reports/{report.id}/suspended", {})
    async with runtime.db.session() as session:
        assert (await session.get_one(Report, report.id)).action_taken == "suspended"
        assert (await session.get_one(Account, bob.account.id)).suspended_at is not None
    assert (await client.get(f"/statuses/{post.id}")).status_code == 404
    bad = await post_form(client, "/admin/reports", f"/admin/reports/{report.id}/vanish", {})
    assert bad.status_code == 422


async def test_domain_policies(client: QuartClient, runtime: Runtime, alice: LocalUser) -> None:
    async with runtime.db.transaction() as session:
        remote = Account(username="zed", domain="noisy.example", uri="https://noisy.example/users/zed",
                         inbox_url="https://noisy.example/users/zed/inbox")
        session.add(remote)
        await session.flush()
        session.add(Status(uri="https://noisy.example/notes/1", account_id=remote.id, local=False,
                           visibility="public", content="<p>noise</p>", published_at=remote.created_at))
    await sign_in(client)
    assert "noise" in await (await client.get("/federated")).get_data(as_text=True)
    saved = await post_form(client, "/admin/domains", "/admin/domains",
                            {"domain": "https://Noisy.example/", "severity": "silence", "public_comment": "spam"})
    assert saved.status_code == 302
    page = await (await client.get("/admin/domains")).get_data(as_text=True)
    assert "<td>noisy.example</td><td>silence</td>" in page
    assert "noise" not in await (await client.get("/federated")).get_data(as_text=True)
    bad = await post_form(client, "/admin/domains", "/admin/domains", {"domain": "not a domain", "severity": "silence"})
    assert bad.status_code == 422 and "enter a domain" in await bad.get_data(as_text=True)


async def test_failed_jobs_can_be_retried_or_dropped(client: QuartClient, runtime: Runtime,
                                                     alice: LocalUser) -> None:
    async with runtime.db.transaction() as session:
        for host in ("down.example", "gone.example"):
            session.add(Job(lane="delivery", kind="deliver", payload={}, state="failed", host=host, attempts=5,
                            max_attempts=5, last_error="connection refused", last_status=None))
    async with runtime.db.session() as session:
        retry_id, drop_id = sorted((await session.execute(select(Job.id))).scalars())
    await sign_in(client)
    page = await (await client.get("/admin/queue")).get_data(as_text=True)
    assert "down.example" in page and "connection refused" in page and "Images per person per 24 hours" in page
    assert page.count("Images per person per 24 hours") == 1 and "<title>Job queue · Admin · " in page
    assert "<table" not in page.split("<title>")[1].split("</title>")[0]
    assert (await post_form(client, "/admin/queue", f"/admin/queue/{retry_id}/retry", {})).status_code == 302
    assert (await post_form(client, "/admin/queue", f"/admin/queue/{drop_id}/drop", {})).status_code == 302
    async with runtime.db.session() as session:
        states = dict((await session.execute(select(Job.id, Job.state))).all())
    assert states == {retry_id: "queued"}
    again = await post_form(client, "/admin/queue", f"/admin/queue/{drop_id}/drop", {})
    assert again.status_code == 404


async def test_rejected_media_leaves_a_domains_posts_without_images(client: QuartClient, runtime: Runtime,
                                                                     alice: LocalUser) -> None:
    await sign_in(client)
    saved = await post_form(client, "/admin/domains", "/admin/domains",
                            {"domain": "pics.example", "severity": "noop", "reject_media": "1"})
    assert saved.status_code == 302
    assert "<td>pics.example</td><td>reject media</td>" in await (await client.get("/admin/domains")).get_data(
        as_text=True)
    refused = await post_form(client, "/admin/domains", "/admin/domains", {"domain": "x.example", "severity": "noop"})
    assert refused.status_code == 422
    image = RemoteMedia(url="https://cdn.pics.example/1.png", content_type="image/png", description="", blurhash=None,
                        width=10, height=10, focus=(0.0, 0.0), generated=False, recipe=None)
    async with runtime.db.transaction() as session:
        stored = []
        for host in ("pics.example", "ok.example"):
            author = Account(username="zed", domain=host, uri=f"https://{host}/users/zed",
                             inbox_url=f"https://{host}/inbox")
            session.add(author)
            await session.flush()
            note = RemoteNote(uri=f"https://{host}/notes/1", url=None, author_uri=author.uri, content="<p>pic</p>",
                              language=None, spoiler_text="", sensitive=False, visibility="public",
                              in_reply_to_uri=None, published=None, updated=None, media=[image])
            stored.append((await remote_statuses.store_remote_status(session, runtime.settings, author, note))[0])
        counts = [len(await statuses.attached_media(session, s.id)) for s in stored]
    assert counts == [0, 1]
