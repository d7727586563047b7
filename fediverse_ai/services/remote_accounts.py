"""Remote accounts: the local cache of actors on other servers, written only here.

``upsert_remote_account`` stores what activitypub/actors.parse_actor read from an actor
document: one row per actor URI (unique), refreshed in place when the document is fetched again
(``last_fetched_at``). If another row already holds the same username@domain under a different
URI (the remote account was deleted and re-created), the old row is marked gone and renamed so
the name keeps pointing at the live actor, as Mastodon does.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..activitypub.actors import RemoteActor
from ..errors import Forbidden
from ..models import Account, DomainPolicy
from ..timeutil import utcnow

_COPIED = ("display_name", "note", "actor_type", "url", "inbox_url", "shared_inbox_url", "outbox_url",
           "followers_url", "following_url", "featured_url", "key_id", "public_key_pem", "avatar_url",
           "header_url", "locked", "discoverable", "indexable", "fields", "also_known_as")


async def find_by_uri(session: AsyncSession, uri: str) -> Account | None:
    return (await session.execute(select(Account).where(Account.uri == uri))).scalar_one_or_none()


async def find_by_key_id(session: AsyncSession, key_id: str) -> Account | None:
    return (await session.execute(select(Account).where(Account.key_id == key_id).limit(1))).scalar_one_or_none()


async def find_by_acct(session: AsyncSession, username: str, domain: str) -> Account | None:
    return (await session.execute(select(Account).where(
        func.lower(Account.username) == username.lower(), func.lower(Account.domain) == domain.lower(),
    ))).scalar_one_or_none()


def _domain_candidates(domain: str) -> set[str]:
    labels = domain.lower().split(":")[0].split(".")
    return {".".join(labels[i:]) for i in range(len(labels))} | {domain.lower()}


async def suspended_domains(session: AsyncSession, *domains: str) -> set[str]:
    """Which of ``domains`` an admin suspended (a policy on a domain covers its subdomains)."""
    candidates = {d: _domain_candidates(d) for d in domains}
    rows = set((await session.execute(select(DomainPolicy.domain).where(
        DomainPolicy.domain.in_(set().union(*candidates.values())), DomainPolicy.severity == "suspend",
    ))).scalars().all())
    return {d for d, names in candidates.items() if names & rows}


async def domain_suspended(session: AsyncSession, domain: str) -> bool:
    return bool(await suspended_domains(session, domain))


async def upsert_remote_account(session: AsyncSession, actor: RemoteActor) -> Account:
    """Insert or refresh the row for ``actor.uri``; refuses actors of suspended domains."""
    if await domain_suspended(session, actor.domain):
        raise Forbidden(f"{actor.domain} is suspended on this instance")
    account = await find_by_uri(session, actor.uri)
    namesake = await find_by_acct(session, actor.username, actor.domain)
    if namesake is not None and (account is None or namesake.id != account.id):
        namesake.username = f"{namesake.username}_gone_{namesake.id}"[:255]
        namesake.gone_at = namesake.gone_at or utcnow()
        await session.flush()
    if account is None:
        account = Account(uri=actor.uri, username=actor.username, domain=actor.domain)
        session.add(account)
    elif account.domain is None:
        raise Forbidden(f"{actor.uri} is a local account and cannot be replaced by a remote document")
    account.username = actor.username
    for name in _COPIED:
        setattr(account, name, getattr(actor, name))
    account.moved_to_id = None
    if actor.moved_to_uri:
        target = await find_by_uri(session, actor.moved_to_uri)
        account.moved_to_id = target.id if target is not None else None
    account.last_fetched_at = utcnow()
    account.gone_at = None
    await session.flush()
    return account


async def media_rejected(session: AsyncSession, domain: str | None) -> bool:
    """True when an admin rejects media from the domain (or a parent): its posts arrive without it."""
    if not domain:
        return False
    return domain in await media_rejected_domains(session, {domain})


async def media_rejected_domains(session: AsyncSession, domains: set[str]) -> set[str]:
    """Which of ``domains`` an admin rejects media from (a policy covers subdomains), in one query."""
    candidates = {d: _domain_candidates(d) for d in domains}
    if not candidates:
        return set()
    rows = set((await session.execute(select(DomainPolicy.domain).where(
        DomainPolicy.domain.in_(set().union(*candidates.values())), DomainPolicy.reject_media.is_(True),
    ))).scalars().all())
    return {d for d, names in candidates.items() if names & rows}
