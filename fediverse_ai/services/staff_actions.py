"""What admins and moderators do beyond suspending: silence an account (its posts leave the
public timelines but reach its followers), close reports with the action taken, and set
policies for whole domains (suspend: refuse everything from it and deliver nothing to it;
silence: keep its posts out of the public timelines; reject media: its posts arrive without
their images). Every action leaves an audit event."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..errors import NotFound, ValidationError
from ..models import Account, AuditEvent, DomainPolicy, Report
from ..timeutil import utcnow
from .accounts import find_local, set_suspended

SEVERITIES = ("suspend", "silence", "noop")
REPORT_ACTIONS = ("resolved", "silenced", "suspended")
DOMAIN_RE_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789.-:")


def _audit(session: AsyncSession, by: Account, action: str, target_type: str, target_id: int | None,
           detail: dict[str, object] | None = None) -> None:
    session.add(AuditEvent(account_id=by.id, action=action, target_type=target_type, target_id=target_id,
                           detail=detail or {}))


async def set_silenced(session: AsyncSession, account: Account, silenced: bool, *, by: Account) -> Account:
    account.silenced_at = utcnow() if silenced else None
    _audit(session, by, "account.silence" if silenced else "account.unsilence", "account", account.id)
    await session.flush()
    return account


async def resolve_report(session: AsyncSession, report_id: int, action: str, *, by: Account) -> Report:
    """Close a report; ``silenced``/``suspended`` also act on the reported account."""
    if action not in REPORT_ACTIONS:
        raise ValidationError(f"action must be one of {', '.join(REPORT_ACTIONS)}", field="action")
    report = await session.get(Report, report_id)
    if report is None:
        raise NotFound("no such report", field="id")
    target = await session.get_one(Account, report.target_account_id)
    if action == "silenced":
        await set_silenced(session, target, True, by=by)
    elif action == "suspended":
        if target.local:
            await set_suspended(session, target.username, True, by=by)
        else:
            target.suspended_at = utcnow()  # remote: holds no tokens here
    report.action_taken, report.action_taken_by_id, report.action_taken_at = action, by.id, utcnow()
    _audit(session, by, "report.resolve", "report", report.id, {"action": action})
    await session.flush()
    return report


def _domain(text: str) -> str:
    domain = text.strip().lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    if not domain or "." not in domain or not set(domain) <= DOMAIN_RE_CHARS:
        raise ValidationError("enter a domain like example.social", field="domain")
    return domain


async def set_domain_policy(session: AsyncSession, domain: str, severity: str, *, by: Account,
                            public_comment: str = "", reject_media: bool = False) -> DomainPolicy:
    if severity not in SEVERITIES:
        raise ValidationError(f"severity must be one of {', '.join(SEVERITIES)}", field="severity")
    name = _domain(domain)
    row = await session.scalar(select(DomainPolicy).where(DomainPolicy.domain == name))
    if row is None:
        row = DomainPolicy(domain=name)
        session.add(row)
    if severity == "noop" and not reject_media:
        raise ValidationError("a policy that neither suspends nor silences must reject media", field="severity")
    row.severity, row.reject_media, row.public_comment = severity, reject_media, public_comment.strip()[:1000]
    await session.flush()
    _audit(session, by, "domain.policy", "domain_policy", row.id,
           {"domain": name, "severity": severity, "reject_media": reject_media})
    return row


async def remove_domain_policy(session: AsyncSession, policy_id: int, *, by: Account) -> None:
    row = await session.get(DomainPolicy, policy_id)
    if row is None:
        raise NotFound("no such domain policy", field="id")
    await session.delete(row)
    _audit(session, by, "domain.policy.remove", "domain_policy", policy_id, {"domain": row.domain})


async def list_domain_policies(session: AsyncSession) -> list[DomainPolicy]:
    return list((await session.execute(select(DomainPolicy).order_by(DomainPolicy.domain))).scalars())


async def find_user_account(session: AsyncSession, username: str) -> Account:
    found = await find_local(session, username)
    if found is None:
        raise NotFound(f"no local user named {username!r}", field="username")
    return found.account
