"""Job kinds: a name, the lane that runs it, its handler and how many attempts it gets.

Modules register their handlers with ``@job_handler``; ``load_handlers`` imports them all so a
worker process knows every kind it may claim.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..config import LANES

if TYPE_CHECKING:
    from .worker import JobContext

Handler = Callable[["JobContext"], Awaitable[None]]

# Modules whose import registers handlers; grows as lanes gain work.
HANDLER_MODULES = (
    "fediverse_ai.jobs.builtin",
    "fediverse_ai.activitypub.delivery",
    "fediverse_ai.activitypub.inbox",
    "fediverse_ai.activitypub.threads",
    "fediverse_ai.activitypub.media_cache",
    "fediverse_ai.generation.worker",
    "fediverse_ai.services.prompt_posts",
    "fediverse_ai.services.imagine_bot",
)


@dataclass(frozen=True)
class JobKind:
    name: str
    lane: str
    handler: Handler
    max_attempts: int


_KINDS: dict[str, JobKind] = {}


def job_handler(name: str, *, lane: str, max_attempts: int = 5) -> Callable[[Handler], Handler]:
    if lane not in LANES:
        raise ValueError(f"unknown lane {lane!r}")

    def register(fn: Handler) -> Handler:
        existing = _KINDS.get(name)
        if existing is not None and existing.handler is not fn:
            raise ValueError(f"job kind {name!r} registered twice")
        _KINDS[name] = JobKind(name, lane, fn, max_attempts)
        return fn

    return register


def get_kind(name: str) -> JobKind:
    """The kind called ``name``; the handler modules are imported on first need, so a service
    can enqueue in any process (web, worker, CLI) without each importing them first."""
    if name not in _KINDS:
        load_handlers()
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(f"no handler registered for job kind {name!r}") from None


def registered() -> dict[str, Any]:
    return dict(_KINDS)


def load_handlers() -> None:
    for module in HANDLER_MODULES:
        importlib.import_module(module)
