"""Outgoing activities: two-stage fan-out and signed delivery (STYLE.md #3, #5).

A service calls ``send`` inside its transaction; that queues one ``delivery.fanout`` job holding
the activity. The fan-out job expands the audience (followers, named accounts, named inboxes)
into one ``delivery.deliver`` job per distinct inbox: followers on one server collapse onto its
shared inbox, and a server that advertises none (GoToSocial) gets one delivery per actor. Each
delivery is signed afresh on every attempt and mapped onto the one retry policy; its ``host``
column lets admins see failures per host.

Hosts that keep failing on distinct days are marked unavailable (Mastodon's rule: 7 days) and
are tried at most once per probe interval until one success clears them; 410 Gone marks the
actor behind that inbox gone.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from ..ids import new_id
from ..jobs import JobContext, JobError, PermanentJobError, enqueue, enqueue_many, job_handler
from ..models import Account, DomainPolicy, Follow, RemoteHost
from ..timeutil import utcnow

log = logging.getLogger("fediverse_ai.delivery")

UNAVAILABLE_AFTER_DAYS = 7
PROBE_INTERVAL = dt.timedelta(hours=6)
HOST_FAILURE_STATUSES = frozenset({408, 429})  # besides 5xx and network errors


def host_of(url: str) -> str:
    return (urlsplit(url).netloc or "").lower()


async def send(
    session: AsyncSession, actor: Account, activity: dict[str, Any], *, followers: bool = False,
    account_ids: Iterable[int] = (), inboxes: Iterable[str] = (),
) -> int:
    """Queue ``activity`` from the local ``actor`` to its remote followers (if ``followers``),
    to the remote accounts ``account_ids`` and to explicit ``inboxes``, in the caller's
    transaction. Returns the fan-out job id."""
    return await enqueue(session, "delivery.fanout", {
        "actor_id": actor.id,
        "activity": activity,
        "followers": followers,
        "account_ids": sorted(set(account_ids)),
        "inboxes": sorted(set(inboxes)),
    })


async def audience_inboxes(
    session: AsyncSession, actor_id: int, *, followers: bool, account_ids: list[int], inboxes: list[str],
) -> list[str]:
    """Distinct inbox URLs for an audience: shared inboxes where advertised, never local
    accounts, accounts known to be gone or suspended, or suspended domains."""
    conditions = []
    if followers:
        conditions.append(Account.id.in_(
            select(Follow.account_id).where(Follow.target_account_id == actor_id, Follow.accepted.is_(True))
        ))
    if account_ids:
        conditions.append(Account.id.in_(account_ids))
    found: dict[str, None] = {url: None for url in inboxes}
    for condition in conditions:
        rows = await session.execute(
            select(Account.inbox_url, Account.shared_inbox_url).where(
                condition, Account.domain.is_not(None), Account.gone_at.is_(None), Account.suspended_at.is_(None),
            )
        )
        for inbox, shared in rows:
            url = shared or inbox
            if url:
                found.setdefault(url, None)
    suspended = {d.lower() for d in (await session.execute(
        select(DomainPolicy.domain).where(DomainPolicy.severity == "suspend")
    )).scalars()}
    return [url for url in found if host_of(url) and not _covered(host_of(url), suspended)]


def _covered(host: str, domains: set[str]) -> bool:
    """Is the host, or a domain above it, in ``domains`` (policies cover subdomains)?"""
    if host in domains:
        return True
    labels = host.split(":")[0].split(".")
    return any(".".join(labels[i:]) in domains for i in range(len(labels)))


@job_handler("delivery.fanout", lane="delivery", max_attempts=8)
async def fanout(ctx: JobContext) -> None:
    """Stage one: expand the audience into one delivery job per inbox, in one transaction."""
    p = ctx.payload
    body = json.dumps(p["activity"], separators=(",", ":"), ensure_ascii=False)
    async with ctx.runtime.db.transaction() as session:
        actor = await session.get(Account, p["actor_id"])
        if actor is None or not actor.local:
            raise PermanentJobError(f"no local actor {p['actor_id']}")
        urls = await audience_inboxes(session, actor.id, followers=p["followers"],
                                      account_ids=p["account_ids"], inboxes=p["inboxes"])
        queued = await enqueue_many(
            session, "delivery.deliver",
            (({"inbox": url, "actor_id": actor.id, "body": body}, host_of(url)) for url in urls),
        )
    log.info("fan-out", extra={"activity": p["activity"].get("id"), "inboxes": queued})


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - utcnow()).total_seconds())


@dataclass(frozen=True)
class Signer:
    """What signing needs from a local actor; duck-types as the Account transport expects."""

    uri: str
    key_id: str
    private_key_pem: str


class _Cache:
    """Per-process caches that keep the database out of the hot path of a delivery: the
    signing key of each actor, and which hosts are unavailable (refreshed every few seconds).
    A fan-out of 10,000 deliveries would otherwise read the same two rows 10,000 times."""

    SIGNER_TTL_S = 300.0
    HOSTS_TTL_S = 10.0

    def __init__(self) -> None:
        self.signers: dict[int, tuple[float, Signer]] = {}
        self.unavailable: dict[str, dt.datetime] = {}  # host -> its last failure
        self.failing: set[str] = set()  # hosts with failures on record, cleared by a success
        self.hosts_loaded_at = -1e9

    async def signer(self, db: Any, actor_id: int) -> Signer | None:
        now = time.monotonic()
        cached = self.signers.get(actor_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        async with db.session() as session:
            actor = await session.get(Account, actor_id)
        if actor is None or not actor.private_key_pem:
            return None
        signer = Signer(actor.uri, actor.key_id, actor.private_key_pem)
        self.signers[actor_id] = (now + self.SIGNER_TTL_S, signer)
        return signer

    async def probe_wait(self, db: Any, host: str) -> float:
        """Seconds until an unavailable host may be tried again (0 when it may be now)."""
        now = time.monotonic()
        if now - self.hosts_loaded_at > self.HOSTS_TTL_S:
            async with db.session() as session:
                rows = (await session.execute(
                    select(RemoteHost.domain, RemoteHost.last_failure_at, RemoteHost.unavailable_since)
                    .where(RemoteHost.failures > 0))).all()
            self.failing = {domain for domain, _, _ in rows}
            self.unavailable = {domain: last or utcnow() for domain, last, since in rows if since is not None}
            self.hosts_loaded_at = now
        last_failure = self.unavailable.get(host)
        if last_failure is None:
            return 0.0
        return max(0.0, (last_failure + PROBE_INTERVAL - utcnow()).total_seconds())

    def forget_host(self, host: str) -> None:
        self.unavailable.pop(host, None)
        self.failing.discard(host)


cache = _Cache()


@job_handler("delivery.deliver", lane="delivery", max_attempts=16)
async def deliver(ctx: JobContext) -> None:
    """Stage two: one signed POST to one inbox; the outcome feeds the retry policy."""
    from . import transport  # the protocol edge's signing transport

    p = ctx.payload
    inbox, host = p["inbox"], ctx.job.host or host_of(p["inbox"])
    db = ctx.runtime.db
    signer = await cache.signer(db, p["actor_id"])
    if signer is None:
        raise PermanentJobError(f"actor {p['actor_id']} cannot sign")
    wait = await cache.probe_wait(db, host)
    if wait > 0:
        raise JobError(f"{host} is unavailable; next probe later", retry_after=wait)
    try:
        response = await transport.signed_post(ctx.runtime, inbox, p["body"].encode(), signer)  # type: ignore[arg-type]
    except transport.BlockedAddressError as exc:
        raise PermanentJobError(f"{inbox}: {exc}") from exc
    except transport.TransportError as exc:
        await record_failure(db, host, str(exc))
        raise JobError(f"{inbox}: {exc}") from exc
    status = response.status
    if 200 <= status < 300:
        if host in cache.failing:
            await record_success(db, host)
        return
    error = f"{inbox} answered {status}"
    if status == 410:
        await mark_gone(db, inbox)
        raise PermanentJobError(error, status=status)
    if status >= 500 or status in HOST_FAILURE_STATUSES:
        await record_failure(db, host, error)
    raise JobError(error, status=status, retry_after=parse_retry_after(_header(response.headers, "Retry-After")))


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


async def mark_gone(db: Any, inbox: str) -> None:
    """410 from a personal inbox: that actor is gone; stop delivering to it."""
    async with db.transaction() as session:
        await session.execute(
            update(Account).where(Account.inbox_url == inbox, Account.domain.is_not(None), Account.gone_at.is_(None))
            .values(gone_at=utcnow()).execution_options(synchronize_session=False)
        )


async def _host_row(session: AsyncSession, dialect: str, host: str) -> RemoteHost:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(insert(RemoteHost).values(id=new_id(), domain=host, failure_days=[], failures=0)
                          .on_conflict_do_nothing(index_elements=["domain"]))
    query = select(RemoteHost).where(RemoteHost.domain == host)
    if dialect == "postgresql":
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one()


async def record_failure(db: Any, host: str, error: str) -> None:
    """Count a failure; failures on UNAVAILABLE_AFTER_DAYS distinct days mark the host
    unavailable."""
    now = utcnow()
    async with db.transaction() as session:
        row = await _host_row(session, db.dialect, host)
        today = now.date().isoformat()
        days = list(row.failure_days or [])
        if today not in days:
            days = [*days, today][-30:]
        row.failure_days = days
        row.failures = (row.failures or 0) + 1
        row.last_error = error[:2000]
        row.last_failure_at = now
        if len(days) >= UNAVAILABLE_AFTER_DAYS and row.unavailable_since is None:
            row.unavailable_since = now
        cache.failing.add(host)
        if row.unavailable_since is not None:
            cache.unavailable[host] = now
            log.warning("host marked unavailable", extra={"host": host, "days": len(days)})


async def record_success(db: Any, host: str) -> None:
    cache.forget_host(host)
    async with db.transaction() as session:
        await session.execute(
            update(RemoteHost).where(RemoteHost.domain == host)
            .values(failure_days=[], failures=0, unavailable_since=None, last_success_at=utcnow())
            .execution_options(synchronize_session=False)
        )


async def troubled_hosts(db: Any, limit: int = 50) -> list[RemoteHost]:
    """Hosts with delivery failures on record, unavailable ones first (for admins)."""
    async with db.session() as session:
        return list((await session.execute(
            select(RemoteHost).where(RemoteHost.failures > 0)
            .order_by(RemoteHost.unavailable_since.is_(None), RemoteHost.failures.desc()).limit(limit)
        )).scalars())
