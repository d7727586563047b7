"""Fixtures for the interop tests: our instance on a loopback port (on SQLite and PostgreSQL,
like every database test) with the SSRF guard opened for 127.0.0.1, and real peers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from quart import Quart

from fediverse_ai.config import Settings
from fediverse_ai.models import Account
from fediverse_ai.runtime import Runtime
from fediverse_ai.services.accounts import create_local_user
from fediverse_ai.web import create_app

from .peers import BovinePeer, FedifyPeer, bovine_peer, fedify_peer, free_port, serve_instance


@pytest.fixture
def instance_port() -> int:
    return free_port()


@pytest.fixture
def settings(settings: Settings, instance_port: int) -> Settings:
    return settings.replace(instance__domain=f"127.0.0.1:{instance_port}", instance__scheme="http",
                            federation__allow_private_addresses=True, federation__request_timeout_s=10.0)


@dataclass
class Instance:
    runtime: Runtime
    app: Quart
    painter: Account

    @property
    def base(self) -> str:
        return self.runtime.settings.instance.base_url


@pytest.fixture
async def instance(runtime: Runtime, instance_port: int) -> AsyncIterator[Instance]:
    """Our server, serving; its job lanes are stepped by the tests (workers=False)."""
    async with runtime.db.transaction() as session:
        painter = await create_local_user(session, runtime.settings, username="painter", email="p@example.org",
                                          password="long enough", display_name="Painter")
    app = create_app(runtime, workers=False)
    async with serve_instance(app, instance_port):
        yield Instance(runtime, app, painter.account)


@pytest.fixture
async def fedify(tmp_path: Path) -> AsyncIterator[FedifyPeer]:
    async with fedify_peer(tmp_path / "fedify.log") as peer:
        yield peer


@pytest.fixture
async def bovine(tmp_path: Path) -> AsyncIterator[BovinePeer]:
    async with bovine_peer(tmp_path) as peer:
        yield peer
