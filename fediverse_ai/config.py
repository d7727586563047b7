"""One typed Settings object, loaded from TOML and overridden by FEDIVERSE_AI_* variables.

Every setting lives in a frozen dataclass section so the rest of the code gets types, not dict
lookups. Loading validates each value and raises ConfigError naming the exact setting
(``database.url``), so start-up can print one clear line instead of a traceback.
The documented list of all settings is config.example.toml at the top of the repository.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

ENV_PREFIX = "FEDIVERSE_AI_"
DEFAULT_CONFIG_PATH = Path("config.toml")
LANES = ("delivery", "inbox", "fetch", "generation", "media", "system")


class ConfigError(Exception):
    """A setting is missing or invalid; ``setting`` names it as dotted TOML path."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(f"{setting}: {message}")
        self.setting = setting
        self.message = message


@dataclass(frozen=True)
class InstanceSettings:
    domain: str = "localhost:8000"
    scheme: Literal["https", "http"] = "https"
    name: str = "fediverse_ai"
    description: str = "AI-generated images, federated."
    contact_email: str = ""
    # The instance's rules, one per line (shown on the about page).
    rules: str = ""

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.domain}"


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite+aiosqlite:///data/fediverse_ai.db"
    pool_size: int = 10
    echo: bool = False


@dataclass(frozen=True)
class MediaSettings:
    dir: Path = Path("data/media")
    max_upload_bytes: int = 16 * 1024 * 1024
    max_image_pixels: int = 40_000_000


@dataclass(frozen=True)
class GenerationSettings:
    model: str = "stabilityai/sd-turbo"
    device: Literal["auto", "cpu", "cuda", "mps"] = "auto"
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = "auto"
    offline_tiny_model: bool = False
    tiny_model_dir: Path = Path("data/models/tiny")
    max_steps: int = 50
    max_width: int = 1024
    max_height: int = 1024
    max_count: int = 4
    batch_window_ms: int = 250
    max_batch: int = 8
    # 0 (or a negative guidance) means "the model's own default" (see generation/recipe.py).
    default_steps: int = 0
    default_guidance: float = -1.0
    default_size: int = 0
    # An AutoencoderTiny (TAESD) to decode with instead of the model's VAE: hub id or folder.
    taesd: str = ""
    compile: bool = False
    c2pa: bool = False
    c2pa_dir: Path = Path("data/c2pa")
    safety_classifier: str = ""
    safety_labels: str = "nsfw,porn,hentai,sexy"
    safety_threshold: float = 0.5
    # A post whose text starts with this asks for an image (any client app can send one).
    prompt_marker: str = "/imagine"
    # The model's licence as its publisher names it (shown on the about page), e.g. "openrail++".
    model_license: str = ""
    bot_username: str = "imagine"
    bot_remote: bool = False
    bot_per_account_per_day: int = 10
    bot_per_host_per_day: int = 50


@dataclass(frozen=True)
class WorkerSettings:
    in_process: bool = True
    lanes: dict[str, int] = field(
        default_factory=lambda: {
            # generation 2: one batch writes its files while the next is in the pipeline (which
            # runs one call at a time), so the GPU does not wait for the CPU.
            "delivery": 8, "inbox": 4, "fetch": 4, "generation": 2, "media": 2, "system": 1,
        }
    )
    poll_interval_s: float = 1.0
    lease_s: int = 300
    done_retention_s: int = 86_400
    failed_retention_s: int = 14 * 86_400


@dataclass(frozen=True)
class RegistrationSettings:
    mode: Literal["open", "approval", "closed", "invite"] = "approval"


@dataclass(frozen=True)
class LimitSettings:
    max_post_chars: int = 500
    max_prompt_chars: int = 1000
    inbox_max_bytes: int = 1024 * 1024
    generations_per_day: int = 100
    concurrent_generations: int = 2
    generation_queue_limit: int = 200
    api_requests_per_window: int = 300
    api_window_s: int = 300


