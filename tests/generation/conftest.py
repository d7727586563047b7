"""The tiny random-weight pipeline, saved to disk once per test session and loaded back through
from_pretrained exactly like a real model; settings that point the generation lane at it."""

from __future__ import annotations

from pathlib import Path

import pytest

from fediverse_ai.config import Settings
from fediverse_ai.generation.tiny import save_tiny_pipeline
from fediverse_ai.models import Account
from fediverse_ai.runtime import Runtime
from fediverse_ai.services.accounts import create_local_user


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_pipeline(tmp_path_factory.mktemp("models") / "tiny")


@pytest.fixture
def settings(settings: Settings, tiny_model: Path, tmp_path: Path) -> Settings:
    return settings.replace(
        generation__model=str(tiny_model),
        generation__device="cpu",
        generation__batch_window_ms=0,
        generation__c2pa_dir=tmp_path / "c2pa",
    )


async def make_user(runtime: Runtime, username: str) -> Account:
    async with runtime.db.transaction() as session:
        created = await create_local_user(
            session, runtime.settings, username=username, email=f"{username}@social.test", password="correct horse 1"
        )
    return created.account
