"""The inbox lane in batches: many stored activities processed in one transaction, each
failing alone (its reason on its InboxItem and its job) while the others are stored; the ones
that fetch run alone; group commit of accepted activities."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sqlalchemy import event, func, select

from fediverse_ai.config import Settings
from fediverse_ai.jobs import Worker, enqueue
from fediverse_ai.jobs.registry import load_handlers
from fediverse_ai.models import Account, InboxItem, Job, MediaAttachment, Status, StatusTag
from fediverse_ai.runtime import Runtime
from fediverse_ai.services import follows
from fediverse_ai.services.inbox_items import store_incoming

from ..factories import local, remote

load_handlers()


def create(author: Account, n: int, **note: Any) -> dict[str, Any]:
    note_id = f"{author.uri}/statuses/{n}"
    return {"id": f"{note_id}/activity", "type": "Create", "actor": author.uri,
            "object": {"id": note_id, "type": "Note", "attributedTo": author.uri, "content": f"<p>post {n} #cats</p>",
                       "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [author.followers_url],
                       "tag": [{"type": "Hashtag", "name": "#cats"}],
                       "attachment": [{"type": "Document", "mediaType": "image/png", "url": f"{note_id}/a.png",
                                       "name": "a cat"}]} | note}


async def store(runtime: Runtime, activities: list[dict[str, Any]]) -> list[int]:
    """Store the activities as the web inbox does, each with its inbox.process job."""
    ids = []
    async with runtime.db.transaction() as session:
        for activity in activities:
            item = InboxItem(activity_id=activity["id"], actor_uri=activity["actor"], body=json.dumps(activity))
            session.add(item)
            await session.flush()
            await enqueue(session, "inbox.process", {"inbox_item_id": item.id})
            ids.append(item.id)
    return ids


async def outcomes(runtime: Runtime, ids: list[int]) -> list[tuple[str, str | None, str]]:
    """(item state, item error, job state) per stored activity, in order."""
    async with runtime.db.session() as session:
        items = {i.id: i for i in (await session.execute(select(InboxItem).where(InboxItem.id.in_(ids)))).scalars()}
        jobs = {j.payload["inbox_item_id"]: j for j in (await session.execute(select(Job).where(
            Job.kind == "inbox.process"))).scalars()}
    return [(items[i].state, items[i].error, jobs[i].state) for i in ids]


async def followed(runtime: Runtime, settings: Settings, *names: str) -> list[Account]:
    async with runtime.db.transaction() as session:
        ada = await local(session, settings, "ada")
        authors = [await remote(session, name) for name in names]
        for author in authors:
            await follows.receive_accept(session, await follows.follow(session, settings, ada, author))
    return authors


async def test_a_bad_activity_fails_alone_and_the_rest_of_its_batch_is_stored(runtime: Runtime,
                                                                             settings: Settings) -> None:
    zed, amy = await followed(runtime, settings, "zed", "amy")
    forged = create(zed, 2) | {"actor": amy.uri, "id": f"{amy.uri}/forged"}  # amy speaks for zed's post
    like_of_nothing = {"id": f"{zed.uri}/likes/1", "type": "Like", "actor": zed.uri,
                       "object": "https://social.test/statuses/404"}
    bad_note = create(amy, 3)
    bad_note["object"]["attributedTo"] = {"no": "id"}
    ids = await store(runtime, [create(zed, 1), forged, create(amy, 1), like_of_nothing, bad_note, create(zed, 4)])

    # When the inbox lane takes all six in one batch
    assert await Worker(runtime, "inbox", 8).run_once() == 6

    # Then the good posts are stored, and each bad activity fails alone with its reason
    [ok1, bad, ok2, ignored, malformed, ok3] = await outcomes(runtime, ids)
    assert ok1 == ok2 == ok3 == ("done", None, "done")
    assert bad[0] == "failed" and "cannot speak for" in (bad[1] or "") and bad[2] == "failed"
    assert ignored[0] == "ignored" and "unknown post" in (ignored[1] or "") and ignored[2] == "done"
    assert malformed[0] == "failed" and malformed[2] == "failed"
    async with runtime.db.session() as session:
        uris = set((await session.execute(select(Status.uri))).scalars())
        assert uris == {f"{zed.uri}/statuses/1", f"{amy.uri}/statuses/1", f"{zed.uri}/statuses/4"}
        assert await session.scalar(select(func.count()).select_from(MediaAttachment)) == 3
        assert await session.scalar(select(func.count()).select_from(StatusTag)) == 3
        assert await session.scalar(select(func.count()).select_from(Job).where(Job.kind == "media.cache_remote")) == 3
        assert (await session.get_one(Account, zed.id)).statuses_count == 2
        [failed_job] = (await session.execute(select(Job).where(Job.payload["inbox_item_id"].as_integer() == ids[1])
                                              )).scalars()
        assert "cannot speak for" in (failed_job.last_error or "")


async def test_a_failing_activity_rolls_back_only_its_own_writes(runtime: Runtime, settings: Settings) -> None:
    [zed] = await followed(runtime, settings, "zed")
    # A Follow of a local account that does not exist fails after the batch stored a post
    # before it; an Update of a post we do not have is ignored; the post after them is stored.
    stray_follow = {"id": f"{zed.uri}/follows/1", "type": "Follow", "actor": zed.uri,
                    "object": "https://social.test/users/nobody"}
    update = {"id": f"{zed.uri}/statuses/9#update", "type": "Update", "actor": zed.uri,
              "object": create(zed, 9)["object"]}
    ids = await store(runtime, [create(zed, 1), stray_follow, update, create(zed, 2)])
    assert await Worker(runtime, "inbox", 8).run_once() == 4
    states = [state for state, _, _ in await outcomes(runtime, ids)]
    assert states == ["done", "ignored", "ignored", "done"]
    async with runtime.db.session() as session:
        assert (await session.get_one(Account, zed.id)).statuses_count == 2


async def test_a_batch_takes_its_creates_in_order(runtime: Runtime, settings: Settings) -> None:
    [zed] = await followed(runtime, settings, "zed")
    first = create(zed, 1)
    again = first | {"id": f"{zed.uri}/statuses/1/activity-again"}
    reply = create(zed, 2)
    reply["object"]["inReplyTo"] = first["object"]["id"]
    ids = await store(runtime, [first, again, reply])
    assert await Worker(runtime, "inbox", 8).run_once() == 3
    assert [(s, e) for s, e, _ in await outcomes(runtime, ids)] == [
        ("done", None), ("ignored", "already stored"), ("done", None)]
    async with runtime.db.session() as session:
        parent = await session.scalar(select(Status).where(Status.uri == first["object"]["id"]))
        child = await session.scalar(select(Status).where(Status.uri == reply["object"]["id"]))
        assert child.in_reply_to_id == parent.id and parent.replies_count == 1
        # The reply's parent is held, so no thread fetch was queued.
        assert await session.scalar(select(func.count()).select_from(Job).where(Job.kind == "fetch.status")) == 0


async def test_an_activity_that_fetches_runs_on_its_own_in_the_same_step(runtime: Runtime, settings: Settings) -> None:
    [zed] = await followed(runtime, settings, "zed")
    # A boost of a post on a host that does not answer: it fetches, so it runs on its own, and
    # its network failure is retried while the Create of its batch is done.
    announce = {"id": f"{zed.uri}/boosts/1", "type": "Announce", "actor": zed.uri,
                "object": "http://127.0.0.1:9/statuses/1"}
    ids = await store(runtime, [announce, create(zed, 1)])
    assert await Worker(runtime, "inbox", 8).run_once() == 2
    [boost, post] = await outcomes(runtime, ids)
    assert post == ("done", None, "done")
    assert boost[0] in ("queued", "failed") and boost[1]


async def test_concurrent_accepts_share_a_commit_and_repeats_are_stored_once(runtime: Runtime,
                                                                            settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        zed = await remote(session, "zed")
    commits: list[object] = []
    event.listen(runtime.db.engine.sync_engine, "commit", commits.append)
    activities = [create(zed, n % 5) for n in range(8)]  # three repeats of earlier ones
    stored = await asyncio.gather(*(store_incoming(runtime, activity_id=a["id"], actor_uri=zed.uri,
                                                   key_id=zed.key_id, body=json.dumps(a)) for a in activities))
    assert sum(1 for s in stored if s is not None) == 5 and stored[5:] == [None, None, None]
    assert len(commits) == 1  # the first request opened a transaction, the others joined it
    again = await store_incoming(runtime, activity_id=activities[0]["id"], actor_uri=zed.uri, key_id=zed.key_id,
                                 body=json.dumps(activities[0]))
    assert again is None
    async with runtime.db.session() as session:
        jobs = (await session.execute(select(Job).where(Job.kind == "inbox.process"))).scalars().all()
        assert sorted(j.payload["inbox_item_id"] for j in jobs) == sorted(s for s in stored if s is not None)
