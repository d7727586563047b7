"""`doctor` names each problem and what to do about it, and passes on a healthy install."""

from __future__ import annotations

from pathlib import Path

import pytest

from fediverse_ai.cli import main


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    monkeypatch.chdir(tmp_path)
    for key in list(__import__("os").environ):
        if key.startswith("FEDIVERSE_AI_"):
            monkeypatch.delenv(key)
    assert main(["init"]) == 0
    capsys.readouterr()
    return tmp_path


def model_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model_index.json").write_text('{"_class_name": "StableDiffusionPipeline"}')
    return folder


def test_a_healthy_install(instance: Path, capsys: pytest.CaptureFixture[str],
                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEDIVERSE_AI_GENERATION_MODEL", str(model_folder(instance)))
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    for check in ("config", "database", "schema", "media", "torch", "diffusers", "model"):
        assert f"] {check}: " in out
    assert "FAIL" not in out and "Everything needed is in place." in out


def test_a_broken_config_is_named(instance: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (instance / "config.toml").write_text('[database]\nurl = "mysql://localhost/x"\n')
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] config: database.url: must start with sqlite+aiosqlite:// or postgresql+asyncpg://" in out
    assert "fix: correct `database.url`" in out


def test_each_problem_is_reported_with_a_fix(instance: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEDIVERSE_AI_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:1/none")
    monkeypatch.setenv("FEDIVERSE_AI_MEDIA_DIR", str(instance / "config.toml"))  # a file, not a folder
    monkeypatch.setenv("FEDIVERSE_AI_GENERATION_MODEL", str(instance / "data"))  # no model_index.json
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] database: cannot connect to 127.0.0.1:1/none" in out
    assert "fix: start PostgreSQL" in out
    assert "[FAIL] media: " in out and "is not a folder" in out
    assert "[FAIL] model: " in out and "no model_index.json" in out
    assert "3 problem(s) found." in out


def test_a_schema_that_is_behind(instance: Path, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEDIVERSE_AI_DATABASE_URL", f"sqlite+aiosqlite:///{instance}/other.db")
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] schema: the database has no tables yet" in out and "fix: run `fediverse-ai migrate`" in out


def test_a_hub_model_that_was_never_downloaded(instance: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(instance / "hf"))
    monkeypatch.setenv("FEDIVERSE_AI_GENERATION_MODEL", "example/never-downloaded")
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] model: example/never-downloaded is not downloaded yet" in out
    assert "fix: run `fediverse-ai model pull example/never-downloaded`" in out
    assert "generation.offline_tiny_model = true" in out


def test_optional_generation_parts_are_checked_when_switched_on(
    instance: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FEDIVERSE_AI_GENERATION_MODEL", str(model_folder(instance)))
    monkeypatch.setenv("FEDIVERSE_AI_GENERATION_TAESD", str(instance / "no-taesd"))
    monkeypatch.setenv("FEDIVERSE_AI_GENERATION_C2PA", "true")
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] taesd: " in out and "fix: set generation.taesd" in out
    assert "[warn] c2pa: a signing certificate will be created" in out
