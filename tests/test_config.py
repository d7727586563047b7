"""Settings: defaults, the TOML file, FEDIVERSE_AI_* overrides, and errors that name the setting."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from fediverse_ai.config import ConfigError, load_settings, section_fields

EXAMPLE = Path(__file__).parents[1] / "config.example.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(env={})
    assert settings.database.url.startswith("sqlite+aiosqlite://")
    assert settings.workers.lanes["generation"] == 2  # one batch writes its files while the next is on the GPU
    assert settings.source is None


def test_file_values_and_environment_overrides(tmp_path: Path) -> None:
    path = write(tmp_path, '[instance]\ndomain = "pics.example"\n[server]\nport = 9000\n')
    settings = load_settings(path, env={
        "FEDIVERSE_AI_SERVER_PORT": "9100",
        "FEDIVERSE_AI_WORKERS_LANES": "delivery=16, generation=0",
        "FEDIVERSE_AI_WORKERS_IN_PROCESS": "false",
    })
    assert settings.instance.domain == "pics.example"
    assert settings.instance.base_url == "https://pics.example"
    assert settings.server.port == 9100
    assert settings.workers.lanes == {"delivery": 16, "generation": 0}
    assert settings.workers.in_process is False


@pytest.mark.parametrize(
    ("text", "env", "setting"),
    [
        ('[database]\nurl = "mysql://x"\n', {}, "database.url"),
        ('[server]\nport = "eighty"\n', {}, "server.port"),
        ('[server]\nport = 70000\n', {}, "server.port"),
        ('[instance]\ndomian = "x"\n', {}, "instance.domian"),
        ('[instanse]\ndomain = "x"\n', {}, "instanse"),
        ('[registration]\nmode = "sometimes"\n', {}, "registration.mode"),
        ('[workers]\nlanes = { email = 2 }\n', {}, "workers.lanes.email"),
        ("", {"FEDIVERSE_AI_WORKERS_LEASE_S": "0"}, "workers.lease_s"),
        ("", {"FEDIVERSE_AI_GENERATION_DEVICE": "tpu"}, "generation.device"),
        ("", {"FEDIVERSE_AI_INSTANCE_DOMAIN": "Bad Domain"}, "instance.domain"),
        ("[server\n", {}, "config.toml"),
    ],
)
def test_a_bad_setting_is_named(tmp_path: Path, text: str, env: dict[str, str], setting: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env=env)
    assert caught.value.setting.endswith(setting)
    assert str(caught.value).startswith(caught.value.setting)


def test_an_explicit_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(env={"FEDIVERSE_AI_CONFIG": str(tmp_path / "nope.toml")})


def test_the_example_documents_every_setting_and_loads_as_is() -> None:
    example = tomllib.loads(EXAMPLE.read_text())
    for section, fields in section_fields().items():
        assert section in example, f"config.example.toml lacks [{section}]"
        for f in fields:
            assert f.name in example[section], f"config.example.toml lacks {section}.{f.name}"
    settings = load_settings(EXAMPLE, env={})
    assert settings.source == EXAMPLE
