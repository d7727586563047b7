"""`model pull`, `model make-tiny`, `generate`, `prompt-filter`, and what start-up says about the model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fediverse_ai.cli import main
from fediverse_ai.cli.model import startup_notice
from fediverse_ai.config import Settings
from fediverse_ai.generation.tiny import save_tiny_pipeline


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_pipeline(tmp_path_factory.mktemp("models") / "tiny")


def test_make_tiny_writes_a_diffusers_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["model", "make-tiny", str(tmp_path / "tiny")]) == 0
    assert (tmp_path / "tiny" / "model_index.json").exists()
    assert (tmp_path / "tiny" / "unet" / "diffusion_pytorch_model.safetensors").exists()
    assert "generation.model" in capsys.readouterr().out


def test_pull_without_the_hub_fails_clearly(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEDIVERSE_AI_")}
    env |= {"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path / "hf")}
    done = subprocess.run([sys.executable, "-m", "fediverse_ai", "model", "pull", "example/not-here"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "the model example/not-here could not be downloaded" in done.stderr
    assert "offline_tiny_model = true" in done.stderr and "Traceback" not in done.stderr


def test_pull_refuses_a_local_folder(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["model", "pull", str(tiny)]) == 1
    assert "is a local folder" in capsys.readouterr().err


def test_start_up_names_an_unavailable_model_and_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    notice = startup_notice(Settings().replace(generation__model="example/offline"))
    assert notice is not None and "The image model is unavailable: example/offline is not downloaded yet" in notice
    assert "fediverse-ai model pull example/offline" in notice
    assert startup_notice(Settings().replace(generation__offline_tiny_model=True)) is None


def test_generate_and_the_prompt_filter_from_the_command_line(
    settings: Settings, tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key, value in {
        "DATABASE_URL": settings.database.url, "MEDIA_DIR": str(tmp_path / "media"),
        "GENERATION_MODEL": str(tiny), "GENERATION_DEVICE": "cpu", "GENERATION_BATCH_WINDOW_MS": "0",
    }.items():
        monkeypatch.setenv(f"FEDIVERSE_AI_{key}", value)
    monkeypatch.chdir(tmp_path)
    assert main(["user", "create", "sam", "--email", "sam@social.test", "--password", "correct horse 1"]) == 0
    assert main(["prompt-filter", "add", "volcano", "--reason", "no volcanoes please"]) == 0
    assert main(["prompt-filter", "list"]) == 0
    assert "no volcanoes please" in capsys.readouterr().out
    assert main(["generate", "a volcano", "--user", "sam"]) == 1
    assert "this prompt cannot be generated here: no volcanoes please" in capsys.readouterr().err
    assert main(["generate", "a quiet lake", "--user", "sam", "--seed", "5", "--steps", "1"]) == 0
    out = capsys.readouterr().out
    png = next(line for line in out.splitlines() if line.endswith(".png"))
    assert Path(png).exists() and '"seed": 5' in out and '"prompt": "a quiet lake"' in out


def test_init_creates_the_c2pa_certificate_when_signing_is_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FEDIVERSE_AI_GENERATION_C2PA", "true")
    assert main(["init"]) == 0
    assert "C2PA signing certificate in data/c2pa" in capsys.readouterr().out
    assert (tmp_path / "data" / "c2pa" / "chain.pem").exists()
    assert (tmp_path / "data" / "c2pa" / "signing-key.pem").stat().st_mode & 0o077 == 0


def test_a_generation_worker_says_at_start_that_the_model_is_unavailable(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FEDIVERSE_AI_DATABASE_URL", settings.database.url)
    monkeypatch.setenv("FEDIVERSE_AI_GENERATION_MODEL", str(tmp_path / "gone"))
    monkeypatch.chdir(tmp_path)
    assert main(["worker", "--lane", "generation", "--drain"]) == 0
    out = capsys.readouterr().out
    assert "The image model is unavailable: the model folder" in out and "drained: 0 job(s)" in out
