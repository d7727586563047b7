"""Local accounts: create, list, suspend, change password; and the instance actor.

Creating an account also creates its RSA key pair, so it can sign deliveries from its first
post. Usernames follow Mastodon's rules (letters, digits, underscore; unique per host
regardless of case) so they round-trip through WebFinger.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from .. import urls
from ..config import Settings
from ..crypto import generate_rsa_keypair
from ..errors import Conflict, NotFound, ValidationError
from ..models import Account, AuditEvent, User
from ..passwords import MIN_LENGTH, hash_password
from ..timeutil import utcnow
from . import oauth

USERNAME_RE = re.compile(r"^[a-zA-Z0-9_]{1,30}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$|^[^@\s]+@localhost$")
ROLES = ("user", "moderator", "admin")


@dataclass(frozen=True)
class LocalUser:
    account: Account
    user: User


def _local_actor_fields(settings: Settings, username: str) -> dict[str, object]:
    uri = urls.actor(settings, username)
    private_pem, public_pem = generate_rsa_keypair()
    return {
        "uri": uri,
        "url": urls.profile(settings, username),
        "inbox_url": f"{uri}/inbox",
        "shared_inbox_url": urls.shared_inbox(settings),
        "outbox_url": f"{uri}/outbox",
        "followers_url": f"{uri}/followers",
        "following_url": f"{uri}/following",
        "featured_url": f"{uri}/collections/featured",
        "key_id": f"{uri}#main-key",
        "public_key_pem": public_pem,
        "private_key_pem": private_pem,
    }


async def find_local(session: AsyncSession, username: str) -> LocalUser | None:
    row = (
        await session.execute(
            select(Account, User)
            .join(User, User.account_id == Account.id)
            .where(Account.domain.is_(None), func.lower(Account.username) == username.lower())
        )
    ).first()
    return LocalUser(row[0], row[1]) if row else None


async def create_local_user(
    session: AsyncSession,
    settings: Settings,
    *,
    username: str,
    email: str,
    password: str,
    role: str = "user",
    approved: bool = True,
    bot: bool = False,
    display_name: str = "",
) -> LocalUser:
    if not USERNAME_RE.match(username):
        raise ValidationError("username may contain only letters, digits and _ (1-30 characters)", field="username")
    if not EMAIL_RE.match(email):
        raise ValidationError("email address is not valid", field="email")
    if len(password) < MIN_LENGTH:
        raise ValidationError(f"password must be at least {MIN_LENGTH} characters", field="password")
    if role not in ROLES:
        raise ValidationError(f"role must be one of {', '.join(ROLES)}", field="role")
    if await find_local(session, username) is not None:
        raise Conflict(f"username {username!r} is taken", field="username")
    if (await session.execute(select(User.id).where(func.lower(User.email) == email.lower()))).first():
        raise Conflict("an account with this email address exists", field="email")

    account = Account(
        username=username,
        domain=None,
        display_name=display_name or username,
        actor_type="Service" if bot else "Person",
        **_local_actor_fields(settings, username),
    )
    session.add(account)
    await session.flush()
    user = User(account_id=account.id, email=email.lower(), password_hash=hash_password(password),
                role=role, approved=approved)
    session.add(user)
    session.add(AuditEvent(account_id=account.id, action="account.create", target_type="account",
                           target_id=account.id, detail={"role": role}))
    await session.flush()
    return LocalUser(account, user)


async def ensure_instance_actor(session: AsyncSession, settings: Settings) -> Account:
    """The server's own actor (Application) that signs instance-level fetches and Flags."""
    uri = urls.actor(settings, urls.INSTANCE_ACTOR_USERNAME)
    existing = (await session.execute(select(Account).where(Account.uri == uri))).scalar_one_or_none()
    if existing is not None:
        return existing
    account = Account(
        username=urls.INSTANCE_ACTOR_USERNAME,
        domain=None,
        display_name=settings.instance.name,
        actor_type="Application",
        locked=True,
        discoverable=False,
        indexable=False,
        **_local_actor_fields(settings, urls.INSTANCE_ACTOR_USERNAME),
    )
    session.add(account)
    await session.flush()
    return account


async def list_local_users(session: AsyncSession) -> list[LocalUser]:
    rows = (
        await session.execute(select(Account, User).join(User, User.account_id == Account.id).order_by(Account.id))
    ).all()
    return [LocalUser(a, u) for a, u in rows]


async def set_suspended(
    session: AsyncSession, username: str, suspended: bool, *, by: Account | None = None
) -> LocalUser:
    found = await find_local(session, username)
    if found is None:
        raise NotFound(f"no local user named {username!r}", field="username")
    found.account.suspended_at = utcnow() if suspended else None
    oauth.forget_grants()
    session.add(AuditEvent(
        account_id=by.id if by else None,
        action="account.suspend" if suspended else "account.unsuspend",
        target_type="account", target_id=found.account.id, detail={},
    ))
    await session.flush()
    return found


async def set_password(session: AsyncSession, username: str, password: str) -> LocalUser:
    found = await find_local(session, username)
    if found is None:
        raise NotFound(f"no local user named {username!r}", field="username")
    if len(password) < MIN_LENGTH:
        raise ValidationError(f"password must be at least {MIN_LENGTH} characters", field="password")
    found.user.password_hash = hash_password(password)
    await session.flush()
    return found
