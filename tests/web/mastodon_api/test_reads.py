"""Account pages, single statuses and threads, and the user's own lists, against OpenAPI."""

from __future__ import annotations

import pytest
from quart.testing import QuartClient

from fediverse_ai.models import Block, Bookmark, Favourite, Follow, Notification, Status
from fediverse_ai.runtime import Runtime
from fediverse_ai.services.accounts import LocalUser, create_local_user
from tests.openapi import assert_entity, assert_response

from .test_timelines import add_status, token_for


@pytest.fixture
async def bob(runtime: Runtime) -> LocalUser:
    async with runtime.db.transaction() as session:
        return await create_local_user(session, runtime.settings, username="bob", email="bob@social.test",
                                       password="correct horse battery", display_name="Bob the Painter")


async def test_account_statuses_followers_following_relationships(client: QuartClient, runtime: Runtime,
                                                                  alice: LocalUser, bob: LocalUser) -> None:
    headers = await token_for(runtime, alice)
    first = await add_status(runtime, bob, "one")
    second = await add_status(runtime, bob, "two", with_media=True)
    async with runtime.db.transaction() as session:
        session.add(Follow(account_id=alice.account.id, target_account_id=bob.account.id, accepted=True))
        session.add(Follow(account_id=bob.account.id, target_account_id=alice.account.id, accepted=False))
    statuses = await (await client.get(f"/api/v1/accounts/{bob.account.id}/statuses", headers=headers)).get_json()
    assert_response("/api/v1/accounts/{id}/statuses", "get", 200, statuses)
    assert [s["id"] for s in statuses] == [str(second), str(first)]
    media_only = await client.get(f"/api/v1/accounts/{bob.account.id}/statuses?only_media=true")
    assert [s["id"] for s in await media_only.get_json()] == [str(second)]

    followers = await (await client.get(f"/api/v1/accounts/{bob.account.id}/followers")).get_json()
    assert_response("/api/v1/accounts/{id}/followers", "get", 200, followers)
    assert [a["acct"] for a in followers] == ["alice"]
    following = await (await client.get(f"/api/v1/accounts/{alice.account.id}/following")).get_json()
    assert [a["acct"] for a in following] == ["bob"]
    assert await (await client.get(f"/api/v1/accounts/{bob.account.id}/following")).get_json() == []  # not accepted

    rel = await (await client.get("/api/v1/accounts/relationships", headers=headers,
                                  query_string={"id[]": [str(bob.account.id)]})).get_json()
    assert_response("/api/v1/accounts/relationships", "get", 200, rel)
    assert rel[0]["following"] is True and rel[0]["requested_by"] is True and rel[0]["followed_by"] is False

    found = await (await client.get("/api/v1/accounts/search?q=bob", headers=headers)).get_json()
    assert [a["acct"] for a in found] == ["bob"]
    by_name = await (await client.get("/api/v1/accounts/search?q=Bob%20the", headers=headers)).get_json()
    assert [a["acct"] for a in by_name] == ["bob"]
    requests = await (await client.get("/api/v1/follow_requests", headers=headers)).get_json()
    assert [a["acct"] for a in requests] == ["bob"]


async def test_status_thread_and_reactions(client: QuartClient, runtime: Runtime, alice: LocalUser,
                                           bob: LocalUser) -> None:
    headers = await token_for(runtime, alice)
    root = await add_status(runtime, bob, "root")
    reply = await add_status(runtime, alice, "reply")
    hidden = await add_status(runtime, bob, "private", "private")
    async with runtime.db.transaction() as session:
        (await session.get(Status, reply)).in_reply_to_id = root  # type: ignore[union-attr]
        session.add(Favourite(account_id=alice.account.id, status_id=root))
        session.add(Bookmark(account_id=alice.account.id, status_id=root))
    one = await (await client.get(f"/api/v1/statuses/{root}", headers=headers)).get_json()
    assert_response("/api/v1/statuses/{id}", "get", 200, one)
    assert one["favourited"] is True and one["bookmarked"] is True
    thread = await (await client.get(f"/api/v1/statuses/{reply}/context")).get_json()
    assert_response("/api/v1/statuses/{id}/context", "get", 200, thread)
    assert [s["id"] for s in thread["ancestors"]] == [str(root)] and thread["descendants"] == []
    fans = await (await client.get(f"/api/v1/statuses/{root}/favourited_by")).get_json()
    assert [a["acct"] for a in fans] == ["alice"]
    assert (await client.get(f"/api/v1/statuses/{hidden}")).status_code == 404
    assert (await client.get(f"/api/v1/statuses/{hidden}", headers=headers)).status_code == 404  # not a follower
    marks = await (await client.get("/api/v1/bookmarks", headers=headers)).get_json()
    assert_response("/api/v1/bookmarks", "get", 200, marks)
    assert [s["id"] for s in marks] == [str(root)]
    favs = await (await client.get("/api/v1/favourites", headers=headers)).get_json()
    assert [s["id"] for s in favs] == [str(root)]


