"""Reports (ours forwarded as Flag, theirs as Report for staff), moves, and profile updates."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fediverse_ai.config import Settings
from fediverse_ai.errors import ValidationError
from fediverse_ai.models import Account, Follow, Notification, Report
from fediverse_ai.runtime import Runtime
from fediverse_ai.services import follows, moderation, profiles, statuses

from ..factories import activities, local, remote


async def test_reports_reach_staff_and_forwarded_ones_federate(runtime: Runtime, settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        admin = await local(session, settings, "boss", role="admin")
        ada, zed = await local(session, settings, "ada"), await remote(session, "zed")
        mastodon = await remote(session, "mastodon.internal", uri="https://remote.example/actor")
        post = await statuses.create_status(session, settings, ada, text="spam?")
        incoming = await moderation.receive_flag(session, mastodon, ada, [post], "spam", "https://remote.example/f/1")
        assert (await moderation.receive_flag(session, mastodon, ada, [post], "x", "https://remote.example/f/1")
                ).id == incoming.id
        ours = await moderation.report(session, settings, ada, zed, comment="rude", forward=True)
        flag = (await activities(session))[-1]
    assert incoming.status_ids == [post.id] and incoming.comment == "spam"
    assert flag["activity"]["type"] == "Flag" and flag["activity"]["object"] == [zed.uri]
    assert flag["activity"]["actor"].endswith("/actor") and flag["activity"]["content"] == "rude"
    async with runtime.db.session() as session:
        reports = (await session.execute(select(Notification.report_id).where(
            Notification.account_id == admin.id, Notification.type == "admin.report"))).scalars().all()
        assert sorted(reports) == sorted([incoming.id, ours.id])
        assert (await session.get_one(Report, ours.id)).forward


async def test_move_repoints_local_followers(runtime: Runtime, settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        ada = await local(session, settings, "ada")
        old, new = await remote(session, "zed"), await remote(session, "zed2", "new.example")
        row = await follows.follow(session, settings, ada, old)
        await follows.receive_accept(session, row)
        with pytest.raises(ValidationError):
            await moderation.receive_move(session, settings, old, new)
        new.also_known_as = [old.uri]
        assert await moderation.receive_move(session, settings, old, new) == 1
        targets = (await session.execute(select(Follow.target_account_id))).scalars().all()
        kinds = [a["activity"]["type"] for a in await activities(session)]
    assert targets == [new.id] and kinds == ["Follow", "Undo", "Follow"]
    async with runtime.db.session() as session:
        assert (await session.get_one(Account, old.id)).moved_to_id == new.id


async def test_profile_update_federates_the_new_actor(runtime: Runtime, settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        ada = await local(session, settings, "ada")
        await profiles.update_profile(session, settings, ada, display_name="Ada L.", note="I draw foxes",
                                      fields=[{"name": "site", "value": "https://ada.example"}], bot=True)
        with pytest.raises(ValidationError) as err:
            await profiles.update_profile(session, settings, ada, display_name="x" * 31)
        assert err.value.field == "display_name"
        [sent] = await activities(session)
    update = sent["activity"]
    assert update["type"] == "Update" and update["object"]["type"] == "Service"
    assert update["object"]["name"] == "Ada L." and "I draw foxes" in update["object"]["summary"]
    assert update["object"]["attachment"][0]["name"] == "site" and sent["followers"] is True
