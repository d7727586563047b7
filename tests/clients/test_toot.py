"""toot, the command-line client, against a real server process: log in, then ask who it is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import requests
from PIL import Image

from fediverse_ai.config import Settings
from tests.clients.test_mastodon_py import make_user
from tests.live import live_server

TOOT = Path(sys.executable).with_name("toot")


def toot(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = os.environ | {"XDG_CONFIG_HOME": str(home), "HOME": str(home), "NO_COLOR": "1"}
    return subprocess.run([str(TOOT), *args], input=stdin, env=env, capture_output=True, text=True, timeout=60)


def test_toot_logs_in_posts_an_image_and_reads_home(settings: Settings, tmp_path: Path) -> None:
    make_user(settings)
    with live_server(settings.database.url, tmp_path) as server:
        login = toot(tmp_path, "login_cli", "-i", server.url, "-e", "alice@example.com",
                     stdin="correct horse battery\n")
        assert login.returncode == 0, login.stdout + login.stderr
        assert "Successfully logged in" in login.stdout
        whoami = toot(tmp_path, "whoami")
        assert whoami.returncode == 0, whoami.stderr
        assert "@alice" in whoami.stdout
        image = tmp_path / "square.png"
        Image.new("RGB", (40, 30), (10, 120, 200)).save(image)
        posted = toot(tmp_path, "post", "Made with toot #cli", "--media", str(image), "--description",
                      "A blue rectangle")
        assert posted.returncode == 0, posted.stdout + posted.stderr
        assert "Toot posted" in posted.stdout
        home = toot(tmp_path, "timelines", "home", "--no-pager", "--limit", "5")
        assert home.returncode == 0, home.stderr
        assert "Made with toot #cli" in home.stdout and "/media/" in home.stdout
        statuses = requests.get(f"{server.url}/api/v1/timelines/public").json()
        assert statuses[0]["media_attachments"][0]["description"] == "A blue rectangle"
        wrong = toot(tmp_path / "other", "login_cli", "-i", server.url, "-e", "alice@example.com", stdin="nope\n")
        assert wrong.returncode != 0
