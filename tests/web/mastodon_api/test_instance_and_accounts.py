"""Instance and account entities, complete and shaped as the OpenAPI description says."""

from __future__ import annotations

from quart.testing import QuartClient

from fediverse_ai.services.accounts import LocalUser
from tests.openapi import assert_response


async def test_instance_v1_and_v2(client: QuartClient, alice: LocalUser) -> None:
    for path in ("/api/v1/instance", "/api/v2/instance"):
        for suffix in ("", "/"):  # Mastodon.py asks with a trailing slash
            response = await client.get(path + suffix)
            assert response.status_code == 200, path + suffix
        body = await response.get_json()
        assert_response(path, "get", 200, body)
        assert body["version"].startswith("4.2.0 (compatible; fediverse_ai ")
    v1 = await (await client.get("/api/v1/instance")).get_json()
    assert v1["uri"] == "social.test" and v1["stats"]["user_count"] == 1
    assert v1["contact_account"]["username"] == "alice"


async def test_accounts_by_id_and_lookup(client: QuartClient, alice: LocalUser) -> None:
    by_id = await client.get(f"/api/v1/accounts/{alice.account.id}")
    body = await by_id.get_json()
    assert_response("/api/v1/accounts/{id}", "get", 200, body)
    assert body["acct"] == "alice" and body["avatar"] == "https://social.test/static/avatar.png"
    for acct in ("alice", "@alice", "alice@social.test"):
        found = await client.get("/api/v1/accounts/lookup", query_string={"acct": acct})
        assert (await found.get_json())["id"] == str(alice.account.id)
    missing = await client.get("/api/v1/accounts/lookup", query_string={"acct": "bob"})
    assert missing.status_code == 404
    assert (await client.get("/api/v1/accounts/123")).status_code == 404
    assert (await client.get("/static/avatar.png")).status_code == 200


async def test_bad_tokens(client: QuartClient) -> None:
    assert (await client.get("/api/v1/accounts/verify_credentials")).status_code == 401
    bad = await client.get("/api/v1/accounts/verify_credentials", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    anonymous_with_bad_token = await client.get("/api/v1/accounts/lookup?acct=x",
                                                headers={"Authorization": "Bearer nope"})
    assert anonymous_with_bad_token.status_code == 401
