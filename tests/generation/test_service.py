"""Asking for images: validation that names the field, the prompt filter, quotas, the queue limit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from fediverse_ai.errors import AppError, RateLimited, Unavailable, ValidationError
from fediverse_ai.models import GenerationJob, Job
from fediverse_ai.runtime import Runtime
from fediverse_ai.services.generation import GenerationRequest, parse_request, request_generation
from fediverse_ai.services.prompt_filter import add_rule, remove_rule
from tests.generation.conftest import make_user


async def ask(runtime: Runtime, account, **fields) -> GenerationJob:  # type: ignore[no-untyped-def]
    async with runtime.db.transaction() as session:
        return await request_generation(session, runtime.settings, account, parse_request(fields))


async def counts(runtime: Runtime) -> tuple[int, int]:
    async with runtime.db.session() as session:
        jobs = (await session.execute(select(func.count()).select_from(GenerationJob))).scalar_one()
        queued = (await session.execute(select(func.count()).select_from(Job))).scalar_one()
    return jobs, queued


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"prompt": "x", "sampler": "euler"}, "sampler", "unknown field"),
        ({"prompt": "   "}, "prompt", "must not be empty"),
        ({}, "prompt", "required"),
        ({"prompt": "x", "steps": 51}, "steps", "between 1 and 50"),
        ({"prompt": "x", "steps": "many"}, "steps", "whole number"),
        ({"prompt": "x", "steps": 1.5}, "steps", "whole number"),
        ({"prompt": "x", "width": 100}, "width", "multiple of 8"),
        ({"prompt": "x", "height": 4096}, "height", "between 64 and 1024"),
        ({"prompt": "x", "count": 5}, "count", "between 1 and 4"),
        ({"prompt": "x", "count": 0}, "count", "between 1 and 4"),
        ({"prompt": "x", "guidance": "nan"}, "guidance", "finite"),
        ({"prompt": "x", "seed": -1}, "seed", "between 0 and"),
        ({"prompt": "x" * 1001}, "prompt", "at most 1000"),
        ({"prompt": "a\x00b"}, "prompt", "NUL"),
        ({"prompt": "x", "negative_prompt": 3}, "negative_prompt", "text"),
    ],
)
async def test_invalid_requests_name_the_field_and_queue_nothing(
    runtime: Runtime, fields: dict[str, object], field: str, message: str,
) -> None:
    user = await make_user(runtime, "ivy")
    with pytest.raises(ValidationError) as caught:
        await ask(runtime, user, **fields)
    assert (caught.value.status, caught.value.field) == (422, field)
    assert message in caught.value.message
    assert await counts(runtime) == (0, 0)


async def test_the_request_and_its_job_are_written_together(runtime: Runtime) -> None:
    user = await make_user(runtime, "jo")
    job = await ask(runtime, user, prompt="  a fox  ", seed="42", steps=1, width=128, height=64, guidance=0)
    assert (job.prompt, job.seed, job.steps, job.width, job.height, job.guidance) == ("a fox", 42, 1, 128, 64, 0.0)
    async with runtime.db.session() as session:
        row = (await session.execute(select(Job))).scalar_one()
    assert (row.kind, row.lane, row.payload) == ("generation.run", "generation", {"generation_job_id": job.id})


async def test_the_prompt_filter_refuses_with_the_admins_reason_or_marks_sensitive(runtime: Runtime) -> None:
    user = await make_user(runtime, "kim")
    async with runtime.db.transaction() as session:
        term = await add_rule(session, pattern="Forbidden Thing", reason="not on this instance, sorry")
        await add_rule(session, pattern=r"\bgore\w*", is_regex=True, reason="graphic violence", action="sensitive")
    with pytest.raises(ValidationError, match="not on this instance, sorry") as caught:
        await ask(runtime, user, prompt="a forbidden thing in a garden")
    assert caught.value.field == "prompt"
    with pytest.raises(ValidationError, match="not on this instance"):
        await ask(runtime, user, prompt="a cat", negative_prompt="FORBIDDEN THING")
    assert (await ask(runtime, user, prompt="forbidden things")).sensitive is False  # whole words only
    assert (await ask(runtime, user, prompt="a gorefest scene")).sensitive is True
    async with runtime.db.transaction() as session:
        await remove_rule(session, term.id)
    runtime.settings = runtime.settings.replace(limits__concurrent_generations=5)
    assert (await ask(runtime, user, prompt="a forbidden thing in a garden")).state == "queued"


async def test_a_broken_regex_rule_is_refused_when_added(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        with pytest.raises(ValidationError) as caught:
            await add_rule(session, pattern="([", is_regex=True, reason="x")
    assert caught.value.field == "pattern"


async def test_quotas_per_account_at_once_and_per_day(runtime: Runtime) -> None:
    runtime.settings = runtime.settings.replace(limits__concurrent_generations=2, limits__generations_per_day=5)
    user, other = await make_user(runtime, "lou"), await make_user(runtime, "max")
    await ask(runtime, user, prompt="one")
    await ask(runtime, user, prompt="two", count=2)
    with pytest.raises(RateLimited, match="at most 2 at once") as caught:
        await ask(runtime, user, prompt="three")
    assert caught.value.status == 429
    await ask(runtime, other, prompt="someone else is not affected")
    runtime.settings = runtime.settings.replace(limits__concurrent_generations=10)
    await ask(runtime, user, prompt="three", count=2)  # 5 images today
    with pytest.raises(RateLimited, match="5 of your 5 images"):
        await ask(runtime, user, prompt="six")


async def test_a_full_queue_says_try_again_later(runtime: Runtime) -> None:
    runtime.settings = runtime.settings.replace(limits__generation_queue_limit=2)
    users = [await make_user(runtime, name) for name in ("ned", "oz", "pam")]
    await ask(runtime, users[0], prompt="a")
    await ask(runtime, users[1], prompt="b")
    with pytest.raises(Unavailable, match="try again later") as caught:
        await ask(runtime, users[2], prompt="c")
    assert caught.value.status == 503
    assert await counts(runtime) == (2, 2)


def test_parse_request_takes_form_strings() -> None:
    parsed = parse_request({"prompt": "p", "steps": "2", "guidance": "1.5", "seed": "", "count": "2"})
    assert parsed == GenerationRequest(prompt="p", steps=2, guidance=1.5, seed=None, count=2)
    with pytest.raises(AppError):
        parse_request({"prompt": "p", "count": True})
