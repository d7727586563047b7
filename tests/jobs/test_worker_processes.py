"""Workers as separate processes, the way operators run them: a SIGKILL mid-job loses nothing,
and two workers on one database never run the same job twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from fediverse_ai.config import Settings
from fediverse_ai.jobs import enqueue
from fediverse_ai.models import Job
from fediverse_ai.runtime import Runtime
from tests.jobs import handlers  # noqa: F401  (registers the test job kinds)

ROOT = Path(__file__).parents[2]


def start_worker(settings: Settings, *args: str, lease_s: int = 300) -> subprocess.Popen[str]:
    env = os.environ | {
        "FEDIVERSE_AI_DATABASE_URL": settings.database.url,
        "FEDIVERSE_AI_WORKERS_LEASE_S": str(lease_s),
        "FEDIVERSE_AI_WORKERS_POLL_INTERVAL_S": "0.1",
        "FEDIVERSE_AI_LOGGING_FORMAT": "json",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tests.jobs.worker_main", "worker", "--lane", "system", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def wait_for(predicate, what: str, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    """Wait on another process's visible effect (a line in a file), failing with a reason."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


async def test_a_job_whose_worker_is_killed_runs_again_and_finishes_once(
    runtime: Runtime, settings: Settings, tmp_path: Path
) -> None:
    log, gate = tmp_path / "log", tmp_path / "gate"
    async with runtime.db.transaction() as session:
        job_id = await enqueue(session, "tests.block", {"log": str(log), "gate": str(gate)})

    # Given a worker process that is in the middle of the job
    first = start_worker(settings, lease_s=2)
    wait_for(lambda: any(line.startswith("start") for line in lines(log)), "the first worker to start the job")
    # When it is killed without a chance to clean up
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    async with runtime.db.session() as session:
        assert (await session.execute(select(Job.state).where(Job.id == job_id))).scalar_one() == "running"

    # Then another worker takes the job over once the lease runs out, and it finishes once
    gate.touch()
    second = start_worker(settings, lease_s=2)
    try:
        wait_for(lambda: any(line.startswith("finish") for line in lines(log)), "the second worker to finish")
    finally:
        second.send_signal(signal.SIGTERM)
        output, _ = second.communicate(timeout=30)
    assert second.returncode == 0, output
    starts = [line for line in lines(log) if line.startswith("start")]
    finishes = [line for line in lines(log) if line.startswith("finish")]
    assert len(starts) == 2 and starts[0].split()[2] == str(first.pid)
    assert finishes == [f"finish {job_id} {second.pid}"]
    async with runtime.db.session() as session:
        done = (await session.execute(select(Job).where(Job.id == job_id))).scalar_one()
    assert (done.state, done.attempts) == ("done", 2)


async def test_two_workers_never_run_the_same_job_twice(
    runtime: Runtime, settings: Settings, tmp_path: Path
) -> None:
    log, gate = tmp_path / "log", tmp_path / "gate"
    total = 200
    async with runtime.db.transaction() as session:
        for _ in range(total):
            await enqueue(session, "tests.block", {"log": str(log), "gate": str(gate)})

    workers = [start_worker(settings, "--concurrency", "8", "--drain") for _ in range(2)]
    try:
        # Both workers hold jobs at the same moment before any job may finish.
        wait_for(lambda: len({line.split()[2] for line in lines(log)}) == 2, "both workers to claim jobs")
        gate.touch()
        outputs = [w.communicate(timeout=120)[0] for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
    assert [w.returncode for w in workers] == [0, 0], outputs
    finished = Counter(line.split()[1] for line in lines(log) if line.startswith("finish"))
    started = Counter(line.split()[1] for line in lines(log) if line.startswith("start"))
    assert len(finished) == total and set(finished.values()) == {1}
    assert started == finished
    by_worker = Counter(line.split()[2] for line in lines(log) if line.startswith("finish"))
    assert len(by_worker) == 2
    async with runtime.db.session() as session:
        states = (await session.execute(select(Job.state, Job.attempts))).all()
    assert set(states) == {("done", 1)}
