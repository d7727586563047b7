"""`fediverse-ai lookup`: resolve a remote account from the command line."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fediverse_ai.cli import main
from fediverse_ai.config import Settings

from ..activitypub.peer_server import FakePeer, fake_peer
from ..activitypub.remote_actor import serve_actor


@pytest.fixture
async def peer() -> AsyncIterator[FakePeer]:
    async with fake_peer() as p:
        yield p


def config_for(settings: Settings, tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[instance]\ndomain = "social.test"\nscheme = "http"\n'
                    f'[database]\nurl = "{settings.database.url}"\n'
                    f"[federation]\nallow_private_addresses = true\n")
    return path


async def test_lookup_resolves_by_webfinger_and_by_url(settings: Settings, tmp_path: Path, peer: FakePeer,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    bob = serve_actor(peer)
    config = config_for(settings, tmp_path)
    host = peer.base.split("://", 1)[1]
    assert await asyncio.to_thread(main, ["-c", str(config), "lookup", f"@bob@{host}"]) == 0
    out = capsys.readouterr().out
    assert f"account:      @bob@{host}" in out and f"inbox:        {bob.uri}/inbox" in out
    assert await asyncio.to_thread(main, ["-c", str(config), "lookup", bob.uri, "--refresh"]) == 0
    assert f"uri:          {bob.uri}" in capsys.readouterr().out


async def test_lookup_says_why_it_failed(settings: Settings, tmp_path: Path, peer: FakePeer,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    config = config_for(settings, tmp_path)
    host = peer.base.split("://", 1)[1]
    assert await asyncio.to_thread(main, ["-c", str(config), "lookup", f"nobody@{host}"]) == 1
    assert f"cannot resolve nobody@{host}: WebFinger for nobody@{host} answered 404" in capsys.readouterr().err
