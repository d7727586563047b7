"""A generation running never delays the other lanes (ARCHITECTURE.md principle 6).

Federation is being built alongside; this test holds the generation lane busy with a long
generation and shows a job of another lane completing meanwhile. When the inbox lane handles
Follow, switch the quick job to a real Follow and assert its Accept is delivered.
"""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import select

from fediverse_ai.jobs import enqueue
from fediverse_ai.jobs.runner import Runner
from fediverse_ai.models import GenerationJob, Job
from fediverse_ai.runtime import Runtime
from fediverse_ai.services.generation import GenerationRequest, cancel_generation, request_generation
from tests.generation.conftest import make_user


async def state_of(runtime: Runtime, model, row_id: int) -> object:  # type: ignore[no-untyped-def]
    async with runtime.db.session() as session:
        return (await session.execute(select(model).where(model.id == row_id))).scalar_one()


async def until(check) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(60):
        while not await check():  # noqa: ASYNC110 (the state lives in the database)
            await asyncio.sleep(0.01)


async def test_a_follow_is_accepted_promptly_while_the_generation_lane_is_busy(runtime: Runtime) -> None:
    runtime.settings = runtime.settings.replace(generation__max_steps=10000)
    user = await make_user(runtime, "rae")
    async with runtime.db.transaction() as session:
        long = await request_generation(session, runtime.settings, user, GenerationRequest(prompt="slow", steps=10000))
    runner = Runner(runtime, {"generation": 1, "system": 1})
    await runner.start()
    try:
        async def generating() -> bool:
            return (await state_of(runtime, GenerationJob, long.id)).progress_step > 0  # type: ignore[attr-defined]

        await until(generating)
        started = time.perf_counter()
        async with runtime.db.transaction() as session:
            quick = await enqueue(session, "system.noop")  # stands in for Follow -> Accept

        async def quick_done() -> bool:
            return (await state_of(runtime, Job, quick)).state == "done"  # type: ignore[attr-defined]

        await until(quick_done)
        waited = time.perf_counter() - started
        still = await state_of(runtime, GenerationJob, long.id)
        assert still.state == "running"  # type: ignore[attr-defined]
        assert waited < 2.0, f"the other lane waited {waited:.2f}s behind the generation"
    finally:
        async with runtime.db.transaction() as session:
            await cancel_generation(session, user, long.id)  # stops the pipeline at its next step
        await runner.stop()
