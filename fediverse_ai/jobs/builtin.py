"""Handlers the job system itself needs: a no-op used by `doctor` and bench/jobs.py to measure
the queue, and the periodic expiry of finished jobs."""

from __future__ import annotations

from .registry import job_handler
from .worker import JobContext


@job_handler("system.noop", lane="system", max_attempts=1)
async def noop(ctx: JobContext) -> None:
    """Does nothing: moving it through the queue measures the queue alone."""
