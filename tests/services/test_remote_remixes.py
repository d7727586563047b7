"""A remote remix stored here links its source when we know it, and keeps the author's remix
permission, so remixing it from here honours what its own server said."""

from __future__ import annotations

import dataclasses

from fediverse_ai.config import Settings
from fediverse_ai.runtime import Runtime
from fediverse_ai.services import remote_statuses

from ..factories import remote
from .test_remote_statuses import note


async def test_a_remote_remix_links_a_known_source_and_keeps_its_remix_permission(runtime: Runtime,
                                                                                   settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        zed = await remote(session, "zed")
        source, _ = await remote_statuses.store_remote_status(session, settings, zed, note(1, zed.uri))
        remix, _ = await remote_statuses.store_remote_status(session, settings, zed, dataclasses.replace(
            note(2, zed.uri), remix_of_uri=source.uri, remix_policy="nobody"))
        unknown, _ = await remote_statuses.store_remote_status(session, settings, zed, dataclasses.replace(
            note(3, zed.uri), remix_of_uri="https://elsewhere.example/notes/9"))
    assert (remix.remix_of_id, remix.remix_of_uri, remix.remix_policy) == (source.id, source.uri, "nobody")
    assert (unknown.remix_of_id, unknown.remix_of_uri) == (None, "https://elsewhere.example/notes/9")
