"""The remote account cache: one row per actor URI, refreshed in place; a re-created actor
takes over its username@domain from the old row."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from fediverse_ai.activitypub.actors import RemoteActor
from fediverse_ai.crypto import generate_rsa_keypair
from fediverse_ai.errors import Forbidden
from fediverse_ai.models import Account
from fediverse_ai.runtime import Runtime
from fediverse_ai.services.accounts import create_local_user
from fediverse_ai.services.remote_accounts import upsert_remote_account

ALICE = RemoteActor(uri="https://remote.example/users/alice", username="alice", domain="remote.example",
                    actor_type="Person", inbox_url="https://remote.example/users/alice/inbox",
                    key_id="https://remote.example/users/alice#main-key", public_key_pem=generate_rsa_keypair()[1],
                    shared_inbox_url="https://remote.example/inbox", display_name="Alice")


async def test_upsert_inserts_then_refreshes_in_place(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        first = await upsert_remote_account(session, ALICE)
    async with runtime.db.transaction() as session:
        second = await upsert_remote_account(session, dataclasses.replace(ALICE, display_name="Alice B."))
    assert second.id == first.id and second.display_name == "Alice B." and second.acct == "alice@remote.example"


async def test_a_recreated_actor_takes_over_the_name(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        old = await upsert_remote_account(session, ALICE)
    async with runtime.db.transaction() as session:
        new = await upsert_remote_account(session, dataclasses.replace(ALICE, uri="https://remote.example/u/alice2"))
    async with runtime.db.session() as session:
        renamed = await session.get(Account, old.id)
        assert renamed.gone_at is not None and renamed.username != "alice"
        live = (await session.execute(select(Account).where(Account.username == "alice"))).scalar_one()
    assert live.id == new.id


async def test_a_remote_document_cannot_overwrite_a_local_account(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        local = await create_local_user(session, runtime.settings, username="painter", email="p@social.test",
                                        password="long enough")
    forged = dataclasses.replace(ALICE, uri=local.account.uri, username="painter", domain="social.test")
    with pytest.raises(Forbidden):
        async with runtime.db.transaction() as session:
            await upsert_remote_account(session, forged)