@dataclass(frozen=True)
class FederationSettings:
    allow_private_addresses: bool = False
    request_timeout_s: float = 10.0
    user_agent: str = ""
    max_fetch_bytes: int = 2 * 1024 * 1024
    actor_refresh_s: int = 86_400
    signature_max_age_s: int = 12 * 3600
    signature_max_future_s: int = 3600


@dataclass(frozen=True)
class LoggingSettings:
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["auto", "json", "text"] = "auto"


@dataclass(frozen=True)
class Settings:
    instance: InstanceSettings = field(default_factory=InstanceSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    media: MediaSettings = field(default_factory=MediaSettings)
    generation: GenerationSettings = field(default_factory=GenerationSettings)
    workers: WorkerSettings = field(default_factory=WorkerSettings)
    registration: RegistrationSettings = field(default_factory=RegistrationSettings)
    limits: LimitSettings = field(default_factory=LimitSettings)
    federation: FederationSettings = field(default_factory=FederationSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    source: Path | None = None

    def replace(self, **sections: Any) -> Settings:
        """Copy with whole sections or ``section__key`` values changed (used by init and tests)."""
        changes: dict[str, Any] = {}
        for key, value in sections.items():
            if "__" in key:
                section, name = key.split("__", 1)
                current = changes.get(section, getattr(self, section))
                changes[section] = dataclasses.replace(current, **{name: value})
            else:
                changes[key] = value
        return dataclasses.replace(self, **changes)


def section_fields() -> dict[str, list[dataclasses.Field[Any]]]:
    """Every section name with its fields, in declaration order (docs and tests walk this)."""
    hints = typing.get_type_hints(Settings)
    return {
        f.name: list(dataclasses.fields(hints[f.name]))
        for f in dataclasses.fields(Settings)
        if f.name != "source"
    }


def load_settings(path: Path | str | None = None, env: dict[str, str] | None = None) -> Settings:
    """Read the TOML file (if any), apply FEDIVERSE_AI_<SECTION>_<KEY> overrides, validate.

    The path comes from the argument, then FEDIVERSE_AI_CONFIG, then ./config.toml. A missing
    file is fine only when it was not asked for explicitly: defaults plus environment work.
    """
    env = dict(os.environ if env is None else env)
    explicit = path is not None or f"{ENV_PREFIX}CONFIG" in env
    config_path = Path(path or env.get(f"{ENV_PREFIX}CONFIG") or DEFAULT_CONFIG_PATH)
    raw: dict[str, Any] = {}
    if config_path.exists():
        try:
            raw = tomllib.loads(config_path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(str(config_path), f"is not valid TOML ({exc})") from None
    elif explicit:
        raise ConfigError("config", f"file {config_path} does not exist (run `fediverse-ai init`)")

    sections = section_fields()
    for name in raw:
        if name not in sections:
            raise ConfigError(name, f"unknown section; known: {', '.join(sections)}")
        if not isinstance(raw[name], dict):
            raise ConfigError(name, "must be a table, like [" + name + "]")

    hints = typing.get_type_hints(Settings)
    built: dict[str, Any] = {}
    for section, fields in sections.items():
        values = dict(raw.get(section, {}))
        known = {f.name for f in fields}
        for key in values:
            if key not in known:
                raise ConfigError(f"{section}.{key}", f"unknown setting; known: {', '.join(known)}")
        section_hints = typing.get_type_hints(hints[section])
        kwargs: dict[str, Any] = {}
        for f in fields:
            dotted = f"{section}.{f.name}"
            env_key = f"{ENV_PREFIX}{section}_{f.name}".upper()
            if env_key in env:
                kwargs[f.name] = _from_env(dotted, env[env_key], section_hints[f.name])
            elif f.name in values:
                kwargs[f.name] = _coerce(dotted, values[f.name], section_hints[f.name])
        built[section] = hints[section](**kwargs)
    settings = Settings(**built, source=config_path if config_path.exists() else None)
    _validate(settings)
    return settings


def _from_env(dotted: str, text: str, hint: Any) -> Any:
    """Environment values are strings; dicts use ``a=1,b=2`` (e.g. worker lanes)."""
    if get_origin(hint) is dict:
        pairs: dict[str, Any] = {}
        for item in filter(None, (p.strip() for p in text.split(","))):
            if "=" not in item:
                raise ConfigError(dotted, f"expected name=value pairs separated by commas, got {item!r}")
            key, value = item.split("=", 1)
            pairs[key.strip()] = value.strip()
        return _coerce(dotted, pairs, hint)
    return _coerce(dotted, text, hint)


def _coerce(dotted: str, value: Any, hint: Any) -> Any:
    origin = get_origin(hint)
    if origin is Literal:
        allowed = get_args(hint)
        if value not in allowed:
            raise ConfigError(dotted, f"must be one of {', '.join(map(str, allowed))}; got {value!r}")
        return value
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in get_args(hint) if a is not type(None)]
        return None if value is None else _coerce(dotted, value, inner[0])
    if origin is dict:
        _key_type, value_type = get_args(hint)
        if not isinstance(value, dict):
            raise ConfigError(dotted, "must be a table of name = value")
        return {str(k): _coerce(f"{dotted}.{k}", v, value_type) for k, v in value.items()}
    if hint is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
            return value.lower() in {"1", "true", "yes", "on"}
        raise ConfigError(dotted, f"must be true or false; got {value!r}")
    if hint is int:
        if isinstance(value, bool):
            raise ConfigError(dotted, f"must be a whole number; got {value!r}")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(dotted, f"must be a whole number; got {value!r}") from None
    if hint is float:
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(dotted, f"must be a number; got {value!r}") from None
    if hint is Path:
        if not isinstance(value, str) or not value:
            raise ConfigError(dotted, f"must be a path; got {value!r}")
        return Path(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(dotted, f"must be a string; got {value!r}")
        return value
    raise ConfigError(dotted, f"unsupported setting type {hint!r}")  # pragma: no cover


_DOMAIN = re.compile(r"^[a-z0-9.-]+(:\d{1,5})?$")


def _validate(s: Settings) -> None:
    """Cross-field checks a type alone cannot express."""
    if not _DOMAIN.match(s.instance.domain):
        raise ConfigError(
            "instance.domain",
            f"must be a lower-case host name with an optional port, like social.example; got {s.instance.domain!r}",
        )
    if not s.database.url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ConfigError(
            "database.url",
            "must start with sqlite+aiosqlite:// or postgresql+asyncpg://; "
            f"got {s.database.url.split('://')[0]!r}",
        )
    if not 0 < s.server.port < 65536:
        raise ConfigError("server.port", f"must be between 1 and 65535; got {s.server.port}")
    for lane, concurrency in s.workers.lanes.items():
        if lane not in LANES:
            raise ConfigError(f"workers.lanes.{lane}", f"unknown lane; known: {', '.join(LANES)}")
        if concurrency < 0:
            raise ConfigError(f"workers.lanes.{lane}", "concurrency must be 0 or more")
    positive = {
        "workers.lease_s": s.workers.lease_s,
        "workers.poll_interval_s": s.workers.poll_interval_s,
        "generation.max_steps": s.generation.max_steps,
        "generation.max_batch": s.generation.max_batch,
        "generation.max_count": s.generation.max_count,
        "generation.max_width": s.generation.max_width,
        "generation.max_height": s.generation.max_height,
        "limits.inbox_max_bytes": s.limits.inbox_max_bytes,
        "limits.api_requests_per_window": s.limits.api_requests_per_window,
        "limits.api_window_s": s.limits.api_window_s,
        "media.max_upload_bytes": s.media.max_upload_bytes,
        "federation.request_timeout_s": s.federation.request_timeout_s,
        "federation.max_fetch_bytes": s.federation.max_fetch_bytes,
    }
    for name, value in positive.items():
        if value <= 0:
            raise ConfigError(name, f"must be greater than 0; got {value}")
