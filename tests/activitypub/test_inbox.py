"""Processing stored inbox activities, with payloads captured from Mastodon (via bovine): each
activity type ends in the right service call, and the InboxItem records what happened."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from fediverse_ai.activitypub import inbox
from fediverse_ai.config import Settings
from fediverse_ai.jobs import Worker
from fediverse_ai.jobs.registry import load_handlers
from fediverse_ai.models import Account, Favourite, Follow, InboxItem, Job, Notification, Report, Status, StatusEdit
from fediverse_ai.runtime import Runtime
from fediverse_ai.services import follows, statuses
from fediverse_ai.timeutil import utcnow

from ..factories import activities, fixture, local, receive, remote

load_handlers()


async def test_follow_is_accepted_and_undo_ends_it(runtime: Runtime, settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        ada = await local(session, settings, "ada")
        john = await remote(session, "JohnMastodon", "example.com")
    follow = fixture("mastodon/mastodon_follow_1.json") | {"object": ada.uri}
    item = await receive(runtime, follow)
    assert (item.state, item.error) == ("done", None)
    async with runtime.db.session() as session:
        row = await session.scalar(select(Follow))
        assert row.accepted and row.uri == follow["id"] and row.account_id == john.id
        [accept] = await activities(session)
    assert accept["activity"]["type"] == "Accept" and accept["activity"]["object"]["id"] == follow["id"]
    undo = {"id": f"{follow['id']}#undo", "type": "Undo", "actor": john.uri, "object": follow}
    assert (await receive(runtime, undo)).state == "done"
    async with runtime.db.session() as session:
        assert await session.scalar(select(Follow)) is None
        assert (await session.get_one(Account, ada.id)).followers_count == 0


async def test_accept_by_actor_and_object_when_the_follow_id_is_unknown(runtime: Runtime, settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        ada, zed = await local(session, settings, "ada"), await remote(session, "zed")
        await follows.follow(session, settings, ada, zed)
    accept = {"id": "https://remote.example/accepts/1", "type": "Accept", "actor": zed.uri,
              "object": {"id": "https://remote.example/some-other-id", "type": "Follow", "actor": ada.uri,
                         "object": zed.uri}}
    assert (await receive(runtime, accept)).state == "done"
    async with runtime.db.session() as session:
        assert (await session.scalar(select(Follow))).accepted
    stray = accept | {"id": "https://remote.example/accepts/2", "object": "https://remote.example/nothing"}
    item = await receive(runtime, stray)
    assert item.state == "ignored" and "no follow" in item.error


async def test_create_update_delete_of_a_followed_account(runtime: Runtime, settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        ada = await local(session, settings, "ada")
        john = await remote(session, "john", "mastodon", uri="https://mastodon/users/john")
        row = await follows.follow(session, settings, ada, john)
        await follows.receive_accept(session, row)
    assert (await receive(runtime, fixture("mastodon/mastodon_flow_1_create_note.json"))).state == "done"
    async with runtime.db.session() as session:
        post = await session.scalar(select(Status).where(Status.account_id == john.id))
        assert post.content == "<p>Creating Test Data!!! :)</p>" and post.visibility == "public" and not post.local
    again = await receive(runtime, fixture("mastodon/mastodon_flow_1_create_note.json") | {"id": "https://mastodon/x"})
    assert again.state == "ignored"
    assert (await receive(runtime, fixture("mastodon/mastodon_flow_1_update_note.json"))).state == "done"
    async with runtime.db.session() as session:
        post = await session.get_one(Status, post.id)
        assert "By updating it" in post.content and post.edited_at is not None
        assert len((await session.execute(select(StatusEdit))).all()) == 1
    delete = {"id": "https://mastodon/users/john/statuses/9876#delete", "type": "Delete", "actor": john.uri,
              "object": {"id": post.uri, "type": "Tombstone"}}
    assert (await receive(runtime, delete)).state == "done"
    async with runtime.db.session() as session:
        assert (await session.get_one(Status, post.id)).deleted_at is not None


async def test_posts_nobody_here_wants_are_ignored(runtime: Runtime, settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        await remote(session, "remote-user", "mastodon", uri="https://mastodon/users/remote-user")
    item = await receive(runtime, fixture("mastodon/mastodon_flow_2_create_note.json"))
    assert item.state == "ignored" and "follows" in item.error


async def test_someone_elses_post_is_refused(runtime: Runtime, settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        ada = await local(session, settings, "ada")
        await remote(session, "mallory", "mastodon", uri="https://mastodon/users/mallory")
        john = await remote(session, "john", "mastodon", uri="https://mastodon/users/john")
        await follows.receive_accept(session, await follows.follow(session, settings, ada, john))
    forged = fixture("mastodon/mastodon_flow_1_create_note.json") | {"actor": "https://mastodon/users/mallory"}
    item = await receive(runtime, forged)
    assert item.state == "failed" and "cannot speak for" in item.error
    async with runtime.db.session() as session:
        assert await session.scalar(select(Status.id)) is None
        [job] = (await session.execute(select(Job).where(Job.kind == "inbox.process"))).scalars()
        assert job.state == "failed"


async def test_reply_mentioning_us_notifies_and_fetches_its_unknown_parent(runtime: Runtime,
                                                                          settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        ada = await local(session, settings, "ada")
        zed = await remote(session, "zed")
    note = {"id": "https://remote.example/users/zed/statuses/2", "type": "Note", "attributedTo": zed.uri,
            "to": [ada.uri], "cc": [], "content": "<p>@ada hi</p>",
            "inReplyTo": "https://remote.example/users/zed/statuses/1",
            "tag": [{"type": "Mention", "href": ada.uri, "name": "@ada@social.test"}]}
    create = {"id": f"{note['id']}/activity", "type": "Create", "actor": zed.uri, "object": note}
    assert (await receive(runtime, create)).state == "done"
    async with runtime.db.session() as session:
        post = await session.scalar(select(Status))
        assert post.visibility == "direct" and post.in_reply_to_uri == note["inReplyTo"]
        [n] = (await session.execute(select(Notification))).scalars()
        assert (n.type, n.account_id, n.status_id) == ("mention", ada.id, post.id)
        [fetch] = (await session.execute(select(Job).where(Job.kind == "fetch.status"))).scalars()
    assert fetch.payload == {"uri": note["inReplyTo"], "depth": 1} and fetch.host == "remote.example"


async def test_like_announce_and_their_undo(runtime: Runtime, settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        ada = await local(session, settings, "ada")
        post = await statuses.create_status(session, settings, ada, text="fox")
        phoenix = await remote(session, "phoenix", "other_domain", uri="https://other_domain/users/phoenix")
        first = await remote(session, "first", "first_domain", uri="https://first_domain/users/first")
    like = fixture("mastodon/mastodon_like_1.json") | {"object": post.uri}
    assert (await receive(runtime, like)).state == "done"
    announce = fixture("mastodon/mastodon_announce_1.json") | {"object": post.uri}
    assert (await receive(runtime, announce)).state == "done"
    async with runtime.db.session() as session:
        stored = await session.get_one(Status, post.id)
        assert (stored.favourites_count, stored.reblogs_count) == (1, 1)
        boost = await session.scalar(select(Status).where(Status.reblog_of_id == post.id))
        assert boost.account_id == first.id and boost.uri == announce["id"]
    undo_like = fixture("mastodon/mastodon_like_1_undo.json")
    undo_like["object"]["object"] = post.uri
    assert (await receive(runtime, undo_like)).state == "done"
    # The captured Undo embeds an Announce by another actor: nobody may undo someone else's boost.
    undo_announce = fixture("mastodon/mastodon_announce_1_undo.json")
    refused = await receive(runtime, undo_announce)
    assert refused.state == "failed" and "cannot undo" in refused.error
    undo_announce["id"] += "-2"
    undo_announce["object"]["actor"] = first.uri
    assert (await receive(runtime, undo_announce)).state == "done"
    async with runtime.db.session() as session:
        stored = await session.get_one(Status, post.id)
        assert (stored.favourites_count, stored.reblogs_count) == (0, 0)
        assert await session.scalar(select(Favourite.id)) is None
        assert phoenix.id


async def test_delete_of_an_actor_removes_the_account(runtime: Runtime, settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        ada = await local(session, settings, "ada")
        alice = await remote(session, "Alice", "mastodon", uri="https://mastodon/users/Alice")
        await follows.receive_follow(session, settings, alice, ada, "https://mastodon/follows/1")
    assert (await receive(runtime, fixture("mastodon/mastodon_delete_actor_1.json"))).state == "done"
    async with runtime.db.session() as session:
        assert await session.get(Account, alice.id) is None
        assert (await session.get_one(Account, ada.id)).followers_count == 0


async def test_block_flag_and_unknown_types(runtime: Runtime, settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        ada = await local(session, settings, "ada")
        zed = await remote(session, "zed")
        service = await remote(session, "remote.example", uri="https://remote.example/actor")
        await follows.follow(session, settings, ada, zed)
    block = {"id": "https://remote.example/blocks/1", "type": "Block", "actor": zed.uri, "object": ada.uri}
    assert (await receive(runtime, block)).state == "done"
    flag = {"id": "https://remote.example/flags/1", "type": "Flag", "actor": service.uri,
            "object": [ada.uri], "content": "please look"}
    assert (await receive(runtime, flag)).state == "done"
    item = await receive(runtime, {"id": "https://remote.example/x/1", "type": "Dance", "actor": zed.uri})
    assert item.state == "ignored" and "Dance" in item.error
    async with runtime.db.session() as session:
        assert await session.scalar(select(Follow.id)) is None
        report = await session.scalar(select(Report))
        assert (report.account_id, report.target_account_id, report.comment) == (service.id, ada.id, "please look")


async def test_a_crash_is_retried_and_the_last_attempt_records_it(runtime: Runtime, settings: Settings,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    async with runtime.db.transaction() as session:
        zed = await remote(session, "zed")

    async def crash(ctx: inbox.Ctx) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(inbox, "dispatch", crash)
    item = await receive(runtime, {"id": "https://remote.example/x/2", "type": "Like", "actor": zed.uri})
    assert item.state == "queued"  # the job will try again
    async with runtime.db.transaction() as session:
        await session.execute(update(Job).values(attempts=Job.max_attempts - 1, next_attempt_at=utcnow()))
    await Worker(runtime, "inbox").run_once()
    async with runtime.db.session() as session:
        item = await session.get_one(InboxItem, item.id)
    assert item.state == "failed" and item.error == "RuntimeError: a bug"


async def test_a_message_addressed_to_us_without_a_mention_tag_is_kept(runtime: Runtime, settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        ada = await local(session, settings, "ada")
        zed = await remote(session, "zed")
    note = {"id": "https://remote.example/users/zed/statuses/9", "type": "Note", "attributedTo": zed.uri,
            "to": [ada.uri], "cc": [], "content": "<p>psst</p>"}
    create = {"id": f"{note['id']}/activity", "type": "Create", "actor": zed.uri, "object": note}
    assert (await receive(runtime, create)).state == "done"
    async with runtime.db.session() as session:
        assert (await session.scalar(select(Status))).visibility == "direct"


async def test_mitra_follow_with_an_integrity_proof_is_accepted(runtime: Runtime, settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        ada = await local(session, settings, "ada")
        await remote(session, "silverpill", "mitra.social")
    follow = fixture("mitra.social/mitra_follow.json") | {"object": ada.uri, "to": [ada.uri]}
    assert (await receive(runtime, follow)).state == "done"
    async with runtime.db.session() as session:
        assert (await session.scalar(select(Follow))).accepted
        [accept] = await activities(session)
    assert accept["activity"]["object"]["id"] == follow["id"]
