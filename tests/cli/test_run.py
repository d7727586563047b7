"""`fediverse-ai run` as a newcomer starts it: a real process serving real HTTP on loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from fediverse_ai.config import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(server: subprocess.Popen[str], url: str, timeout: float = 30.0) -> tuple[int, str]:
    """GET once the server listens; fail at once if it died instead."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.read().decode()
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_run_serves_the_home_page_and_stops_cleanly(settings: Settings, tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEDIVERSE_AI_")} | {
        "FEDIVERSE_AI_DATABASE_URL": settings.database.url,
        "FEDIVERSE_AI_INSTANCE_NAME": "Pixel Garden",
        "FEDIVERSE_AI_LOGGING_FORMAT": "json",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "fediverse_ai", "run", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        status, html = get(server, f"http://127.0.0.1:{port}/")
        assert status == 200 and "<h1>Pixel Garden</h1>" in html
        status, health = get(server, f"http://127.0.0.1:{port}/healthz")
        assert status == 200 and '"status":"ok"' in health
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    assert f"on http://127.0.0.1:{port}/" in out
    assert '"msg": "workers started"' in err and '"path": "/healthz"' in err
