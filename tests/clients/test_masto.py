"""masto.js (npm), the client library of Elk and other web apps, against a real server
process: media v2 upload with polling, posting, reading back."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path

from PIL import Image

from fediverse_ai.config import Settings
from fediverse_ai.runtime import Runtime
from fediverse_ai.services import oauth
from fediverse_ai.services.accounts import create_local_user
from tests.live import live_server

MASTO = Path(__file__).parent / "masto"


def user_with_token(settings: Settings) -> str:
    async def go() -> str:
        runtime = Runtime.from_settings(settings)
        try:
            async with runtime.db.transaction() as session:
                await create_local_user(session, settings, username="carol", email="carol@example.com",
                                        password="correct horse battery")
                app = await oauth.register_app(session, name="masto", redirect_uris=oauth.OOB_URI,
                                               scopes="read write")
                issued = await oauth.password_grant(session, app.app, username="carol",
                                                    password="correct horse battery", scope="read write")
            return issued.access_token
        finally:
            await runtime.close()

    return asyncio.run(go())


def test_masto_uploads_polls_and_posts(settings: Settings, tmp_path: Path) -> None:
    token = user_with_token(settings)
    image = tmp_path / "green.png"
    Image.new("RGB", (64, 64), (30, 200, 60)).save(image)
    with live_server(settings.database.url, tmp_path) as server:
        run = subprocess.run(["node", "client.mjs"], cwd=MASTO, capture_output=True, text=True, timeout=60,
                             env=os.environ | {"SERVER_URL": server.url, "ACCESS_TOKEN": token,
                                               "IMAGE_PATH": str(image)})
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["me"]["username"] == "carol"
    assert result["media"]["url"].startswith(server.url + "/media/")
    assert result["status"]["mediaAttachments"][0]["description"] == "A green square, uploaded by masto"
    assert result["fetched"]["id"] == result["status"]["id"] and result["homeIds"][0] == result["status"]["id"]
