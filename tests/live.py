"""A real `fediverse-ai run` process on a loopback port, for tests that drive it with real
clients over real HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    process: subprocess.Popen[str]
    url: str
    output: tuple[str, str] = ("", "")


def wait_until_serving(server: LiveServer, timeout: float = 30.0) -> None:
    """Poll /healthz until it answers; fail at once if the process died."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=5):
                return
        except OSError:
            if server.process.poll() is not None:
                raise AssertionError(f"server exited: {server.process.communicate()}") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextmanager
def live_server(database_url: str, cwd: Path, *, env: dict[str, str] | None = None) -> Iterator[LiveServer]:
    """Serve on a free port with public URL http://127.0.0.1:PORT; stop with SIGINT afterwards."""
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("FEDIVERSE_AI_")} | {
        "FEDIVERSE_AI_DATABASE_URL": database_url,
        "FEDIVERSE_AI_INSTANCE_DOMAIN": f"127.0.0.1:{port}",
        "FEDIVERSE_AI_INSTANCE_SCHEME": "http",
        "FEDIVERSE_AI_MEDIA_DIR": str(cwd / "media"),
        "FEDIVERSE_AI_LOGGING_FORMAT": "json",
        "PYTHONPATH": str(ROOT),
    } | (env or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "fediverse_ai", "run", "--port", str(port)],
        cwd=cwd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    server = LiveServer(process, f"http://127.0.0.1:{port}")
    try:
        wait_until_serving(server)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            server.output = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            server.output = process.communicate()
