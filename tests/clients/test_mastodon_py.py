"""Mastodon.py, a real client library, against a real server process: app registration, the
browser part of OAuth (sign-in and consent pages), token exchange, the calls it makes first, then
media upload, posting, paging the home timeline through Link headers, and notifications."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import requests
from mastodon import Mastodon
from PIL import Image

from fediverse_ai.config import Settings
from fediverse_ai.runtime import Runtime
from fediverse_ai.services.accounts import create_local_user
from tests.live import live_server

REDIRECT = "urn:ietf:wg:oauth:2.0:oob"


def make_user(settings: Settings, username: str = "alice") -> None:
    async def go() -> None:
        runtime = Runtime.from_settings(settings)
        try:
            async with runtime.db.transaction() as session:
                await create_local_user(session, settings, username=username, email=f"{username}@example.com",
                                        password="correct horse battery")
        finally:
            await runtime.close()

    asyncio.run(go())


def approve_in_browser(auth_url: str) -> str:
    """What a person does in the browser: sign in, approve, copy the out-of-band code."""
    browser = requests.Session()
    page = browser.get(auth_url)  # redirected to the sign-in form
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    next_path = re.search(r'name="next" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    consent = browser.post(page.url.split("/auth/")[0] + "/auth/sign_in", data={
        "csrf": csrf, "login": "alice", "password": "correct horse battery", "next": next_path.replace("&amp;", "&")})
    assert "Allow" in consent.text, consent.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', consent.text))
    shown = browser.post(consent.url.split("/oauth/")[0] + "/oauth/authorize", data=fields | {"decision": "approve"})
    return re.search(r'id="code">([^<]+)<', shown.text).group(1)  # type: ignore[union-attr]


def test_mastodon_py_registers_signs_in_and_reads(settings: Settings, tmp_path: Path) -> None:
    make_user(settings)
    with live_server(settings.database.url, tmp_path) as server:
        client_id, client_secret = Mastodon.create_app("pytest via Mastodon.py", api_base_url=server.url,
                                                       redirect_uris=REDIRECT)
        api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=server.url)
        code = approve_in_browser(api.auth_request_url(redirect_uris=REDIRECT, allow_http=True))
        api.log_in(code=code, redirect_uri=REDIRECT, allow_http=True)

        me = api.account_verify_credentials()
        assert me.username == "alice" and me.acct == "alice"
        assert api.instance().title == "fediverse_ai"
        assert api.instance_v2().domain == server.url.split("//")[1]
        assert api.account_lookup("alice").id == me.id
        assert api.app_verify_credentials().name == "pytest via Mastodon.py"
        token = api.access_token
        api.revoke_access_token(allow_http=True)
        assert requests.get(f"{server.url}/api/v1/accounts/verify_credentials",
                            headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_mastodon_py_uploads_posts_pages_and_gets_notified(settings: Settings, tmp_path: Path) -> None:
    make_user(settings, "alice")
    make_user(settings, "bob")
    image = tmp_path / "dusk.png"
    Image.new("RGB", (48, 32), (250, 120, 30)).save(image)
    with live_server(settings.database.url, tmp_path) as server:
        client_id, client_secret = Mastodon.create_app("pytest", api_base_url=server.url, redirect_uris=REDIRECT)

        def session_for(username: str) -> Mastodon:
            api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=server.url)
            api.log_in(username=f"{username}@example.com", password="correct horse battery", allow_http=True)
            return api

        alice, bob = session_for("alice"), session_for("bob")
        alice_id = alice.me().id
        bob.account_follow(alice_id)
        media = alice.media_post(str(image), mime_type="image/png", description="An orange dusk")
        posted = [alice.status_post(f"post {n}", media_ids=[media] if n == 0 else None) for n in range(5)]
        assert posted[0].media_attachments[0].description == "An orange dusk"

        first = bob.timeline_home(limit=2)
        assert [s.content for s in first] == ["<p>post 4</p>", "<p>post 3</p>"]
        second = bob.fetch_next(first)
        assert [s.content for s in second] == ["<p>post 2</p>", "<p>post 1</p>"]
        assert [s.content for s in bob.fetch_next(second)] == ["<p>post 0</p>"]

        bob.status_favourite(posted[0].id)
        bob.status_reblog(posted[1].id)
        kinds = {n.type for n in alice.notifications()}
        assert {"follow", "favourite", "reblog"} <= kinds
        only_follows = alice.notifications(types=["follow"])
        assert [n.account.acct for n in only_follows] == ["bob"]
