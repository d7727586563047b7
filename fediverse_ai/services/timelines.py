"""Who may see which statuses, and the timelines built from that rule.

One visibility rule serves every read (single statuses, threads, timelines, profiles):
public and unlisted posts are visible to everyone, followers-only posts to accepted followers
and the author, direct posts to the author and the people mentioned. Unpublished posts (a
prompt post still generating, or failed) are visible to their author only. Blocks hide both
ways. A suspended account's posts are hidden from everyone. Timelines page by id (ids sort
by time) with Mastodon's max_id / since_id / min_id.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import Select, TextClause, and_, bindparam, exists, false, or_, select, text, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from ..models import Account, Block, DomainPolicy, Follow, MediaAttachment, Mention, Mute, Status, StatusTag, Tag
from ..timeutil import UTCDateTime, utcnow

MAX_LIMIT = 40


@dataclass(frozen=True)
class Page:
    """Mastodon pagination: newest first below ``max_id`` and above ``since_id``; ``min_id``
    asks for the page just above it (oldest first, returned newest first)."""

    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 20

    @classmethod
    def from_params(cls, params: dict[str, object], *, default: int = 20, maximum: int = MAX_LIMIT) -> Page:
        def number(name: str) -> int | None:
            value = params.get(name)
            try:
                return int(str(value)) if value not in (None, "") else None
            except ValueError:
                return None

        limit = number("limit") or default
        return cls(number("max_id"), number("since_id"), number("min_id"), max(1, min(limit, maximum)))

    def apply(self, query: Select, column) -> Select:  # type: ignore[no-untyped-def, type-arg]
        if self.max_id is not None:
            query = query.where(column < self.max_id)
        if self.since_id is not None:
            query = query.where(column > self.since_id)
        if self.min_id is not None:
            return query.where(column > self.min_id).order_by(column.asc()).limit(self.limit)
        return query.order_by(column.desc()).limit(self.limit)

    def finish(self, rows: list, key) -> list:  # type: ignore[no-untyped-def, type-arg]
        """Rows newest first, whatever direction the query ran in."""
        return sorted(rows, key=key, reverse=True) if self.min_id is not None else rows


def visible_to(viewer: Account | None) -> ColumnElement[bool]:
    """SQL condition: ``Status`` rows ``viewer`` may see (anonymous: public and unlisted only)."""
    alive = and_(Status.deleted_at.is_(None), ~exists().where(Account.id == Status.account_id,
                                                             Account.suspended_at.is_not(None)))
    published = Status.state == "published"
    open_ = Status.visibility.in_(("public", "unlisted"))
    if viewer is None:
        return and_(alive, published, open_)
    own = Status.account_id == viewer.id
    follower = and_(Status.visibility == "private", exists().where(
        Follow.account_id == viewer.id, Follow.target_account_id == Status.account_id, Follow.accepted.is_(true())))
    mentioned = and_(Status.visibility.in_(("private", "direct")), exists().where(
        Mention.status_id == Status.id, Mention.account_id == viewer.id))
    blocked = exists().where(or_(
        and_(Block.account_id == viewer.id, Block.target_account_id == Status.account_id),
        and_(Block.account_id == Status.account_id, Block.target_account_id == viewer.id)))
    others = and_(published, or_(open_, follower, mentioned), ~blocked)
    return and_(alive, or_(own, others))


def _not_muted(viewer: Account) -> ColumnElement[bool]:
    return ~exists().where(Mute.account_id == viewer.id, Mute.target_account_id == Status.account_id,
                           or_(Mute.expires_at.is_(None), Mute.expires_at > utcnow()))


async def can_see(session: AsyncSession, viewer: Account | None, status_id: int) -> Status | None:
    query = select(Status).where(Status.id == status_id, visible_to(viewer))
    return (await session.execute(query)).scalar_one_or_none()


async def _run(session: AsyncSession, query: Select, page: Page) -> list[Status]:  # type: ignore[type-arg]
    rows = list((await session.execute(page.apply(query, Status.id))).scalars())
    return page.finish(rows, lambda s: s.id)


# The home timeline's rule over statuses ``s`` and their author ``a``, as SQL text (the hottest
# read of the API: written by hand, used by the client API and the web page alike): the viewer's
# own posts (any state, any visibility), and the published public, unlisted and followers-only
# posts of the accounts they follow, unless muted (mute not expired) or blocked either way;
# never deleted posts or suspended authors. This is ``visible_to`` narrowed to followed authors.
HOME_RULE = (
    "(s.account_id = :viewer OR (s.state = 'published' AND s.visibility IN ('public', 'unlisted', 'private') "
    "AND s.account_id IN (SELECT f.target_account_id FROM follows f WHERE f.account_id = :viewer AND f.accepted) "
    "AND s.account_id NOT IN (SELECT m.target_account_id FROM mutes m WHERE m.account_id = :viewer "
    "AND (m.expires_at IS NULL OR m.expires_at > :now)) "
    "AND s.account_id NOT IN (SELECT b.target_account_id FROM blocks b WHERE b.account_id = :viewer "
    "UNION ALL SELECT b.account_id FROM blocks b WHERE b.target_account_id = :viewer))) "
    "AND s.deleted_at IS NULL AND a.suspended_at IS NULL"
)


@functools.cache
def _home_text(columns: str, joins: str, max_id: bool, since_id: bool, min_id: bool, limit: int) -> TextClause:
    where = [HOME_RULE] + ["s.id < :max_id"] * max_id + ["s.id > :since_id"] * since_id + ["s.id > :min_id"] * min_id
    order = "ASC" if min_id else "DESC"
    statement = text(f"SELECT {columns} FROM statuses s {joins} WHERE {' AND '.join(where)} "
                     f"ORDER BY s.id {order} LIMIT {int(limit)}")
    return statement.bindparams(bindparam("now", type_=UTCDateTime()))


def home_statement(viewer_id: int, page: Page, *, columns: str = "s.id",
                   joins: str = "JOIN accounts a ON a.id = s.account_id") -> tuple[TextClause, dict[str, object]]:
    """The home page as one statement selecting ``columns`` (``joins`` must join the author as ``a``).

    Rows come oldest first when ``page.min_id`` is set (``page.finish`` turns them round)."""
    # The limit is written into the SQL (an int from Page, at most MAX_LIMIT variants) so that
    # PostgreSQL's cached generic plan knows it: with LIMIT $n it plans for thousands of rows.
    statement = _home_text(columns, joins, page.max_id is not None, page.since_id is not None,
                           page.min_id is not None, page.limit)
    params: dict[str, object] = {"viewer": viewer_id, "now": utcnow()}
    params |= {name: value for name, value in (("max_id", page.max_id), ("since_id", page.since_id),
                                              ("min_id", page.min_id)) if value is not None}
    return statement, params


async def home(session: AsyncSession, viewer: Account, page: Page) -> list[Status]:
    """The viewer's posts and boosts, and those of everyone they follow."""
    statement, params = home_statement(viewer.id, page)
    ids = page.finish([row_id for (row_id,) in await session.execute(statement, params)], lambda i: i)
    found = {s.id: s for s in (await session.execute(select(Status).where(Status.id.in_(ids)))).scalars()}
    return [found[i] for i in ids if i in found]


