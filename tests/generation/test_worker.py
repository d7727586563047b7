"""The generation lane end to end on the real diffusers code path (tiny model, CPU): a request
becomes a queued job, the worker runs it, and the images land as media with their recipe."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from fediverse_ai.generation.classifier import Flag
from fediverse_ai.generation.pipeline import ImageSpec, load_pipeline
from fediverse_ai.generation.tiny import save_tiny_classifier
from fediverse_ai.ids import new_id
from fediverse_ai.jobs import Worker, queue
from fediverse_ai.jobs.registry import load_handlers
from fediverse_ai.media import StoredImage
from fediverse_ai.models import AuditEvent, GenerationJob, Job, MediaAttachment
from fediverse_ai.runtime import Runtime
from fediverse_ai.services.generation import (
    GenerationRequest,
    cancel_generation,
    describe_generation,
    queue_position,
    request_generation,
)
from fediverse_ai.services.generation_runs import Completed, FinishedImage, complete_generations, start_generations
from tests.generation.conftest import make_user

load_handlers()


async def request(runtime: Runtime, account, prompt: str = "a lighthouse at dusk", **params) -> GenerationJob:  # type: ignore[no-untyped-def]
    async with runtime.db.transaction() as session:
        return await request_generation(session, runtime.settings, account, GenerationRequest(prompt=prompt, **params))


async def reload(runtime: Runtime, job_id: int) -> GenerationJob:
    async with runtime.db.session() as session:
        return (await session.execute(select(GenerationJob).where(GenerationJob.id == job_id))).scalar_one()


async def media_of(runtime: Runtime, job_id: int) -> list[MediaAttachment]:
    async with runtime.db.session() as session:
        return list((await session.execute(
            select(MediaAttachment).where(MediaAttachment.generation_job_id == job_id)
            .order_by(MediaAttachment.position)
        )).scalars())


async def test_a_request_is_queued_run_and_stored_as_media(runtime: Runtime) -> None:
    # Given a user who asks for two images without a seed
    alice = await make_user(runtime, "alice")
    job = await request(runtime, alice, count=2)
    assert (job.state, job.steps, job.width, job.height) == ("queued", 2, 64, 64)  # the tiny model's defaults
    assert 0 <= job.seed < 2**32  # a random seed, recorded
    # When the generation lane takes one step
    assert await Worker(runtime, "generation").run_once() == 1
    # Then the job is done with full progress, and both images are media with files and recipes
    done = await reload(runtime, job.id)
    assert (done.state, done.progress_step, done.error) == ("done", 2, None)
    assert done.recipe is not None and done.recipe["seed"] == job.seed
    media = await media_of(runtime, job.id)
    assert [m.recipe["seed"] for m in media] == [job.seed, job.seed + 1]  # type: ignore[index]
    for m in media:
        assert (m.width, m.height, m.generated, m.processing, m.account_id) == (64, 64, True, "ready", alice.id)
        assert m.blurhash and len(m.blurhash) >= 6
        for rel in (m.file_path, m.preview_path, m.thumbnail_path):
            assert (runtime.settings.media.dir / str(rel)).stat().st_size > 0
        assert m.recipe["model"] == "fediverse-ai/tiny-random-sd"  # type: ignore[index]
        assert m.recipe["prompt"] == "a lighthouse at dusk"  # type: ignore[index]
        assert {"diffusers", "torch", "transformers"} <= set(m.recipe["versions"])  # type: ignore[index]
    async with runtime.db.session() as session:
        actions = (await session.execute(
            select(AuditEvent.action).where(AuditEvent.target_id == job.id).order_by(AuditEvent.id)
        )).scalars().all()
    assert actions == ["generation.request", "generation.done"]
    async with runtime.db.session() as session:
        shown = await describe_generation(session, done)
    assert (shown["state"], shown["queue_position"], shown["progress"]) == ("done", None, {
        "step": 2, "steps": 2, "phase": None})
    assert shown["media_ids"] == [str(m.id) for m in media] and shown["seed"] == job.seed


async def test_compatible_jobs_of_several_users_run_as_one_batch(runtime: Runtime) -> None:
    # Given three users' compatible requests and one that asks for more steps
    users = [await make_user(runtime, name) for name in ("ann", "bob", "cyd")]
    jobs = [await request(runtime, u, f"prompt of {u.username}", seed=7) for u in users]
    other = await request(runtime, users[0], "a slower one", steps=3)
    # When the lane's worker claims a single job
    assert await Worker(runtime, "generation", concurrency=1).run_once() == 1
    # Then all three compatible jobs were generated together in that one step
    finished = [await reload(runtime, j.id) for j in jobs]
    assert [j.state for j in finished] == ["done"] * 3
    assert len({j.started_at for j in finished}) == 1  # one pipeline call
    assert (await reload(runtime, other.id)).state == "queued"
    async with runtime.db.session() as session:
        rows = (await session.execute(select(Job.payload, Job.state).where(Job.kind == "generation.run"))).all()
    states = {payload["generation_job_id"]: state for payload, state in rows}
    assert [states[j.id] for j in jobs] == ["done"] * 3 and states[other.id] == "queued"
    # Same seed, different prompts: different images
    root = runtime.settings.media.dir
    files = {(root / str((await media_of(runtime, j.id))[0].file_path)).read_bytes() for j in jobs}
    assert len(files) == 3
    assert await Worker(runtime, "generation").run_once() == 1
    assert (await reload(runtime, other.id)).state == "done"


async def test_a_batch_never_holds_more_images_than_max_batch(runtime: Runtime) -> None:
    runtime.settings = runtime.settings.replace(generation__max_batch=3)
    user = await make_user(runtime, "dee")
    runtime.settings = runtime.settings.replace(limits__concurrent_generations=10)
    first, second, third = [await request(runtime, user, f"p{i}", count=2) for i in range(3)]
    assert await Worker(runtime, "generation").run_once() == 1
    # 2 + 2 images would exceed 3: the oldest runs alone, the others wait their turn in order
    assert [(await reload(runtime, j.id)).state for j in (first, second, third)] == ["done", "queued", "queued"]


async def test_queue_position_and_cancelling_a_queued_job(runtime: Runtime) -> None:
    user = await make_user(runtime, "eve")
    first = await request(runtime, user, "first")
    second = await request(runtime, user, "second")
    async with runtime.db.transaction() as session:
        assert (await describe_generation(session, await reload(runtime, second.id)))["queue_position"] == 1
        assert await queue_position(session, await reload(runtime, first.id)) == 0
        assert await queue_position(session, await reload(runtime, second.id)) == 1
        cancelled = await cancel_generation(session, user, first.id)
    assert cancelled.state == "cancelled"
    async with runtime.db.session() as session:
        assert await queue_position(session, await reload(runtime, second.id)) == 0
    worker = Worker(runtime, "generation")
    while await worker.run_once():
        pass
    assert (await reload(runtime, first.id)).state == "cancelled"
    assert await media_of(runtime, first.id) == []
    assert (await reload(runtime, second.id)).state == "done"


async def wait_for(predicate) -> None:  # type: ignore[no-untyped-def]
    """Wait for a state another task reaches (polling the database, bounded), not a fixed sleep."""
    async with asyncio.timeout(30):
        while not await predicate():  # noqa: ASYNC110 (the state lives in the database)
            await asyncio.sleep(0.01)


async def test_cancelling_a_running_job_stops_it_and_keeps_no_image(runtime: Runtime) -> None:
    runtime.settings = runtime.settings.replace(generation__max_steps=10000)
    user = await make_user(runtime, "fay")
    job = await request(runtime, user, steps=10000)
    step = asyncio.create_task(Worker(runtime, "generation").run_once())

    async def underway() -> bool:
        return (await reload(runtime, job.id)).progress_step > 0

    await wait_for(underway)
    async with runtime.db.transaction() as session:
        await cancel_generation(session, user, job.id)
    await step
    final = await reload(runtime, job.id)
    assert final.state == "cancelled" and final.progress_step < 10000
    assert await media_of(runtime, job.id) == []
    assert not list(runtime.settings.media.dir.rglob("*.png"))


async def test_a_missing_model_fails_the_job_with_the_reason_and_the_fix(runtime: Runtime, tmp_path: Path) -> None:
    runtime.settings = runtime.settings.replace(generation__model=str(tmp_path / "no-such-model"))
    user = await make_user(runtime, "gus")
    job = await request(runtime, user)
    assert await Worker(runtime, "generation").run_once() == 1
    failed = await reload(runtime, job.id)
    assert failed.state == "failed"
    assert "not available" in str(failed.error) and "no-such-model" in str(failed.error)
    assert "admin can fix it: point generation.model at a folder" in str(failed.error)
    async with runtime.db.session() as session:
        row = (await session.execute(select(Job).where(Job.kind == "generation.run"))).scalar_one()
    assert row.state == "failed" and "no-such-model" in str(row.last_error)


async def test_the_offline_switch_runs_the_whole_flow_on_the_built_in_tiny_model(
    runtime: Runtime, tmp_path: Path) -> None:
    runtime.settings = runtime.settings.replace(
        generation__model="example/unreachable", generation__offline_tiny_model=True,
        generation__tiny_model_dir=tmp_path / "tiny",
    )
    user = await make_user(runtime, "hal")
    job = await request(runtime, user, steps=1)
    assert await Worker(runtime, "generation").run_once() == 1
    assert (await reload(runtime, job.id)).state == "done"
    assert (tmp_path / "tiny" / "model_index.json").exists()


async def test_the_optional_classifier_marks_images_sensitive(runtime: Runtime, tmp_path: Path) -> None:
    classifier = save_tiny_classifier(tmp_path / "classifier")
    user = await make_user(runtime, "ike")
    runtime.settings = runtime.settings.replace(
        generation__safety_classifier=str(classifier), generation__safety_threshold=0.0,
        limits__concurrent_generations=5,
    )
    flagged = await request(runtime, user, "anything", seed=1)
    assert await Worker(runtime, "generation").run_once() == 1
    done = await reload(runtime, flagged.id)
    assert (done.state, done.sensitive) == ("done", True)
    async with runtime.db.session() as session:
        detail = (await session.execute(
            select(AuditEvent.detail).where(AuditEvent.action == "generation.done")
        )).scalar_one()
    assert detail["classifier"]["label"] == "nsfw"
    runtime.settings = runtime.settings.replace(generation__safety_threshold=1.01)
    clean = await request(runtime, user, "anything", seed=1)
    assert await Worker(runtime, "generation").run_once() == 1
    assert (await reload(runtime, clean.id)).sensitive is False


async def test_a_classifier_that_cannot_load_fails_the_generation(runtime: Runtime, tmp_path: Path) -> None:
    runtime.settings = runtime.settings.replace(generation__safety_classifier=str(tmp_path / "missing"))
    user = await make_user(runtime, "jay")
    job = await request(runtime, user)
    assert await Worker(runtime, "generation").run_once() == 1
    failed = await reload(runtime, job.id)
    assert failed.state == "failed" and "safety classifier" in str(failed.error)
    assert await media_of(runtime, job.id) == []


async def test_a_job_left_running_by_a_dead_worker_is_run_again(runtime: Runtime) -> None:
    user = await make_user(runtime, "kit")
    job = await request(runtime, user)
    # A worker claimed it (with a lease that has already run out) and started it, then died.
    assert len(await queue.claim(runtime.db, "generation", 1, "dead-worker", lease_s=-1)) == 1
    async with runtime.db.transaction() as session:
        await start_generations(session, [job.id])
    assert (await reload(runtime, job.id)).state == "running"
    assert await Worker(runtime, "generation").run_once() == 1  # the expired lease lets it be claimed
    assert (await reload(runtime, job.id)).state == "done"


async def test_two_workers_batching_at_once_never_run_a_job_twice(runtime: Runtime) -> None:
    runtime.settings = runtime.settings.replace(generation__max_batch=3)
    users = [await make_user(runtime, f"w{i}") for i in range(6)]
    jobs = [await request(runtime, u, f"prompt {i}") for i, u in enumerate(users)]
    first, second = Worker(runtime, "generation"), Worker(runtime, "generation")
    handled = sum(await asyncio.gather(first.run_once(), second.run_once()))
    while step := await first.run_once():
        handled += step
    # Both batches are full: the one that lost the first candidates to the other claimed the next ones
    assert handled == 2
    for job in jobs:
        assert (await reload(runtime, job.id)).state == "done"
        assert len(await media_of(runtime, job.id)) == 1


async def test_stopping_the_worker_ends_the_pipeline_early_and_hands_the_batch_back(runtime: Runtime) -> None:
    runtime.settings = runtime.settings.replace(generation__max_steps=10000)
    first, second = await make_user(runtime, "lee"), await make_user(runtime, "mo")
    leader = await request(runtime, first, "long", steps=10000)
    rider = await request(runtime, second, "long too", steps=10000)
    step = asyncio.create_task(Worker(runtime, "generation").run_once())

    async def underway() -> bool:
        return (await reload(runtime, leader.id)).progress_step > 0

    await wait_for(underway)
    step.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await step
    loaded = load_pipeline(runtime.settings.generation)
    # The pipeline thread stops at its next step (10000 steps would take far longer than this).
    assert await asyncio.to_thread(loaded._lock.acquire, timeout=20)
    loaded._lock.release()
    async with runtime.db.session() as session:
        rows = (await session.execute(select(Job.payload, Job.state))).all()
    states = {payload["generation_job_id"]: state for payload, state in rows}
    assert states[rider.id] == "queued"  # handed back for another worker
    assert (await reload(runtime, rider.id)).progress_step < 10000


def image_files(folder: Path) -> list[Path]:
    return [*folder.rglob("*.png"), *folder.rglob("*.jpg")]


async def test_images_that_cannot_be_saved_fail_the_job_with_the_reason_and_leave_no_files(
    runtime: Runtime, tmp_path: Path) -> None:
    # Given a media folder that cannot be created (its parent is a file)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the media folder's parent should be")
    runtime.settings = runtime.settings.replace(media__dir=blocker / "media", limits__concurrent_generations=5)
    user = await make_user(runtime, "nia")
    jobs = [await request(runtime, user, f"prompt {i}", count=2) for i in range(2)]
    # When the lane runs the batch
    assert await Worker(runtime, "generation").run_once() == 1
    # Then every job failed visibly with why, no media is ready, and no file was left behind
    for job in jobs:
        failed = await reload(runtime, job.id)
        assert failed.state == "failed" and failed.finished_at is not None
        assert str(failed.error).startswith("The images could not be saved: ")
        assert "not-a-folder" in str(failed.error)
        assert [m.processing for m in await media_of(runtime, job.id)] in ([], ["failed", "failed"])
    async with runtime.db.session() as session:
        actions = (await session.execute(select(AuditEvent.action).where(AuditEvent.target_id.in_(
            [j.id for j in jobs])))).scalars().all()
    assert sorted(actions) == ["generation.fail"] * 2 + ["generation.request"] * 2
    assert image_files(tmp_path) == []
    # And once the folder can be made, the next request works
    runtime.settings = runtime.settings.replace(media__dir=tmp_path / "media")
    again = await request(runtime, user, "prompt again")
    assert await Worker(runtime, "generation").run_once() == 1
    assert (await reload(runtime, again.id)).state == "done"


async def test_the_stored_png_holds_exactly_the_pipelines_pixels(runtime: Runtime) -> None:
    # The PNG is written with a fast zlib level: still lossless, pixel for pixel.
    user = await make_user(runtime, "ola")
    job = await request(runtime, user, "a quiet harbour", seed=11)
    assert await Worker(runtime, "generation").run_once() == 1
    (media,) = await media_of(runtime, job.id)
    loaded = load_pipeline(runtime.settings.generation)
    (expected,) = loaded.generate([ImageSpec("a quiet harbour", "", 11)], steps=job.steps, guidance=job.guidance,
                                  width=job.width, height=job.height)
    with Image.open(runtime.settings.media.dir / str(media.file_path)) as stored:
        assert stored.format == "PNG" and stored.convert("RGB").tobytes() == expected.tobytes()


async def test_each_batch_logs_how_long_its_stages_took(runtime: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    # bench/generation.py reads these records to show where the lane's time goes.
    user = await make_user(runtime, "pia")
    runtime.settings = runtime.settings.replace(limits__concurrent_generations=5)
    jobs = [await request(runtime, user, f"prompt {i}") for i in range(3)]
    loaded = load_pipeline(runtime.settings.generation)
    busy_before = loaded.busy_s
    with caplog.at_level(logging.INFO, logger="fediverse_ai.generation"):
        assert await Worker(runtime, "generation").run_once() == 1
    (record,) = [r for r in caplog.records if r.getMessage() == "generation batch done"]
    assert record.__dict__["jobs"] == [j.id for j in jobs] and record.__dict__["images"] == 3
    stages = [record.__dict__[name] for name in ("pipeline_s", "files_s", "db_s")]
    assert all(seconds > 0 for seconds in stages)
    assert 0 < loaded.busy_s - busy_before <= record.__dict__["pipeline_s"]


async def test_recording_a_batch_skips_a_job_cancelled_while_its_files_were_written(runtime: Runtime) -> None:
    user = await make_user(runtime, "raf")
    runtime.settings = runtime.settings.replace(limits__concurrent_generations=5)
    kept, dropped = await request(runtime, user, "kept", count=2), await request(runtime, user, "dropped")
    async with runtime.db.transaction() as session:
        await start_generations(session, [kept.id, dropped.id])
        await cancel_generation(session, user, dropped.id)

    def finished(job: GenerationJob, index: int) -> FinishedImage:
        stored = StoredImage(f"x/{job.id}-{index}.png", f"x/{job.id}-{index}.web.jpg", f"x/{job.id}-{index}.thumb.jpg",
                             "image/png", 64, 64, 1234, "LEHV6nWB2yk8")
        return FinishedImage(new_id(), stored, {"seed": job.seed + index, "prompt": job.prompt})

    async with runtime.db.transaction() as session:
        recorded = await complete_generations(session, [
            Completed(kept.id, [finished(kept, 0), finished(kept, 1)]),
            Completed(dropped.id, [finished(dropped, 0)], Flag("nsfw", 0.9)),
        ])
    assert list(recorded) == [kept.id]
    done = await reload(runtime, kept.id)
    assert (done.state, done.recipe, done.sensitive) == ("done", {"seed": kept.seed, "prompt": "kept"}, False)
    media = await media_of(runtime, kept.id)
    assert [(m.position, m.processing, m.file_path) for m in media] == [
        (0, "ready", f"x/{kept.id}-0.png"), (1, "ready", f"x/{kept.id}-1.png")]
    assert (await reload(runtime, dropped.id)).state == "cancelled"
    assert await media_of(runtime, dropped.id) == []
