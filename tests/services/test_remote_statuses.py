"""Remote posts stored by URI: ids follow the published time even when many share it."""

from __future__ import annotations

import datetime as dt

from fediverse_ai.activitypub.notes import RemoteNote
from fediverse_ai.config import Settings
from fediverse_ai.ids import id_time
from fediverse_ai.runtime import Runtime
from fediverse_ai.services import remote_statuses

from ..factories import remote

WHEN = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def note(n: int, author: str) -> RemoteNote:
    return RemoteNote(uri=f"{author}/statuses/{n}", url=None, author_uri=author, content=f"<p>{n}</p>",
                      language=None, spoiler_text="", sensitive=False, visibility="public", in_reply_to_uri=None,
                      published=WHEN, updated=None)


async def test_posts_published_in_the_same_second_all_get_ids_of_that_time(runtime: Runtime,
                                                                          settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        zed = await remote(session, "zed")
        stored = [(await remote_statuses.store_remote_status(session, settings, zed, note(n, zed.uri)))[0]
                  for n in range(300)]  # ~40 collisions expected among 1024 low-bit values per millisecond
        again, created = await remote_statuses.store_remote_status(session, settings, zed, note(0, zed.uri))
    assert len({s.id for s in stored}) == 300
    assert all(WHEN <= id_time(s.id) < WHEN + dt.timedelta(seconds=1) for s in stored)
    assert again.id == stored[0].id and not created
