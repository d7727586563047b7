"""The commands an operator runs, against a real database on both backends."""

from __future__ import annotations

import asyncio
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import select

from fediverse_ai.cli import main
from fediverse_ai.config import Settings, load_settings
from fediverse_ai.models import Account, User
from fediverse_ai.runtime import Runtime


def test_init_sets_up_an_instance_and_is_safe_to_repeat(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--domain", "pics.example"]) == 0
    out = capsys.readouterr().out
    assert "Your instance: https://pics.example" in out
    assert "Sign in at https://pics.example/auth/sign_in as admin" in out
    password = out.split("password: ")[1].split()[0]
    config = tomllib.loads((tmp_path / "config.toml").read_text())
    assert config["instance"]["domain"] == "pics.example"
    assert (tmp_path / "data" / "fediverse_ai.db").exists() and (tmp_path / "data" / "media").is_dir()

    assert main(["init"]) == 0  # again: keeps config, database and admin
    again = capsys.readouterr().out
    assert "Using the existing config.toml" in again and "admin (exists" in again

    assert main(["user", "list"]) == 0
    listing = capsys.readouterr().out
    assert "admin" in listing and "admin@pics.example" in listing
    assert "instance.actor" not in listing
    assert len(password) >= 12


def test_init_on_each_backend_creates_instance_actor_and_admin(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "instance.toml"
    # The database is already migrated by the fixture: init must accept that and go on.
    code = main(["-c", str(config), "init", "--domain", "pics.example", "--database-url", settings.database.url,
                 "--media-dir", str(tmp_path / "m"), "--admin-username", "boss", "--admin-password", "correct horse"])
    assert code == 0, capsys.readouterr()

    async def read() -> tuple[dict[str, Account], User]:
        runtime = Runtime.from_settings(settings)
        try:
            async with runtime.db.session() as session:
                accounts = {a.username: a for a in (await session.execute(select(Account))).scalars()}
                return accounts, (await session.execute(select(User).where(User.role == "admin"))).scalar_one()
        finally:
            await runtime.close()

    accounts, admin = asyncio.run(read())
    assert set(accounts) == {"instance.actor", "boss", "imagine"}
    assert accounts["imagine"].actor_type == "Service"  # the @imagine bot
    assert accounts["instance.actor"].actor_type == "Application"
    assert accounts["instance.actor"].uri == "https://pics.example/actor"
    assert "BEGIN PRIVATE KEY" in (accounts["boss"].private_key_pem or "")
    assert admin.role == "admin" and admin.account_id == accounts["boss"].id


def test_user_commands(settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEDIVERSE_AI_DATABASE_URL", settings.database.url)
    monkeypatch.chdir(tmp_path)
    assert main(["user", "create", "painter", "--email", "p@pics.example", "--bot"]) == 0
    assert "Password: " in capsys.readouterr().out
    assert main(["user", "create", "Painter", "--email", "q@pics.example"]) == 1
    assert "username 'Painter' is taken" in capsys.readouterr().err
    assert main(["user", "create", "bad name", "--email", "q@pics.example"]) == 1
    assert "username may contain only" in capsys.readouterr().err
    assert main(["user", "suspend", "painter"]) == 0
    assert main(["user", "list"]) == 0
    assert "suspended" in capsys.readouterr().out.splitlines()[-1]
    assert main(["user", "unsuspend", "painter"]) == 0
    assert main(["user", "password", "painter", "--password", "a new secret"]) == 0
    assert main(["user", "suspend", "nobody"]) == 1
    assert "no local user named 'nobody'" in capsys.readouterr().err


def test_commands_refuse_a_database_that_is_behind(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEDIVERSE_AI_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/new.db")
    for command in (["run"], ["user", "list"], ["worker", "--lane", "system"]):
        assert main(command) == 3
        assert "run `fediverse-ai migrate`" in capsys.readouterr().err
    assert main(["migrate", "--check"]) == 1
    pending = capsys.readouterr().out
    assert "pending: 0001" in pending and "migration(s) pending" in pending
    assert main(["migrate"]) == 0
    assert "applying 0001" in capsys.readouterr().out
    assert main(["migrate", "--check"]) == 0


def test_a_bad_setting_stops_a_command_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.toml").write_text('[server]\nport = "http"\n')
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert err == "fediverse-ai: configuration problem: server.port: must be a whole number; got 'http'\n"


def test_jobs_command_shows_the_queue(settings: Settings, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEDIVERSE_AI_DATABASE_URL", settings.database.url)
    assert main(["jobs"]) == 0
    assert "(no jobs)" in capsys.readouterr().out
    assert main(["jobs", "--retry", "12345"]) == 1
    assert "job 12345 is not failed or queued" in capsys.readouterr().err
    assert load_settings(env={"FEDIVERSE_AI_DATABASE_URL": settings.database.url}).database.url == settings.database.url