def _not_silenced() -> ColumnElement[bool]:
    """Silenced accounts and domains stay out of the public timelines (their followers still
    see them at home)."""
    silenced_domains = select(DomainPolicy.domain).where(DomainPolicy.severity == "silence")
    return ~exists().where(Account.id == Status.account_id,
                           or_(Account.silenced_at.is_not(None), Account.domain.in_(silenced_domains)))


async def public(session: AsyncSession, viewer: Account | None, page: Page, *, local: bool = False,
                 remote: bool = False, only_media: bool = False) -> list[Status]:
    """Public posts (not unlisted, not boosts), from here, elsewhere or both."""
    query = select(Status).where(Status.visibility == "public", Status.reblog_of_id.is_(None), visible_to(viewer),
                                 _not_silenced())
    if local:
        query = query.where(Status.local.is_(true()))
    if remote:
        query = query.where(Status.local.is_(false()))
    if only_media:
        query = query.where(exists().where(MediaAttachment.status_id == Status.id))
    if viewer is not None:
        query = query.where(_not_muted(viewer))
    return await _run(session, query, page)


async def tagged(session: AsyncSession, viewer: Account | None, name: str, page: Page, *,
                 local: bool = False) -> list[Status]:
    query = (select(Status).join(StatusTag, StatusTag.status_id == Status.id).join(Tag, Tag.id == StatusTag.tag_id)
             .where(Tag.name == name.lower().lstrip("#"), Status.visibility == "public", visible_to(viewer),
                    _not_silenced()))
    if local:
        query = query.where(Status.local.is_(true()))
    return await _run(session, query, page)


async def by_account(session: AsyncSession, viewer: Account | None, account_id: int, page: Page, *,
                     exclude_replies: bool = False, exclude_reblogs: bool = False,
                     only_media: bool = False) -> list[Status]:
    query = select(Status).where(Status.account_id == account_id, visible_to(viewer))
    if exclude_replies:
        query = query.where(or_(Status.in_reply_to_id.is_(None), Status.in_reply_to_account_id == account_id))
    if exclude_reblogs:
        query = query.where(Status.reblog_of_id.is_(None))
    if only_media:
        query = query.where(exists().where(MediaAttachment.status_id == Status.id))
    return await _run(session, query, page)


async def context(session: AsyncSession, viewer: Account | None, status: Status,
                  max_depth: int = 64) -> tuple[list[Status], list[Status]]:
    """(ancestors oldest first, descendants in thread order) that the viewer may see."""
    ancestors: list[Status] = []
    parent_id = status.in_reply_to_id
    while parent_id is not None and len(ancestors) < max_depth:
        parent = await can_see(session, viewer, parent_id)
        if parent is None:
            break
        ancestors.insert(0, parent)
        parent_id = parent.in_reply_to_id
    descendants: list[Status] = []
    frontier = [status.id]
    while frontier and len(descendants) < 4096:
        children = list((await session.execute(select(Status).where(
            Status.in_reply_to_id.in_(frontier), visible_to(viewer)).order_by(Status.id))).scalars())
        descendants.extend(children)
        frontier = [c.id for c in children]
    return ancestors, descendants


async def authors(session: AsyncSession, ids: set[int]) -> dict[int, Account]:
    if not ids:
        return {}
    return {a.id: a for a in (await session.execute(select(Account).where(Account.id.in_(ids)))).scalars()}
