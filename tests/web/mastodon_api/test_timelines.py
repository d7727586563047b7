"""Timelines and status entities: who sees what, pagination by id with Link headers, and the
entity shape checked against the OpenAPI description."""

from __future__ import annotations

import pytest
from quart.testing import QuartClient

from fediverse_ai import urls
from fediverse_ai.ids import new_id
from fediverse_ai.models import Follow, MediaAttachment, Mention, Status
from fediverse_ai.runtime import Runtime
from fediverse_ai.services import oauth
from fediverse_ai.services.accounts import LocalUser, create_local_user
from fediverse_ai.timeutil import utcnow
from tests.openapi import assert_response


async def token_for(runtime: Runtime, user: LocalUser, scopes: str = "read write follow") -> dict[str, str]:
    async with runtime.db.transaction() as session:
        app = await oauth.register_app(session, name="tests", redirect_uris="urn:ietf:wg:oauth:2.0:oob",
                                       scopes=scopes)
        issued = await oauth.password_grant(session, app.app, username=user.account.username,
                                            password="correct horse battery", scope=scopes)
    return {"Authorization": f"Bearer {issued.access_token}"}


async def add_status(runtime: Runtime, author: LocalUser, text: str, visibility: str = "public",
                     mention: LocalUser | None = None, with_media: bool = False) -> int:
    async with runtime.db.transaction() as session:
        status_id = new_id()
        session.add(Status(id=status_id, uri=urls.status(runtime.settings, author.account.username, status_id),
                           account_id=author.account.id, content=f"<p>{text}</p>", source_text=text,
                           visibility=visibility, published_at=utcnow()))
        await session.flush()
        if mention:
            session.add(Mention(status_id=status_id, account_id=mention.account.id))
        if with_media:
            session.add(MediaAttachment(account_id=author.account.id, status_id=status_id, file_path="a/b.png",
                                        width=64, height=64, blurhash="LEHV6nWB2yk8pyo0adR*.7kCMdnj",
                                        description="A generated image", generated=True,
                                        recipe={"prompt": "a lighthouse", "seed": 7}))
    return status_id


@pytest.fixture
async def bob(runtime: Runtime) -> LocalUser:
    async with runtime.db.transaction() as session:
        return await create_local_user(session, runtime.settings, username="bob", email="bob@social.test",
                                       password="correct horse battery")


async def test_home_shows_own_and_followed_posts_by_visibility(client: QuartClient, runtime: Runtime,
                                                               alice: LocalUser, bob: LocalUser) -> None:
    headers = await token_for(runtime, alice)
    empty = await client.get("/api/v1/timelines/home", headers=headers)
    assert await empty.get_data() == b"[]" and "Link" not in empty.headers
    mine = await add_status(runtime, alice, "mine")
    before_follow = await add_status(runtime, bob, "bob public")
    followers_only = await add_status(runtime, bob, "bob private", "private")
    direct_to_alice = await add_status(runtime, bob, "hi alice", "direct", mention=alice)
    async with runtime.db.transaction() as session:
        session.add(Follow(account_id=alice.account.id, target_account_id=bob.account.id, accepted=True))
    with_media = await add_status(runtime, bob, "image", with_media=True)

    response = await client.get("/api/v1/timelines/home", headers=headers)
    assert response.status_code == 200
    body = await response.get_json()
    assert_response("/api/v1/timelines/home", "get", 200, body)
    assert [s["id"] for s in body] == [str(i) for i in (with_media, followers_only, before_follow, mine)]
    assert str(direct_to_alice) not in {s["id"] for s in body}  # direct messages live elsewhere
    image = body[0]["media_attachments"][0]
    assert image["url"] == "https://social.test/media/a/b.png" and image["meta"]["original"]["width"] == 64
    assert image["fediverse_ai"]["recipe"]["prompt"] == "a lighthouse"
    assert body[0]["favourited"] is False and body[0]["account"]["acct"] == "bob"

    page = await client.get("/api/v1/timelines/home", headers=headers, query_string={"limit": 2})
    ids = [s["id"] for s in await page.get_json()]
    assert ids == [str(with_media), str(followers_only)]
    link = page.headers["Link"]
    assert f"max_id={followers_only}" in link and f"min_id={with_media}" in link
    older = await client.get("/api/v1/timelines/home", headers=headers,
                             query_string={"limit": 2, "max_id": followers_only})
    assert [s["id"] for s in await older.get_json()] == [str(before_follow), str(mine)]
    newer = await client.get("/api/v1/timelines/home", headers=headers, query_string={"limit": 2, "min_id": mine})
    assert [s["id"] for s in await newer.get_json()] == [str(followers_only), str(before_follow)]


async def test_public_timeline_for_anonymous_and_signed_in(client: QuartClient, runtime: Runtime,
                                                           alice: LocalUser, bob: LocalUser) -> None:
    public = await add_status(runtime, bob, "public")
    await add_status(runtime, bob, "unlisted", "unlisted")
    await add_status(runtime, bob, "private", "private")
    anonymous = await (await client.get("/api/v1/timelines/public")).get_json()
    assert [s["id"] for s in anonymous] == [str(public)]
    assert "favourited" not in anonymous[0]
    local = await (await client.get("/api/v1/timelines/public?local=true")).get_json()
    assert [s["id"] for s in local] == [str(public)]
    remote = await (await client.get("/api/v1/timelines/public?remote=true")).get_json()
    assert remote == []


async def test_home_needs_a_user_token(client: QuartClient) -> None:
    assert (await client.get("/api/v1/timelines/home")).status_code == 401
