"""`fediverse-ai run` as a newcomer starts it: a real process serving real HTTP on loopback."""

from __future__ import annotations

import urllib.request
from pathlib import Path

from fediverse_ai.config import Settings
from tests.live import live_server


def test_run_serves_the_home_page_and_stops_cleanly(settings: Settings, tmp_path: Path) -> None:
    env = {"FEDIVERSE_AI_INSTANCE_NAME": "Pixel Garden"}
    with live_server(settings.database.url, tmp_path, env=env) as server, urllib.request.urlopen(server.url) as page:
        assert page.status == 200 and "<h1>Pixel Garden</h1>" in page.read().decode()
    out, err = server.output
    assert server.process.returncode == 0, err
    assert f"on http://127.0.0.1:{server.url.rsplit(':', 1)[1]}/" in out
    assert '"msg": "workers started"' in err and '"path": "/healthz"' in err
