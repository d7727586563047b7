"""The database-built entities (status_sql) against the Python reference shapes, on both backends.

Account and media JSON built in SQL must equal ``entities.account_entity`` and
``status_entities.media_entity`` for the same rows, including the cases that change the shape:
remote accounts, bots, profile fields, suspended accounts, missing avatars, non-generated and
size-less media. Status entities are checked through the API tests (OpenAPI shapes) and here for
boosts, mentions, tags and the viewer's marks.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import text, update

from fediverse_ai import urls
from fediverse_ai.ids import new_id
from fediverse_ai.models import Account, Bookmark, Favourite, MediaAttachment, Mention, Status, StatusTag, Tag
from fediverse_ai.models.statuses import touch_statuses_of_media
from fediverse_ai.runtime import Runtime
from fediverse_ai.services import interactions, profiles, statuses, uploads
from fediverse_ai.timeutil import utcnow
from fediverse_ai.web.mastodon_api import status_sql
from fediverse_ai.web.mastodon_api.entities import account_entity, timestamp
from fediverse_ai.web.mastodon_api.status_entities import media_entity, render_statuses
from tests import factories


def rounded(value: Any) -> Any:
    """Floats to 9 places: SQLite prints REALs with 15 significant digits, Python with 17."""
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return value


async def sql_json(runtime: Runtime, expression: str, table: str, alias: str, row_id: int) -> Any:
    async with runtime.db.session() as session:
        statement = text(f"SELECT CAST({expression} AS TEXT) FROM {table} {alias} WHERE {alias}.id = :id")
        found = (await session.execute(statement, {"id": row_id, "base": urls.base(runtime.settings)})).scalar_one()
    return json.loads(found)


async def test_account_json_equals_account_entity(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        plain = await factories.local(session, runtime.settings, "plain")
        accounts = [
            plain,
            await factories.local(session, runtime.settings, "robot"),
            await factories.remote(session, "far", display_name="Far Away", note="<p>hi</p>",
                                   avatar_url="https://remote.example/a.png", actor_type="Service", locked=True,
                                   fields=[{"name": "Site", "value": "<a href='https://x.example'>x</a>",
                                            "verified_at": "2026-01-02T03:04:05.000Z"}, {"name": "Only name"}],
                                   last_status_at=dt.datetime(2026, 5, 6, 23, 59, 59, 999999, tzinfo=dt.UTC)),
            await factories.remote(session, "gone", domain="other.example", indexable=False, discoverable=False,
                                   actor_type="Group", suspended_at=utcnow(), moved_to_id=plain.id),
        ]
        accounts[1].actor_type = "Application"
        accounts[0].statuses_count, accounts[0].followers_count = 3, 5
    pg = runtime.db.dialect == "postgresql"
    for account in accounts:
        async with runtime.db.session() as session:
            fresh = await session.get_one(Account, account.id)
        expected = account_entity(runtime.settings, fresh)
        assert await sql_json(runtime, status_sql.account_json(status_sql.JsonSql(pg), "a"), "accounts", "a",
                              account.id) == expected


async def test_media_json_equals_media_entity(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        owner = await factories.local(session, runtime.settings, "painter")
        items = [
            await factories.media(session, runtime.settings, owner, description="A fox, AI-generated"),
            await factories.media(session, runtime.settings, owner, generated=False),
        ]
        remote = MediaAttachment(account_id=owner.id, remote_url="https://remote.example/m.jpg", width=None,
                                 height=None, content_type="image/jpeg", description="")
        odd = MediaAttachment(account_id=owner.id, file_path="x/y.png", thumbnail_path="x/y-thumb.jpg", width=3,
                              height=7, kind="gifv", generated=True, recipe=None, processing_error=None)
        session.add_all([remote, odd])
        await session.flush()
        items += [remote, odd]
    pg = runtime.db.dialect == "postgresql"
    for item in items:
        async with runtime.db.session() as session:
            fresh = await session.get_one(MediaAttachment, item.id)
        expected = media_entity(runtime.settings, fresh)
        found = await sql_json(runtime, status_sql.media_json(status_sql.JsonSql(pg), "m"), "media_attachments",
                               "m", item.id)
        assert rounded(found) == rounded(expected)


async def test_status_entities_carry_boosts_mentions_tags_and_marks(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        author = await factories.local(session, runtime.settings, "author")
        reader = await factories.local(session, runtime.settings, "reader")
        original = Status(id=new_id(), uri="https://social.test/s/1", account_id=author.id, content="<p>fox</p>",
                          visibility="public", published_at=utcnow().replace(microsecond=123999),
                          favourites_count=1, spoiler_text="cw", sensitive=True, recipe={"prompt": "fox"},
                          language="en")
        session.add(original)
        await session.flush()
        tag = Tag(name="aiart")
        session.add(tag)
        await session.flush()
        session.add_all([Mention(status_id=original.id, account_id=reader.id),
                         StatusTag(status_id=original.id, tag_id=tag.id),
                         Favourite(account_id=reader.id, status_id=original.id),
                         Bookmark(account_id=reader.id, status_id=original.id)])
        media = await factories.media(session, runtime.settings, author)
        media.status_id = original.id
        boost = Status(id=new_id(), uri="https://social.test/s/2", account_id=reader.id, reblog_of_id=original.id,
                       visibility="public", published_at=utcnow(), content="")
        session.add(boost)
    async with runtime.db.session() as session:
        rendered = await render_statuses(session, runtime.settings, [boost, original], reader)
        anonymous = await render_statuses(session, runtime.settings, [original], None)
    shown_boost, shown = rendered
    assert [s["id"] for s in rendered] == [str(boost.id), str(original.id)]
    assert shown_boost["reblog"]["id"] == shown["id"] and shown_boost["content"] == ""
    assert shown_boost["account"]["username"] == "reader" and shown_boost["reblog"]["account"]["username"] == "author"
    assert shown["mentions"] == [{"id": str(reader.id), "username": "reader", "acct": "reader",
                                  "url": reader.url or reader.uri}]
    assert shown["tags"] == [{"name": "aiart", "url": "https://social.test/tags/aiart"}]
    assert (shown["favourited"], shown["bookmarked"], shown["reblogged"]) == (True, True, True)
    assert (shown_boost["favourited"], shown_boost["reblogged"]) == (False, False)
    assert shown["sensitive"] is True and shown["spoiler_text"] == "cw" and shown["language"] == "en"
    assert shown["fediverse_ai"]["recipe"] == {"prompt": "fox"} and shown["reblog"] is None
    assert [m["id"] for m in shown["media_attachments"]] == [str(media.id)]
    assert shown["created_at"] == timestamp(original.published_at)  # milliseconds truncated, as in Python
    assert "favourited" not in anonymous[0] and anonymous[0]["content"] == "<p>fox</p>"


async def test_cached_entities_follow_every_change_they_show(runtime: Runtime) -> None:
    """Cores are cached by the status's and author's versions: counts, profile edits, new posts
    by the author and media changes (through the ORM or a bulk UPDATE) all show at once."""
    settings = runtime.settings
    async with runtime.db.transaction() as session:
        author = await factories.local(session, settings, "cached")
        fan = await factories.local(session, settings, "fan")
        item = await factories.media(session, settings, author, description="first words")
        status = await statuses.create_status(session, settings, author, text="hello", media_ids=[item.id])

    async def shown() -> dict[str, Any]:
        async with runtime.db.session() as session:
            return (await render_statuses(session, settings, [status], fan))[0]

    first = await shown()
    assert first["favourites_count"] == 0 and first["account"]["display_name"] == "cached"
    assert await shown() == first  # served from the cache, unchanged

    async with runtime.db.transaction() as session:
        await interactions.favourite(session, settings, await session.get_one(Account, fan.id),
                                     await session.get_one(Status, status.id))
    assert (await shown())["favourites_count"] == 1 and (await shown())["favourited"] is True

    async with runtime.db.transaction() as session:
        await profiles.update_profile(session, settings, await session.get_one(Account, author.id),
                                      display_name="Cache Test")
    assert (await shown())["account"]["display_name"] == "Cache Test"

    async with runtime.db.transaction() as session:
        await statuses.create_status(session, settings, await session.get_one(Account, author.id), text="again")
    assert (await shown())["account"]["statuses_count"] == 2

    async with runtime.db.transaction() as session:
        await uploads.describe(session, await session.get_one(Account, author.id), item.id,
                               description="second words", focus=None)
    assert (await shown())["media_attachments"][0]["description"] == "second words"

    async with runtime.db.transaction() as session:
        await session.execute(update(MediaAttachment).where(MediaAttachment.id == item.id)
                              .values(description="third words"))
    # The cache is really in use: a bulk UPDATE that forgets the touch is not seen...
    assert (await shown())["media_attachments"][0]["description"] == "second words"
    async with runtime.db.transaction() as session:
        await session.execute(touch_statuses_of_media(MediaAttachment.id == item.id))
    assert (await shown())["media_attachments"][0]["description"] == "third words"
