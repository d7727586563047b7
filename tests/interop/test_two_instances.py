"""Two fediverse_ai instances, each its own `fediverse-ai run` process on loopback, federating
through their real HTTP inboxes: follow, Accept, post an image, like, boost, reply, edit,
delete, unfollow, each checked on both sides. The test acts through the services on each
instance's database (as the API or a page would) and polls the other side with a deadline.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from fediverse_ai.activitypub.fetch import resolve_account
from fediverse_ai.models import Account, Favourite, Follow, MediaAttachment, Notification, Status, StatusEdit
from fediverse_ai.runtime import Runtime
from fediverse_ai.services import follows, interactions, statuses

from ..factories import local, media
from .peers import wait_for
from .processes import ProcessInstance, instance_pair

pytestmark = pytest.mark.slow


@pytest.fixture
async def pair(database_url: str, sqlite_template: Path, tmp_path: Path
               ) -> AsyncIterator[tuple[ProcessInstance, ProcessInstance]]:
    """Instance A on the parametrized backend (SQLite or PostgreSQL), B on its own SQLite."""
    async with instance_pair(database_url, sqlite_template, tmp_path) as both:
        yield both


def rt(instance: ProcessInstance) -> Runtime:
    assert instance.runtime is not None
    return instance.runtime


async def one(instance: ProcessInstance, query: Any) -> Any:
    async with rt(instance).db.session() as session:
        return (await session.execute(query)).scalars().first()


async def eventually(what: str, instance: ProcessInstance, query: Any, check: Any = bool) -> Any:
    """Poll the instance's database until ``query``'s first value passes ``check``."""
    async def probe() -> Any:
        value = await one(instance, query)
        return (value,) if value is not None and check(value) else None
    try:
        return (await wait_for(what, probe, within=30))[0]
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- {instance.name} log ---\n{instance.log()}") from None


async def test_two_instances_federate_the_whole_story(pair: tuple[ProcessInstance, ProcessInstance]) -> None:
    a, b = pair
    async with rt(a).db.transaction() as session:
        ada = await local(session, a.settings, "ada")
    async with rt(b).db.transaction() as session:
        bob = await local(session, b.settings, "bob")

    # Follow: ada@A finds bob@B by WebFinger and follows; B auto-accepts; A records the Accept.
    bob_on_a = await resolve_account(rt(a), f"bob@{b.domain}")
    async with rt(a).db.transaction() as session:
        await follows.follow(session, a.settings, await session.get_one(Account, ada.id), bob_on_a)
    ada_on_b = await eventually("B to store ada's follow", b, select(Follow).where(
        Follow.target_account_id == bob.id))
    assert ada_on_b.accepted
    await eventually("A to see the Accept", a, select(Follow.accepted).where(Follow.account_id == ada.id))
    assert await one(a, select(Account.following_count).where(Account.id == ada.id)) == 1
    assert await one(b, select(Account.followers_count).where(Account.id == bob.id)) == 1

    # Post an image: bob's generated picture reaches ada's instance with alt text, label and recipe.
    async with rt(b).db.transaction() as session:
        bob_row = await session.get_one(Account, bob.id)
        image = await media(session, b.settings, bob_row, description="A red fox")
        post = await statuses.create_status(session, b.settings, bob_row, text="A fox #foxes",
                                            media_ids=[image.id], spoiler_text="fox")
    copy = await eventually("A to store bob's post", a, select(Status).where(Status.uri == post.uri))
    assert copy.spoiler_text == "fox" and copy.sensitive and "AI-generated image" in copy.content
    assert copy.recipe["prompt"] == "a red fox in snow" and copy.visibility == "public"
    attachment = await one(a, select(MediaAttachment).where(MediaAttachment.status_id == copy.id))
    assert attachment.remote_url == f"{b.base}/media/{image.file_path}" and attachment.generated
    assert attachment.description == "AI-generated image: A red fox" and (attachment.width, attachment.height) == (8, 6)
    async with aiohttp.ClientSession() as http, http.get(attachment.remote_url) as response:
        assert response.status == 200 and response.content_type == "image/png"
    cached = await eventually("A to cache the image", a, select(MediaAttachment.file_path).where(
        MediaAttachment.id == attachment.id))
    async with aiohttp.ClientSession() as http, http.get(f"{a.base}/media/{cached}") as response:
        assert response.status == 200 and await response.read() == (b.workdir / "media" / image.file_path).read_bytes()

    # Like and boost from A; B counts them and notifies bob.
    async with rt(a).db.transaction() as session:
        ada_row, theirs = await session.get_one(Account, ada.id), await session.get_one(Status, copy.id)
        await interactions.favourite(session, a.settings, ada_row, theirs)
        await interactions.reblog(session, a.settings, ada_row, theirs)
    await eventually("B to count the like and the boost", b, select(Status).where(Status.id == post.id),
                     lambda s: s.favourites_count == 1 and s.reblogs_count == 1)
    kinds = {n for n in (await _all(b, select(Notification.type).where(Notification.account_id == bob.id)))}
    assert {"follow", "favourite", "reblog"} <= kinds

    # Reply from A: it threads under bob's post on B and notifies bob.
    async with rt(a).db.transaction() as session:
        reply = await statuses.create_status(session, a.settings, await session.get_one(Account, ada.id),
                                             text=f"@bob@{b.domain} lovely", in_reply_to_id=copy.id)
    reply_on_b = await eventually("B to store the reply", b, select(Status).where(Status.uri == reply.uri))
    assert reply_on_b.in_reply_to_id == post.id
    assert await one(b, select(Status.replies_count).where(Status.id == post.id)) == 1
    await eventually("bob's mention notification", b, select(Notification.id).where(
        Notification.type == "mention", Notification.status_id == reply_on_b.id))

    # Edit on B: A shows the new text and keeps the old one in the history.
    async with rt(b).db.transaction() as session:
        await statuses.edit_status(session, b.settings, await session.get_one(Account, bob.id), post.id,
                                   text="A fox in snow #foxes", spoiler_text="fox")
    await eventually("A to apply the edit", a, select(Status).where(Status.id == copy.id),
                     lambda s: "in snow" in s.content and s.edited_at is not None)
    assert await one(a, select(func.count()).select_from(StatusEdit).where(StatusEdit.status_id == copy.id)) == 1

    # Delete on B: A turns its copy into a tombstone.
    async with rt(b).db.transaction() as session:
        await statuses.delete_status(session, b.settings, await session.get_one(Account, bob.id), post.id)
    await eventually("A to delete its copy", a, select(Status.deleted_at).where(Status.id == copy.id))

    # Unfollow from A: B drops the follower.
    async with rt(a).db.transaction() as session:
        await follows.unfollow(session, a.settings, await session.get_one(Account, ada.id),
                               await session.get_one(Account, bob_on_a.id))
    await eventually("B to drop the follower", b, select(Account.followers_count).where(Account.id == bob.id),
                     lambda n: n == 0)
    assert await one(b, select(Follow.id)) is None
    assert await one(a, select(Favourite.id)) is not None  # the like stays on A's side record
    assert await one(a, select(Account.following_count).where(Account.id == ada.id)) == 0


async def _all(instance: ProcessInstance, query: Any) -> list[Any]:
    async with rt(instance).db.session() as session:
        return list((await session.execute(query)).scalars())
