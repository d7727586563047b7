"""Job kinds used only by the tests, registered by importing this module (the test process
and the worker processes started by tests/jobs/worker_main.py both import it).

Handlers report what they did by appending lines to a file named in the payload, so a test
can see what happened in another process, even one it killed.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from fediverse_ai.jobs import JobContext, JobError, PermanentJobError, job_handler
from fediverse_ai.jobs.registry import RUN_ALONE, Outcome, batch_handler


def append(path: str, line: str) -> None:
    with open(path, "a") as f:  # one short write per line: atomic with O_APPEND
        f.write(line + "\n")


@job_handler("tests.block", lane="system", max_attempts=5)
async def block(ctx: JobContext) -> None:
    """Logs its start, waits until the gate file exists, logs its finish."""
    append(ctx.payload["log"], f"start {ctx.job.id} {os.getpid()}")
    # The gate is opened by another process, so there is no in-process event to await.
    while not Path(ctx.payload["gate"]).exists():  # noqa: ASYNC240, ASYNC110
        await asyncio.sleep(0.02)
    append(ctx.payload["log"], f"finish {ctx.job.id} {os.getpid()}")


@job_handler("tests.fail", lane="system", max_attempts=3)
async def fail(ctx: JobContext) -> None:
    """Fails the way the payload says: crash, retryable error with a status, or permanent."""
    mode = ctx.payload["mode"]
    if mode == "crash":
        raise RuntimeError("the handler crashed")
    if mode == "permanent":
        raise PermanentJobError("the object is gone", status=410)
    raise JobError("the remote server is busy", status=429, retry_after=ctx.payload.get("retry_after"))


@job_handler("tests.batched", lane="system", max_attempts=3)
async def batched_alone(ctx: JobContext) -> None:
    """The single handler of a kind with a batch handler: runs the jobs the batch hands back."""
    append(ctx.payload["log"], f"alone {ctx.payload['n']}")


@batch_handler("tests.batched", max_batch=3)
async def batched(jobs: list[JobContext]) -> list[Outcome]:
    """Logs each batch; each job's payload says its outcome, and "explode" fails the whole batch."""
    append(jobs[0].payload["log"], "batch " + " ".join(str(j.payload["n"]) for j in jobs))
    if any(j.payload["mode"] == "explode" for j in jobs):
        raise RuntimeError("the batch handler crashed")
    answers: dict[str, Outcome] = {"ok": None, "alone": RUN_ALONE, "crash": RuntimeError("item crashed"),
                                   "permanent": PermanentJobError("bad item", status=422)}
    return [answers[j.payload["mode"]] for j in jobs]
