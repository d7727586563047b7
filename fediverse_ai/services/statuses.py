"""Local posts: create, publish, edit, delete, each with its federation queued in the same
transaction (the transactional outbox: nothing is lost if the process dies after the commit).

Text becomes sanitised HTML with links, @mentions of local and known remote accounts, and
#hashtags. A post carrying generated media is labelled as AI-generated in its text and with a
hashtag, so the disclosure shows in every client, not only in our extension.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy import insert as sa_insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from .. import urls
from ..activitypub import delivery, vocab
from ..activitypub.notes import NoteParts, status_to_note
from ..config import Settings
from ..errors import Forbidden, NotFound, ValidationError
from ..formatting import MentionLink, extract_hashtags, extract_mentions, render_plain
from ..ids import new_id
from ..models import Account, MediaAttachment, Mention, Status, StatusEdit, StatusTag, Tag
from ..timeutil import utcnow
from . import notifications, remixes

VISIBILITIES = ("public", "unlisted", "private", "direct")
AI_TAG = "AIart"
MAX_MEDIA = 4


async def find_account_by_acct(session: AsyncSession, settings: Settings, username: str,
                               domain: str | None) -> Account | None:
    if domain is None or domain == settings.instance.domain:
        domain_filter = Account.domain.is_(None)
    else:
        domain_filter = func.lower(Account.domain) == domain.lower()
    return await session.scalar(
        select(Account).where(func.lower(Account.username) == username.lower(), domain_filter,
                              Account.suspended_at.is_(None))
    )


async def _mentioned_accounts(session: AsyncSession, settings: Settings, text: str) -> list[Account]:
    found: list[Account] = []
    for username, domain in extract_mentions(text):
        account = await find_account_by_acct(session, settings, username, domain)
        if account is not None and account not in found:
            found.append(account)
    return found


def _render(settings: Settings, text: str, mentions: list[Account], generated_model: str | None,
            remix_of: str | None = None) -> str:
    by_key = {(a.username.lower(), a.domain.lower() if a.domain else None): a for a in mentions}

    def lookup(username: str, domain: str | None) -> MentionLink | None:
        if domain == settings.instance.domain:
            domain = None
        account = by_key.get((username.lower(), domain))
        return MentionLink(account.url or account.uri, account.username) if account else None

    content = render_plain(text, lookup, lambda tag: f"{urls.base(settings)}/tags/{tag}")
    if generated_model is not None:
        model = f" with {html.escape(generated_model)}" if generated_model else ""
        content += (f"<p>AI-generated image{model}. "
                    f'<a href="{urls.base(settings)}/tags/{AI_TAG.lower()}" class="mention hashtag" rel="tag">'
                    f"#<span>{AI_TAG}</span></a></p>")
    if remix_of:  # shown by every client, not only those that read fai:remixOf
        content += f'<p>Remix of <a href="{html.escape(remix_of)}">{html.escape(remix_of)}</a></p>'
    return content


async def set_tags(session: AsyncSession, status_id: int, names: Sequence[str], *, replace: bool = True) -> None:
    """Link the tags; ``replace=False`` for a new status, which has none yet."""
    if replace:
        await session.execute(delete(StatusTag).where(StatusTag.status_id == status_id))
    await link_tags(session, {status_id: names})


async def link_tags(session: AsyncSession, links: dict[int, Sequence[str]]) -> None:
    """Link new statuses to their tags, creating those used for the first time, in a few
    statements however many statuses. Two posts introducing one tag at once both succeed (the
    insert skips names that exist, committed or not)."""
    wanted = {status_id: list(dict.fromkeys(n.lower()[:255] for n in names if n)) for status_id, names in links.items()}
    every = list(dict.fromkeys(n for names in wanted.values() for n in names))
    if not every:
        return
    query = select(Tag.name, Tag.id)
    found = {name: tag_id for name, tag_id in await session.execute(query.where(Tag.name.in_(every)))}
    missing = [n for n in every if n not in found]
    if missing:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        await session.execute(insert(Tag).values([{"id": new_id(), "name": n} for n in missing])
                              .on_conflict_do_nothing(index_elements=["name"]))
        found |= {name: tag_id for name, tag_id in await session.execute(query.where(Tag.name.in_(missing)))}
    await session.execute(sa_insert(StatusTag), [{"status_id": status_id, "tag_id": found[n]}
                                                 for status_id, names in wanted.items() for n in names])


async def set_mentions(session: AsyncSession, status_id: int, accounts: Sequence[Account], *,
                       replace: bool = True) -> None:
    if replace:
        await session.execute(delete(Mention).where(Mention.status_id == status_id))
    for account in {a.id: a for a in accounts}.values():
        session.add(Mention(status_id=status_id, account_id=account.id))


async def _own_media(session: AsyncSession, author: Account, media_ids: Sequence[int],
                     status_id: int | None) -> list[MediaAttachment]:
    if len(media_ids) > MAX_MEDIA:
        raise ValidationError(f"at most {MAX_MEDIA} media attachments", field="media_ids")
    rows = {m.id: m for m in (await session.execute(
        select(MediaAttachment).where(MediaAttachment.id.in_(list(media_ids)))
    )).scalars()}
    media = []
    for media_id in media_ids:
        item = rows.get(int(media_id))
        if item is None or item.account_id != author.id:
            raise ValidationError(f"media attachment {media_id} not found", field="media_ids")
        if item.status_id is not None and item.status_id != status_id:
            raise ValidationError(f"media attachment {media_id} belongs to another post", field="media_ids")
        if item.processing == "failed":
            raise ValidationError(f"media attachment {media_id} failed to process", field="media_ids")
        if item.processing != "ready" and status_id is None:
            raise ValidationError(f"media attachment {media_id} is still being processed", field="media_ids")
        media.append(item)
    return media


def _generated_model(media: Sequence[MediaAttachment]) -> str | None:
    """None when nothing is generated, else the model name ('' when unknown)."""
    generated = [m for m in media if m.generated]
    if not generated:
        return None
    return str((generated[0].recipe or {}).get("model", ""))


def _validate(settings: Settings, text: str, visibility: str, spoiler_text: str, has_media: bool) -> None:
    if visibility not in VISIBILITIES:
        raise ValidationError(f"visibility must be one of {', '.join(VISIBILITIES)}", field="visibility")
    if not text.strip() and not has_media:
        raise ValidationError("a post needs text or media", field="status")
    if len(text) + len(spoiler_text) > settings.limits.max_post_chars:
        raise ValidationError(f"a post has at most {settings.limits.max_post_chars} characters", field="status")


async def create_status(
    session: AsyncSession, settings: Settings, author: Account, *, text: str, visibility: str = "public",
    spoiler_text: str = "", sensitive: bool = False, in_reply_to_id: int | None = None,
    media_ids: Sequence[int] = (), language: str | None = None, state: str = "published",
    application_id: int | None = None, remix_of_id: int | None = None, remix_policy: str = "anyone",
) -> Status:
    """Create a local post; a published one is federated to its audience in this transaction.
    ``state='generating'`` keeps it private to its author until ``publish_status``. A remix
    (``remix_of_id``) is checked against its source's remix permission and links to it."""
    if not author.local:
        raise ValueError("create_status() is for local authors; remote posts go through remote_statuses")
    _validate(settings, text, visibility, spoiler_text, bool(media_ids))
    parent = None
    if in_reply_to_id is not None:
        parent = await session.get(Status, in_reply_to_id)
        if parent is None or parent.deleted_at is not None or parent.reblog_of_id is not None:
            raise ValidationError("the post replied to does not exist", field="in_reply_to_id")
    remix_policy = remixes.check_policy(remix_policy)
    source = await remixes.remixable_source(session, author, remix_of_id) if remix_of_id is not None else None
    status_id = new_id()
    media = await _own_media(session, author, media_ids, None)
    mentions = await _mentioned_accounts(session, settings, text)
    model = _generated_model(media)
    tags = extract_hashtags(text) + ([AI_TAG.lower()] if model is not None else [])
    status = Status(
        id=status_id, uri=urls.status(settings, author.username, status_id),
        url=urls.status_page(settings, author.username, status_id), account_id=author.id, local=True,
        state=state, visibility=visibility, source_text=text,
        content=_render(settings, text, mentions, model, source.uri if source else None),
        spoiler_text=spoiler_text.strip(), sensitive=sensitive or bool(spoiler_text.strip()), language=language,
        in_reply_to_id=parent.id if parent else None, in_reply_to_uri=parent.uri if parent else None,
        in_reply_to_account_id=parent.account_id if parent else None,
        conversation=(parent.conversation if parent and parent.conversation
                      else f"tag:{settings.instance.domain},{utcnow():%Y-%m-%d}:objectId={status_id}"
                           ":objectType=Conversation"),
        recipe=next((m.recipe for m in media if m.generated and m.recipe), None),
        application_id=application_id, remix_policy=remix_policy,
        remix_of_id=source.id if source else None, remix_of_uri=source.uri if source else None,
    )
    session.add(status)
    await session.flush()
    for position, item in enumerate(media):
        item.status_id, item.position = status.id, position
    await set_mentions(session, status.id, mentions, replace=False)
    await set_tags(session, status.id, tags, replace=False)
    if state == "published":
        await _publish(session, settings, author, status, parent)
    return status


