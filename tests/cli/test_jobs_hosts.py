"""`fediverse-ai jobs` shows admins which remote hosts keep failing and which are unavailable."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from fediverse_ai.cli import main
from fediverse_ai.config import Settings
from fediverse_ai.models import RemoteHost
from fediverse_ai.runtime import Runtime
from fediverse_ai.timeutil import utcnow


async def add_hosts(settings: Settings) -> None:
    runtime = Runtime.from_settings(settings)
    try:
        async with runtime.db.transaction() as session:
            session.add(RemoteHost(domain="down.example", failure_days=["2026-11-1"] * 7, failures=12,
                                   unavailable_since=utcnow() - dt.timedelta(days=1)))
            session.add(RemoteHost(domain="flaky.example", failure_days=["2026-11-24"], failures=2))
            session.add(RemoteHost(domain="fine.example", failure_days=[], failures=0))
    finally:
        await runtime.close()


def test_jobs_lists_failing_and_unavailable_hosts(settings: Settings, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    asyncio.run(add_hosts(settings))
    monkeypatch.setenv("FEDIVERSE_AI_DATABASE_URL", settings.database.url)
    assert main(["jobs"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if ".example" in line]
    assert len(lines) == 2 and "down.example" in lines[0] and "UNAVAILABLE since" in lines[0]
    assert "7 day(s), 12 failure(s)" in lines[0] and "flaky.example" in lines[1] and "failing" in lines[1]
