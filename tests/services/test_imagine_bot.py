"""The @imagine bot answers a mention with an image (a prompt post replying to it), refuses
remote users unless allowed, and keeps to its quotas, saying why when it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from fediverse_ai.config import Settings
from fediverse_ai.jobs import Worker
from fediverse_ai.models import Account, Status
from fediverse_ai.runtime import Runtime
from fediverse_ai.services import statuses
from fediverse_ai.services.accounts import create_local_user
from fediverse_ai.services.imagine_bot import ensure_bot, reply
from tests.generation.conftest import tiny_model  # noqa: F401  (session fixture)


@pytest.fixture
def settings(settings: Settings, tiny_model: Path) -> Settings:  # noqa: F811
    return settings.replace(generation__model=str(tiny_model), generation__device="cpu",
                            generation__batch_window_ms=0, generation__bot_per_account_per_day=1)


async def replies_to(runtime: Runtime, status_id: int) -> list[Status]:
    async with runtime.db.session() as session:
        return list((await session.execute(select(Status).where(Status.in_reply_to_id == status_id))).scalars())


async def test_a_mention_gets_an_image_reply_then_the_quota_says_no(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        bot = await ensure_bot(session, runtime.settings)
        assert bot is not None and bot.bot
        alice = (await create_local_user(session, runtime.settings, username="alice", email="a@social.test",
                                         password="correct horse 1")).account
        request = await statuses.create_status(session, runtime.settings, alice,
                                               text="@imagine a paper boat on a pond --seed 3 --steps 1")
    system = Worker(runtime, "system")
    assert await system.run_once() == 1  # imagine_bot.reply
    [answer] = await replies_to(runtime, request.id)
    assert answer.state == "generating" and answer.visibility == "unlisted"
    assert answer.source_text == "@alice a paper boat on a pond"
    assert await Worker(runtime, "generation").run_once() == 1
    assert await system.run_once() == 1  # prompt_posts.finish publishes it
    async with runtime.db.session() as session:
        published = await session.get_one(Status, answer.id)
        media = await statuses.attached_media(session, answer.id)
    assert published.state == "published" and len(media) == 1 and media[0].recipe["seed"] == 3

    async with runtime.db.transaction() as session:
        author = await session.get_one(Account, alice.id)
        again = await statuses.create_status(session, runtime.settings, author, text="@imagine one more")
    assert await system.run_once() == 1
    [refused] = await replies_to(runtime, again.id)
    assert refused.state == "published" and "you have asked for 1 images in the last 24 hours" in refused.source_text


async def test_remote_users_are_refused_unless_allowed(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        bot = await ensure_bot(session, runtime.settings)
        remote = Account(username="zoe", domain="far.example", uri="https://far.example/users/zoe",
                         inbox_url="https://far.example/users/zoe/inbox")
        session.add(remote)
        await session.flush()
        request = Status(uri="https://far.example/notes/1", account_id=remote.id, local=False,
                         content="<p>@imagine a fox</p>", visibility="public")
        session.add(request)
        await session.flush()
        answer = await reply(session, runtime.settings, bot, request)
    assert answer is not None and "only makes images for people on this server" in answer.source_text
    allowed = runtime.settings.replace(generation__bot_remote=True)
    async with runtime.db.transaction() as session:
        request = await session.get_one(Status, request.id)
        answer = await reply(session, allowed, await session.get_one(Account, bot.id), request)
    assert answer is not None and answer.state == "generating" and answer.source_text == "@zoe@far.example a fox"