async def publish_status(session: AsyncSession, settings: Settings, status: Status) -> Status:
    """Publish a post that waited for its generated image: label, count, notify, federate."""
    if status.state == "published":
        return status
    author = await session.get_one(Account, status.account_id)
    media = await attached_media(session, status.id)
    model = _generated_model(media)
    if model is not None and status.recipe is None:
        status.recipe = next((m.recipe for m in media if m.generated and m.recipe), None)
        mentions = await mentioned(session, status.id)
        status.content = _render(settings, status.source_text, mentions, model, status.remix_of_uri)
        await set_tags(session, status.id, [*extract_hashtags(status.source_text), AI_TAG.lower()])
    status.state, status.state_reason = "published", None
    parent = await session.get(Status, status.in_reply_to_id) if status.in_reply_to_id else None
    await _publish(session, settings, author, status, parent)
    return status


async def _publish(session: AsyncSession, settings: Settings, author: Account, status: Status,
                   parent: Status | None) -> None:
    now = utcnow()
    status.published_at = status.published_at or now
    await session.execute(
        update(Account).where(Account.id == author.id)
        .values(statuses_count=Account.statuses_count + 1, last_status_at=now)
        .execution_options(synchronize_session=False)
    )
    if parent is not None:
        parent.replies_count += 1
    parts = await note_parts(session, status)
    for account in parts.mentions:
        await notifications.notify(session, account, "mention", from_account=author, status_id=status.id)
    if parent is not None and parent.account_id != author.id:
        parent_author = await session.get_one(Account, parent.account_id)
        if parent_author not in parts.mentions:
            await notifications.notify(session, parent_author, "mention", from_account=author, status_id=status.id)
    note = status_to_note(settings, parts)
    await delivery.send(session, author, vocab.create(note, note["@context"]), **audience(status, parts))


