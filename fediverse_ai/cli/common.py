"""What every subcommand shares: loading settings, opening a runtime, running a coroutine."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from ..config import Settings, load_settings
from ..logs import configure_logging
from ..runtime import Runtime
from ..schema import check_current

T = TypeVar("T")


class CommandFailed(Exception):
    """A command could not do what was asked; the message says why and what to do."""


def settings_from(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.config)
    if getattr(args, "tiny_model", False):  # `run --tiny-model`: try everything offline
        settings = settings.replace(generation__offline_tiny_model=True)
    return settings


def run_with_runtime(
    args: argparse.Namespace,
    body: Callable[[Runtime], Awaitable[T]],
    *,
    require_schema: bool = True,
    log: bool = False,
) -> T:
    """Load settings, open the database, refuse a schema that is behind, run ``body``."""
    settings = settings_from(args)
    if log:
        configure_logging(settings.logging.level, settings.logging.format)

    async def go() -> T:
        runtime = Runtime.from_settings(settings)
        try:
            if require_schema:
                await check_current(runtime.db)
            return await body(runtime)
        finally:
            await runtime.close()

    return asyncio.run(go())
