"""The whole promise end to end: a fediverse client (Mastodon.py) posts a prompt to instance A,
A's generation lane makes the image with the real diffusers code (tiny model), A publishes the
post and federates it, and a follower on instance B receives it with its generated image."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from mastodon import Mastodon
from sqlalchemy import select

from fediverse_ai.activitypub.fetch import resolve_account
from fediverse_ai.models import Account, MediaAttachment, Status
from fediverse_ai.services import follows
from tests.generation.conftest import tiny_model  # noqa: F401  (session fixture)

from ..factories import local
from .processes import ProcessInstance, instance_pair
from .test_two_instances import eventually, one, rt

pytestmark = pytest.mark.slow


@pytest.fixture
async def pair(database_url: str, sqlite_template: Path, tmp_path: Path, tiny_model: Path,  # noqa: F811
               ) -> AsyncIterator[tuple[ProcessInstance, ProcessInstance]]:
    """A runs the generation lane on the tiny model; B is a plain instance."""
    async with instance_pair(database_url, sqlite_template, tmp_path, generation_model=str(tiny_model)) as both:
        yield both


def post_prompt_with_mastodon_py(base: str) -> str:
    """What a user's script does: register, sign in, post a prompt. Returns the status id."""
    client_id, secret = Mastodon.create_app("prompt test", api_base_url=base)
    api = Mastodon(client_id=client_id, client_secret=secret, api_base_url=base)
    api.log_in(username="ada@example.com", password="correct horse battery", allow_http=True)
    status = api.status_post("/imagine a lighthouse in a storm --seed 5 --steps 1 --size 64x64")
    assert status["fediverse_ai"]["state"] == "generating"
    return str(status["id"])


async def test_a_prompt_from_a_client_reaches_a_follower_elsewhere_with_its_image(
        pair: tuple[ProcessInstance, ProcessInstance]) -> None:
    a, b = pair
    async with rt(a).db.transaction() as session:
        ada = await local(session, a.settings, "ada")
    async with rt(b).db.transaction() as session:
        bob = await local(session, b.settings, "bob")
    ada_on_b = await resolve_account(rt(b), f"ada@{a.domain}")
    async with rt(b).db.transaction() as session:
        await follows.follow(session, b.settings, await session.get_one(Account, bob.id), ada_on_b)
    await eventually("B to see A accept the follow", b, select(Account.following_count).where(
        Account.id == bob.id), lambda n: n == 1)

    status_id = int(await asyncio.to_thread(post_prompt_with_mastodon_py, a.base))
    published = await eventually("A to publish the prompt post", a, select(Status).where(Status.id == status_id),
                                 lambda s: s.state == "published")
    assert published.recipe["seed"] == 5 and published.account_id == ada.id
    copy = await eventually("B to receive it", b, select(Status).where(Status.uri == published.uri))
    image = await one(b, select(MediaAttachment).where(MediaAttachment.status_id == copy.id))
    assert image.generated and image.recipe["prompt"] == "a lighthouse in a storm"
    assert image.remote_url.startswith(f"{a.base}/media/") and "AI-generated" in image.description
