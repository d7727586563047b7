"""Discovery and actor endpoints as Mastodon and browsers see them."""

from __future__ import annotations

import pytest
from quart import Quart
from sqlalchemy import select

from fediverse_ai.models import Account, Follow
from fediverse_ai.runtime import Runtime
from fediverse_ai.services.accounts import create_local_user, ensure_instance_actor
from fediverse_ai.services.remote_accounts import upsert_remote_account
from fediverse_ai.web import create_app

from ..services.test_remote_accounts import ALICE

AP = {"Accept": "application/activity+json"}


@pytest.fixture
async def app(runtime: Runtime) -> Quart:
    async with runtime.db.transaction() as session:
        await create_local_user(session, runtime.settings, username="painter", email="p@social.test",
                                password="long enough", display_name="The Painter")
        await create_local_user(session, runtime.settings, username="robot", email="r@social.test",
                                password="long enough", bot=True)
        await ensure_instance_actor(session, runtime.settings)
    return create_app(runtime, workers=False)


async def test_webfinger_answers_acct_and_actor_url(app: Quart) -> None:
    client = app.test_client()
    for resource in ("acct:painter@social.test", "https://social.test/users/painter", "painter@social.test",
                     "acct:PAINTER@social.test"):
        response = await client.get("/.well-known/webfinger", query_string={"resource": resource})
        assert response.status_code == 200, resource
        assert response.content_type == "application/jrd+json"
        assert response.headers.getlist("Access-Control-Allow-Origin") == ["*"]  # once, though two layers allow it
        body = await response.get_json()
        assert body["subject"] == "acct:painter@social.test"
        links = {link["rel"]: link for link in body["links"]}
        assert links["self"] == {"rel": "self", "type": "application/activity+json",
                                 "href": "https://social.test/users/painter"}
        assert links["http://webfinger.net/rel/profile-page"]["href"] == "https://social.test/@painter"
        assert links["http://ostatus.org/schema/1.0/subscribe"]["template"] == (
            "https://social.test/authorize_interaction?uri={uri}")
    instance = await client.get("/.well-known/webfinger", query_string={"resource": "https://social.test/actor"})
    assert (await instance.get_json())["links"][0]["href"] == "https://social.test/actor"


async def test_webfinger_errors(app: Quart) -> None:
    client = app.test_client()
    assert (await client.get("/.well-known/webfinger")).status_code == 400
    assert (await client.get("/.well-known/webfinger", query_string={"resource": "acct:nobody@social.test"})
            ).status_code == 404
    assert (await client.get("/.well-known/webfinger", query_string={"resource": "acct:painter@other.example"})
            ).status_code == 404


async def test_host_meta_and_nodeinfo(app: Quart) -> None:
    client = app.test_client()
    xrd = await (await client.get("/.well-known/host-meta")).get_data(as_text=True)
    assert 'template="https://social.test/.well-known/webfinger?resource={uri}"' in xrd
    links = (await (await client.get("/.well-known/nodeinfo")).get_json())["links"]
    assert [link["href"] for link in links] == ["https://social.test/nodeinfo/2.0", "https://social.test/nodeinfo/2.1"]
    for version in ("2.0", "2.1"):
        response = await client.get(f"/nodeinfo/{version}")
        assert f"schema/{version}#" in response.headers["Content-Type"]
        body = await response.get_json()
        assert body["version"] == version and body["software"]["name"] == "fediverse_ai"
        assert body["protocols"] == ["activitypub"]
        assert body["usage"]["users"]["total"] == 2 and body["usage"]["localPosts"] == 0
    assert (await client.get("/nodeinfo/1.0")).status_code == 404


@pytest.mark.parametrize("accept", ["application/activity+json",
                                    'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'])
async def test_actor_is_json_for_activitypub_clients(app: Quart, accept: str) -> None:
    response = await app.test_client().get("/users/painter", headers={"Accept": accept})
    assert response.status_code == 200 and response.content_type.startswith("application/activity+json")
    doc = await response.get_json()
    assert doc["id"] == "https://social.test/users/painter" and doc["type"] == "Person"
    assert doc["name"] == "The Painter" and "BEGIN PUBLIC KEY" in doc["publicKey"]["publicKeyPem"]
    assert "Accept" in response.headers["Vary"]


async def test_actor_is_html_for_browsers(app: Quart) -> None:
    response = await app.test_client().get("/users/painter", headers={
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    assert response.content_type.startswith("text/html")
    assert "@painter@social.test" in await response.get_data(as_text=True)


async def test_the_profile_url_negotiates_too(app: Quart) -> None:
    client = app.test_client()
    assert (await (await client.get("/@painter", headers=AP)).get_json())["id"] == "https://social.test/users/painter"
    page = await client.get("/@painter", headers={"Accept": "text/html"})
    assert page.content_type.startswith("text/html")


async def test_bot_and_instance_actor_types(app: Quart) -> None:
    client = app.test_client()
    assert (await (await client.get("/users/robot", headers=AP)).get_json())["type"] == "Service"
    instance = await (await client.get("/actor", headers=AP)).get_json()
    assert instance["type"] == "Application" and instance["inbox"] == "https://social.test/actor/inbox"
    followers = await (await client.get("/actor/followers", headers=AP)).get_json()
    assert followers["id"] == instance["followers"] and followers["totalItems"] == 0
    assert (await client.get("/users/nobody", headers=AP)).status_code == 404


async def test_followers_is_a_paged_ordered_collection(app: Quart, runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        alice = await upsert_remote_account(session, ALICE)
        painter_id = (await session.execute(select(Account.id).where(Account.username == "painter"))).scalar_one()
        session.add(Follow(account_id=alice.id, target_account_id=painter_id, accepted=True,
                           uri="https://remote.example/follows/1"))
    client = app.test_client()
    collection = await (await client.get("/users/painter/followers", headers=AP)).get_json()
    assert collection["type"] == "OrderedCollection" and collection["totalItems"] == 1
    assert collection["first"] == "https://social.test/users/painter/followers?page=1"
    page = await (await client.get("/users/painter/followers?page=1", headers=AP)).get_json()
    assert page["type"] == "OrderedCollectionPage" and page["orderedItems"] == [ALICE.uri]
    assert page["partOf"] == "https://social.test/users/painter/followers" and "next" not in page
    following = await (await client.get("/users/painter/following", headers=AP)).get_json()
    assert following["totalItems"] == 0