async def test_notifications_filters_and_blocks(client: QuartClient, runtime: Runtime, alice: LocalUser,
                                                bob: LocalUser) -> None:
    headers = await token_for(runtime, alice)
    post = await add_status(runtime, alice, "mine")
    async with runtime.db.transaction() as session:
        session.add(Notification(account_id=alice.account.id, from_account_id=bob.account.id, type="follow"))
        session.add(Notification(account_id=alice.account.id, from_account_id=bob.account.id, type="favourite",
                                 status_id=post))
        session.add(Notification(account_id=alice.account.id, type="generation.failed", status_id=post,
                                 detail="the model is not available"))
    everything = await (await client.get("/api/v1/notifications", headers=headers)).get_json()
    assert_response("/api/v1/notifications", "get", 200, everything)
    assert [n["type"] for n in everything] == ["mention", "favourite", "follow"]
    assert everything[0]["fediverse_ai"]["detail"] == "the model is not available"
    only = await client.get("/api/v1/notifications", headers=headers, query_string={"types[]": ["follow"]})
    assert [n["type"] for n in await only.get_json()] == ["follow"]
    excluded = await client.get("/api/v1/notifications", headers=headers,
                                query_string={"exclude_types[]": ["follow", "favourite"]})
    assert [n["type"] for n in await excluded.get_json()] == ["mention"]
    # The next page keeps the filters, each value of an array parameter included.
    assert "exclude_types%5B%5D=follow&exclude_types%5B%5D=favourite&max_id=" in excluded.headers["Link"]
    single = await client.get(f"/api/v1/notifications/{everything[2]['id']}", headers=headers)
    assert (await single.get_json())["account"]["acct"] == "bob"

    async with runtime.db.transaction() as session:
        session.add(Block(account_id=alice.account.id, target_account_id=bob.account.id))
    blocks = await (await client.get("/api/v1/blocks", headers=headers)).get_json()
    assert [a["acct"] for a in blocks] == ["bob"]
    prefs = await (await client.get("/api/v1/preferences", headers=headers)).get_json()
    assert_entity("Preferences", prefs)
    for path in ("/api/v1/lists", "/api/v2/filters", "/api/v1/trends/tags"):
        response = await client.get(path, headers=headers)
        assert response.status_code == 200 and await response.get_json() == []


async def test_markers_sync_between_apps(client: QuartClient, runtime: Runtime, alice: LocalUser) -> None:
    headers = await token_for(runtime, alice)
    assert await (await client.get("/api/v1/markers", headers=headers)).get_json() == {}
    saved = await client.post("/api/v1/markers", headers=headers, form={"home[last_read_id]": "123"})
    assert_response("/api/v1/markers", "post", 200, await saved.get_json())
    again = await client.post("/api/v1/markers", headers=headers, json={"home": {"last_read_id": "456"},
                                                                        "notifications": {"last_read_id": "9"}})
    body = await again.get_json()
    assert body["home"]["last_read_id"] == "456" and body["home"]["version"] == 1
    read = await (await client.get("/api/v1/markers", headers=headers,
                                   query_string={"timeline[]": ["home"]})).get_json()
    assert list(read) == ["home"] and read["home"]["last_read_id"] == "456"
    bad = await client.post("/api/v1/markers", headers=headers, form={"home[last_read_id]": "abc"})
    assert bad.status_code == 422 and (await bad.get_json())["field"] == "home[last_read_id]"
