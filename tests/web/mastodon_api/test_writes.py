"""Writing through the client API: every action lands through the services, visible to the
next read, with errors naming the field."""

from __future__ import annotations

from quart.testing import QuartClient
from werkzeug.datastructures import MultiDict

from fediverse_ai.runtime import Runtime
from fediverse_ai.services.accounts import LocalUser
from tests.openapi import assert_response

from .test_reads import bob  # noqa: F401  (fixture)
from .test_timelines import token_for


async def test_post_edit_react_and_delete(client: QuartClient, runtime: Runtime, alice: LocalUser,
                                          bob: LocalUser) -> None:  # noqa: F811
    me = await token_for(runtime, alice)
    other = await token_for(runtime, bob)
    created = await client.post("/api/v1/statuses", headers=me | {"Idempotency-Key": "k1"},
                                form={"status": "Hello #fediverse @bob", "visibility": "public",
                                      "spoiler_text": ""})
    assert created.status_code == 200, await created.get_data(as_text=True)
    status = await created.get_json()
    assert_response("/api/v1/statuses", "post", 200, status)
    assert status["mentions"][0]["acct"] == "bob" and status["tags"][0]["name"] == "fediverse"
    assert status["application"]["name"] == "tests"
    again = await client.post("/api/v1/statuses", headers=me | {"Idempotency-Key": "k1"}, form={"status": "x"})
    assert (await again.get_json())["id"] == status["id"]  # a retried request gives the same post

    sid = status["id"]
    fav = await client.post(f"/api/v1/statuses/{sid}/favourite", headers=other)
    assert (await fav.get_json())["favourited"] is True and (await fav.get_json())["favourites_count"] == 1
    boost = await (await client.post(f"/api/v1/statuses/{sid}/reblog", headers=other)).get_json()
    assert boost["reblog"]["id"] == sid and boost["id"] != sid
    marked = await client.post(f"/api/v1/statuses/{sid}/bookmark", headers=other)
    assert (await marked.get_json())["bookmarked"] is True
    notes = await (await client.get("/api/v1/notifications", headers=me)).get_json()
    assert {n["type"] for n in notes} >= {"favourite", "reblog"}
    unfav = await client.post(f"/api/v1/statuses/{sid}/unfavourite", headers=other)
    assert (await unfav.get_json())["favourites_count"] == 0
    unboost = await client.post(f"/api/v1/statuses/{sid}/unreblog", headers=other)
    assert (await unboost.get_json())["reblogged"] is False

    edited = await client.put(f"/api/v1/statuses/{sid}", headers=me, json={"status": "Hello again"})
    assert (await edited.get_json())["edited_at"] is not None
    history = await (await client.get(f"/api/v1/statuses/{sid}/history", headers=me)).get_json()
    assert len(history) == 2 and "Hello again" in history[-1]["content"]
    source = await (await client.get(f"/api/v1/statuses/{sid}/source", headers=me)).get_json()
    assert source["text"] == "Hello again"
    assert (await client.put(f"/api/v1/statuses/{sid}", headers=other, json={"status": "mine now"})).status_code == 403

    deleted = await client.delete(f"/api/v1/statuses/{sid}", headers=me)
    assert (await deleted.get_json())["text"] == "Hello again"
    assert (await client.get(f"/api/v1/statuses/{sid}", headers=me)).status_code == 404


async def test_bad_posts_name_the_field_and_create_nothing(client: QuartClient, runtime: Runtime,
                                                           alice: LocalUser) -> None:
    me = await token_for(runtime, alice)
    empty = await client.post("/api/v1/statuses", headers=me, form={"status": "  "})
    assert empty.status_code == 422 and (await empty.get_json())["field"] == "status"
    visibility = await client.post("/api/v1/statuses", headers=me, form={"status": "x", "visibility": "secret"})
    assert (await visibility.get_json())["field"] == "visibility"
    media = await client.post("/api/v1/statuses", headers=me, form=MultiDict([("status", "x"), ("media_ids[]", "abc")]))
    assert (await media.get_json())["field"] == "media_ids"
    reply = await client.post("/api/v1/statuses", headers=me, form={"status": "x", "in_reply_to_id": "42"})
    assert (await reply.get_json())["field"] == "in_reply_to_id"
    read_only = await token_for(runtime, alice, scopes="read")
    assert (await client.post("/api/v1/statuses", headers=read_only, form={"status": "x"})).status_code == 403
    timeline = await (await client.get(f"/api/v1/accounts/{alice.account.id}/statuses", headers=me)).get_json()
    assert timeline == []


async def test_relationships_requests_mutes_and_profile(client: QuartClient, runtime: Runtime, alice: LocalUser,
                                                        bob: LocalUser) -> None:  # noqa: F811
    me = await token_for(runtime, alice)
    other = await token_for(runtime, bob)
    locked = await client.patch("/api/v1/accounts/update_credentials", headers=other,
                                form={"locked": "true", "display_name": "Bob B.",
                                      "fields_attributes[0][name]": "Site",
                                      "fields_attributes[0][value]": "https://bob.example"})
    profile = await locked.get_json()
    assert_response("/api/v1/accounts/update_credentials", "patch", 200, profile)
    assert profile["locked"] is True and profile["display_name"] == "Bob B." and profile["fields"][0]["name"] == "Site"

    requested = await (await client.post(f"/api/v1/accounts/{bob.account.id}/follow", headers=me)).get_json()
    assert_response("/api/v1/accounts/{id}/follow", "post", 200, requested)
    assert requested["requested"] is True and requested["following"] is False
    pending = await (await client.get("/api/v1/follow_requests", headers=other)).get_json()
    assert [a["acct"] for a in pending] == ["alice"]
    answered = await client.post(f"/api/v1/follow_requests/{alice.account.id}/authorize", headers=other)
    assert (await answered.get_json())["followed_by"] is True
    now = await (await client.get("/api/v1/accounts/relationships", headers=me,
                                  query_string={"id[]": [str(bob.account.id)]})).get_json()
    assert now[0]["following"] is True

    muted = await (await client.post(f"/api/v1/accounts/{bob.account.id}/mute", headers=me,
                                     json={"notifications": False})).get_json()
    assert muted["muting"] is True and muted["muting_notifications"] is False
    assert (await (await client.post(f"/api/v1/accounts/{bob.account.id}/unmute", headers=me)).get_json())[
        "muting"] is False
    notes = await (await client.get("/api/v1/notifications", headers=other)).get_json()
    assert notes, "bob was told about the follow request"
    dismissed = await client.post(f"/api/v1/notifications/{notes[0]['id']}/dismiss", headers=other)
    assert dismissed.status_code == 200
    await client.post("/api/v1/notifications/clear", headers=other)
    assert await (await client.get("/api/v1/notifications", headers=other)).get_json() == []
    assert (await client.post("/api/v1/notifications/1/dismiss", headers=other)).status_code == 404

    blocked = await (await client.post(f"/api/v1/accounts/{bob.account.id}/block", headers=me)).get_json()
    assert blocked["blocking"] is True and blocked["following"] is False  # a block ends the follow