def audience(status: Status, parts: NoteParts, also: Sequence[int] = ()) -> dict[str, object]:
    """Who a post's activities go to: followers unless direct, mentioned and replied-to
    accounts always, and ``also`` (remote boosters, for edits and deletes)."""
    account_ids = [a.id for a in parts.mentions if not a.local] + list(also)
    if status.in_reply_to_account_id and status.in_reply_to_account_id != status.account_id:
        account_ids.append(status.in_reply_to_account_id)
    return {"followers": status.visibility != "direct", "account_ids": account_ids}


async def remote_boosters(session: AsyncSession, status_id: int) -> list[int]:
    """Remote accounts that boosted the post: their followers saw it, so edits and deletes
    must reach them even when they do not follow the author (Mastodon does the same)."""
    return list((await session.execute(
        select(Status.account_id).join(Account, Account.id == Status.account_id)
        .where(Status.reblog_of_id == status_id, Status.deleted_at.is_(None), Account.domain.is_not(None))
    )).scalars())


async def attached_media(session: AsyncSession, status_id: int) -> list[MediaAttachment]:
    return list((await session.execute(
        select(MediaAttachment).where(MediaAttachment.status_id == status_id)
        .order_by(MediaAttachment.position, MediaAttachment.id)
    )).scalars())


async def mentioned(session: AsyncSession, status_id: int) -> list[Account]:
    return list((await session.execute(
        select(Account).join(Mention, Mention.account_id == Account.id).where(Mention.status_id == status_id)
        .order_by(Mention.id)
    )).scalars())


