"""Job kinds: a name, the lane that runs it, its handler and how many attempts it gets.

Modules register their handlers with ``@job_handler``; ``load_handlers`` imports them all so a
worker process knows every kind it may claim.

A kind may add a batch handler (``@batch_handler``): the worker then hands it up to
``max_batch`` claimed jobs of that kind at once, so a busy lane pays for one transaction per
batch instead of one per job (the inbox lane). The batch handler answers each job's outcome:
None (done), the exception the single handler would have raised (recorded by the same retry
policy), or RUN_ALONE (the worker runs the single handler for that job, e.g. one that must
fetch from the network and should not hold the batch up).
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..config import LANES

if TYPE_CHECKING:
    from .worker import JobContext

Handler = Callable[["JobContext"], Awaitable[None]]


class RunAlone:
    """The outcome 'run this job with the single handler' (see the module docstring)."""

    def __repr__(self) -> str:
        return "RUN_ALONE"


RUN_ALONE = RunAlone()
Outcome = BaseException | RunAlone | None
BatchHandler = Callable[[list["JobContext"]], Awaitable[list[Outcome]]]

# Modules whose import registers handlers; grows as lanes gain work.
HANDLER_MODULES = (
    "fediverse_ai.jobs.builtin",
    "fediverse_ai.activitypub.delivery",
    "fediverse_ai.activitypub.inbox_jobs",
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
    batch: BatchHandler | None = None
    max_batch: int = 1


_KINDS: dict[str, JobKind] = {}


def job_handler(name: str, *, lane: str, max_attempts: int = 5) -> Callable[[Handler], Handler]:
    if lane not in LANES:
        raise ValueError(f"unknown lane {lane!r}")

    def register(fn: Handler) -> Handler:
        existing = _KINDS.get(name)
        if existing is not None and existing.handler is not fn:
            raise ValueError(f"job kind {name!r} registered twice")
        if existing is None:
            _KINDS[name] = JobKind(name, lane, fn, max_attempts)
        return fn

    return register


def batch_handler(name: str, *, max_batch: int) -> Callable[[BatchHandler], BatchHandler]:
    """Add a batch handler to the kind ``name`` (registered first with ``@job_handler``)."""
    if max_batch < 1:
        raise ValueError("max_batch must be at least 1")

    def register(fn: BatchHandler) -> BatchHandler:
        kind = _KINDS.get(name)
        if kind is None:
            raise ValueError(f"job kind {name!r} must be registered before its batch handler")
        if kind.batch is not None and kind.batch is not fn:
            raise ValueError(f"job kind {name!r} has a batch handler already")
        _KINDS[name] = dataclasses.replace(kind, batch=fn, max_batch=max_batch)
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
