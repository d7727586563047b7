"""The OAuth flow a client app goes through, end to end against the real app and database."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlparse

from quart.testing import QuartClient

from fediverse_ai.services.accounts import LocalUser
from tests.openapi import assert_response

from .conftest import sign_in

REDIRECT = "app.example://oauth"


async def register(client: QuartClient, scopes: str = "read write follow", **extra: str) -> dict:
    response = await client.post("/api/v1/apps", form={"client_name": "Test App", "redirect_uris": REDIRECT,
                                                       "scopes": scopes, "website": "https://app.example", **extra})
    assert response.status_code == 200
    body = await response.get_json()
    assert_response("/api/v1/apps", "post", 200, body)
    return body


def csrf_of(html: str) -> str:
    return html.split('name="csrf" value="')[1].split('"')[0]


async def authorize(client: QuartClient, app: dict, *, scope: str = "read write", state: str = "xyz",
                    challenge: str | None = None, decision: str = "approve") -> dict[str, list[str]]:
    query = {"client_id": app["client_id"], "redirect_uri": REDIRECT, "response_type": "code", "scope": scope,
             "state": state}
    if challenge:
        query |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    page = await client.get("/oauth/authorize", query_string=query)
    assert page.status_code == 200
    html = await page.get_data(as_text=True)
    assert "Allow Test App?" in html and f"<code>{scope.split()[0]}</code>" in html
    form = {"csrf": csrf_of(html), "client_id": app["client_id"], "redirect_uri": REDIRECT, "scope": scope,
            "state": state, "decision": decision, "code_challenge": challenge or "",
            "code_challenge_method": "S256" if challenge else ""}
    response = await client.post("/oauth/authorize", form=form)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    return parse_qs(urlparse(location).query)


def pkce() -> tuple[str, str]:
    verifier = "v" * 20 + "-verifier-with-enough-entropy-1234567890"
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


async def test_authorization_code_with_pkce_then_api_calls_then_revoke(client: QuartClient, alice: LocalUser) -> None:
    app = await register(client)
    # Not signed in: the consent page sends the person to sign in first, and back.
    first = await client.get("/oauth/authorize", query_string={"client_id": app["client_id"], "redirect_uri": REDIRECT,
                                                                "response_type": "code", "scope": "read"})
    assert first.status_code == 302 and first.headers["Location"].startswith("/auth/sign_in?next=")
    await sign_in(client)

    verifier, challenge = pkce()
    query = await authorize(client, app, challenge=challenge)
    assert query["state"] == ["xyz"]
    code = query["code"][0]

    wrong = await client.post("/oauth/token", form={"grant_type": "authorization_code", "code": code,
                                                    "client_id": app["client_id"], "redirect_uri": REDIRECT,
                                                    "code_verifier": "not-it"})
    assert wrong.status_code == 400 and (await wrong.get_json())["error"] == "invalid_grant"

    token_response = await client.post("/oauth/token", json={
        "grant_type": "authorization_code", "code": code, "client_id": app["client_id"],
        "client_secret": app["client_secret"], "redirect_uri": REDIRECT, "code_verifier": verifier})
    assert token_response.status_code == 200
    token = await token_response.get_json()
    assert_response("/oauth/token", "post", 200, token)
    assert token["scope"] == "read write" and token["token_type"] == "Bearer"

    reused = await client.post("/oauth/token", form={"grant_type": "authorization_code", "code": code,
                                                     "client_id": app["client_id"],
                                                     "client_secret": app["client_secret"],
                                                     "redirect_uri": REDIRECT, "code_verifier": verifier})
    assert reused.status_code == 400  # codes are single-use

    headers = {"Authorization": f"Bearer {token['access_token']}"}
    me = await client.get("/api/v1/accounts/verify_credentials", headers=headers)
    assert me.status_code == 200
    body = await me.get_json()
    assert_response("/api/v1/accounts/verify_credentials", "get", 200, body)
    assert body["username"] == "alice" and body["role"]["name"] == "Admin"

    refreshed = await client.post("/oauth/token", form={"grant_type": "refresh_token",
                                                        "refresh_token": token["refresh_token"],
                                                        "client_id": app["client_id"],
                                                        "client_secret": app["client_secret"]})
    assert refreshed.status_code == 200
    new_token = (await refreshed.get_json())["access_token"]
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=headers)).status_code == 401

    revoked = await client.post("/oauth/revoke", form={"token": new_token, "client_id": app["client_id"],
                                                       "client_secret": app["client_secret"]})
    assert revoked.status_code == 200
    after = await client.get("/api/v1/accounts/verify_credentials", headers={"Authorization": f"Bearer {new_token}"})
    assert after.status_code == 401
    assert await after.get_json() == {"error": "The access token is invalid", "code": "bad_request"}


async def test_out_of_band_redirect_shows_the_code(client: QuartClient, alice: LocalUser) -> None:
    response = await client.post("/api/v1/apps", json={"client_name": "toot",
                                                       "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                                                       "scopes": "read write"})
    app = await response.get_json()
    await sign_in(client)
    page = await client.get("/oauth/authorize", query_string={
        "client_id": app["client_id"], "redirect_uri": "urn:ietf:wg:oauth:2.0:oob", "response_type": "code"})
    html = await page.get_data(as_text=True)
    shown = await client.post("/oauth/authorize", form={
        "csrf": csrf_of(html), "client_id": app["client_id"], "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
        "scope": "read write", "decision": "approve"})
    code = (await shown.get_data(as_text=True)).split('id="code">')[1].split("<")[0]
    token = await client.post("/oauth/token", form={
        "grant_type": "authorization_code", "code": code, "client_id": app["client_id"],
        "client_secret": app["client_secret"], "redirect_uri": "urn:ietf:wg:oauth:2.0:oob"})
    assert token.status_code == 200


async def test_denying_access_redirects_with_an_error(client: QuartClient, alice: LocalUser) -> None:
    app = await register(client)
    await sign_in(client)
    query = await authorize(client, app, decision="deny")
    assert query == {"error": ["access_denied"], "state": ["xyz"]}


async def test_scopes_are_enforced(client: QuartClient, alice: LocalUser) -> None:
    app = await register(client, scopes="write")
    await sign_in(client)
    code = (await authorize(client, app, scope="write"))["code"][0]
    token = await (await client.post("/oauth/token", form={
        "grant_type": "authorization_code", "code": code, "client_id": app["client_id"],
        "client_secret": app["client_secret"], "redirect_uri": REDIRECT})).get_json()
    response = await client.get("/api/v1/accounts/verify_credentials",
                                headers={"Authorization": f"Bearer {token['access_token']}"})
    assert response.status_code == 403
    assert (await response.get_json())["error"] == "This action is outside the authorized scopes"
    wider = await client.get("/oauth/authorize", query_string={
        "client_id": app["client_id"], "redirect_uri": REDIRECT, "response_type": "code", "scope": "read"})
    assert wider.status_code == 400 and "did not register" in await wider.get_data(as_text=True)


async def test_client_credentials_give_an_app_token(client: QuartClient) -> None:
    app = await register(client)
    response = await client.post("/oauth/token", form={"grant_type": "client_credentials", "scope": "read",
                                                       "client_id": app["client_id"],
                                                       "client_secret": app["client_secret"]})
    token = await response.get_json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    verified = await client.get("/api/v1/apps/verify_credentials", headers=headers)
    assert verified.status_code == 200 and (await verified.get_json())["name"] == "Test App"
    user_only = await client.get("/api/v1/accounts/verify_credentials", headers=headers)
    assert user_only.status_code == 422
    bad_secret = await client.post("/oauth/token", form={"grant_type": "client_credentials",
                                                         "client_id": app["client_id"], "client_secret": "nope"})
    assert bad_secret.status_code == 401 and (await bad_secret.get_json())["error"] == "invalid_client"


async def test_bad_registrations_name_the_field(client: QuartClient) -> None:
    missing = await client.post("/api/v1/apps", form={"client_name": "x"})
    assert missing.status_code == 422 and (await missing.get_json())["field"] == "redirect_uris"
    bad_scope = await client.post("/api/v1/apps", form={"client_name": "x", "redirect_uris": REDIRECT,
                                                        "scopes": "read everything"})
    assert bad_scope.status_code == 422
    assert (await bad_scope.get_json())["error"] == "unknown scope(s): everything"
    evil = await client.post("/api/v1/apps", form={"client_name": "x", "redirect_uris": "javascript:alert(1)"})
    assert evil.status_code == 422


async def test_sign_in_errors_and_csrf(client: QuartClient, alice: LocalUser) -> None:
    page = await client.get("/auth/sign_in")
    csrf = csrf_of(await page.get_data(as_text=True))
    wrong = await client.post("/auth/sign_in", form={"csrf": csrf, "login": "alice", "password": "nope"})
    assert wrong.status_code == 401 and "password is wrong" in await wrong.get_data(as_text=True)
    forged = await client.post("/auth/sign_in", form={"csrf": "forged", "login": "alice", "password": "x"})
    assert forged.status_code == 403
    offsite = await client.post("/auth/sign_in", form={"csrf": csrf, "login": "alice@social.test",
                                                       "password": "correct horse battery",
                                                       "next": "//evil.example/"})
    assert offsite.status_code == 302 and offsite.headers["Location"] == "/"


async def test_metadata_and_cors(client: QuartClient) -> None:
    response = await client.get("/.well-known/oauth-authorization-server")
    body = await response.get_json()
    assert body["token_endpoint"] == "https://social.test/oauth/token"
    assert "S256" in body["code_challenge_methods_supported"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    preflight = await client.options("/api/v1/apps", headers={"Origin": "https://elk.zone",
                                                              "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 200 and "Link" in preflight.headers["Access-Control-Expose-Headers"]


async def test_password_grant_for_command_line_clients(client: QuartClient, alice: LocalUser) -> None:
    app = await register(client)
    form = {"grant_type": "password", "username": "alice@social.test", "password": "correct horse battery",
            "client_id": app["client_id"], "client_secret": app["client_secret"], "scope": "read"}
    ok = await client.post("/oauth/token", form=form)
    assert ok.status_code == 200 and (await ok.get_json())["scope"] == "read"
    wrong = await client.post("/oauth/token", form=form | {"password": "guess"})
    assert wrong.status_code == 400 and (await wrong.get_json())["error"] == "invalid_grant"
    too_wide = await client.post("/oauth/token", form=form | {"scope": "admin:read"})
    assert too_wide.status_code == 400 and (await too_wide.get_json())["error"] == "invalid_scope"