async def tag_names(session: AsyncSession, status_id: int) -> list[str]:
    return list((await session.execute(
        select(Tag.name).join(StatusTag, StatusTag.tag_id == Tag.id).where(StatusTag.status_id == status_id)
        .order_by(Tag.name)
    )).scalars())


async def note_parts(session: AsyncSession, status: Status) -> NoteParts:
    """Everything the Note of ``status`` shows, loaded in a few queries."""
    author = await session.get_one(Account, status.account_id)
    parent_author = None
    if status.in_reply_to_account_id:
        parent_author = await session.scalar(select(Account.uri).where(Account.id == status.in_reply_to_account_id))
    return NoteParts(status=status, author=author, media=await attached_media(session, status.id),
                     mentions=await mentioned(session, status.id), tags=await tag_names(session, status.id),
                     in_reply_to_author_uri=parent_author)


async def own_status(session: AsyncSession, author: Account, status_id: int) -> Status:
    status = await session.get(Status, status_id)
    if status is None or status.deleted_at is not None or status.reblog_of_id is not None:
        raise NotFound("no such post", field="id")
    if status.account_id != author.id:
        raise Forbidden("this post belongs to someone else")
    return status


async def edit_status(
    session: AsyncSession, settings: Settings, author: Account, status_id: int, *, text: str,
    spoiler_text: str = "", sensitive: bool = False, media_ids: Sequence[int] | None = None,
    language: str | None = None,
) -> Status:
    """Edit a local post: the previous version goes to its history, Update(Note) goes out."""
    status = await own_status(session, author, status_id)
    current = await attached_media(session, status.id)
    media = current if media_ids is None else await _own_media(session, author, media_ids, status.id)
    _validate(settings, text, status.visibility, spoiler_text, bool(media))
    now = utcnow()
    session.add(StatusEdit(status_id=status.id, content=status.content, spoiler_text=status.spoiler_text,
                           sensitive=status.sensitive, media_ids=[m.id for m in current],
                           created_at=status.edited_at or status.published_at or status.created_at))
    for item in current:
        if item not in media:
            item.status_id = None
    for position, item in enumerate(media):
        item.status_id, item.position = status.id, position
    mentions = await _mentioned_accounts(session, settings, text)
    model = _generated_model(media)
    status.content = _render(settings, text, mentions, model, status.remix_of_uri)
    status.source_text = text
    status.spoiler_text = spoiler_text.strip()
    status.sensitive = sensitive or bool(status.spoiler_text)
    status.language = language or status.language
    status.edited_at = now
    await set_mentions(session, status.id, mentions)
    await set_tags(session, status.id, extract_hashtags(text) + ([AI_TAG.lower()] if model is not None else []))
    await session.flush()
    if status.state == "published":
        parts = await note_parts(session, status)
        note = status_to_note(settings, parts)
        await delivery.send(session, author, vocab.update_note(note, note["@context"], now),
                            **audience(status, parts, await remote_boosters(session, status.id)))
    return status


async def delete_status(session: AsyncSession, settings: Settings, author: Account, status_id: int) -> Status:
    """Delete a local post: it becomes a tombstone, boosts of it go, Delete goes out."""
    status = await own_status(session, author, status_id)
    parts = await note_parts(session, status)
    boosters = await remote_boosters(session, status.id)
    now = utcnow()
    status.deleted_at = now
    await session.execute(
        update(Status).where(Status.reblog_of_id == status.id, Status.deleted_at.is_(None))
        .values(deleted_at=now).execution_options(synchronize_session=False)
    )
    if status.state == "published":
        await session.execute(
            update(Account).where(Account.id == author.id, Account.statuses_count > 0)
            .values(statuses_count=Account.statuses_count - 1).execution_options(synchronize_session=False)
        )
        if status.in_reply_to_id:
            await session.execute(
                update(Status).where(Status.id == status.in_reply_to_id, Status.replies_count > 0)
                .values(replies_count=Status.replies_count - 1).execution_options(synchronize_session=False)
            )
        note = status_to_note(settings, parts)
        to, cc = note["to"], note["cc"]
        await delivery.send(session, author, vocab.delete(author.uri, status.uri, to=to, cc=cc),
                            **audience(status, parts, boosters))
    return status
