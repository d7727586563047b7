"""Signing up from the browser, as the instance's registration mode allows; a person's own
settings: password and whether images behind content warnings stay hidden.

The mode decides who gets an account: ``open`` (anyone, active at once), ``approval`` (anyone,
but an admin approves before the account can sign in), ``invite`` (only with a valid invite
code, active at once) and ``closed`` (nobody). Staff are told about approval requests through
their notifications, so a waiting account is not forgotten.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..config import Settings
from ..errors import Forbidden, ValidationError
from ..models import Account, AuditEvent, Invite, User
from ..passwords import MIN_LENGTH, hash_password, verify_password
from ..timeutil import utcnow
from . import notifications
from .accounts import LocalUser, create_local_user


async def _use_invite(session: AsyncSession, code: str) -> Invite:
    invite = await session.scalar(select(Invite).where(Invite.code == code.strip()).with_for_update())
    if invite is None or (invite.expires_at is not None and invite.expires_at <= utcnow()) or (
            invite.max_uses is not None and invite.uses >= invite.max_uses):
        raise ValidationError("this invite code is not valid (or has expired)", field="invite")
    invite.uses += 1
    return invite


async def sign_up(session: AsyncSession, settings: Settings, *, username: str, email: str, password: str,
                  invite: str = "") -> LocalUser:
    """Create a local user as the registration mode allows; in approval mode it waits, unapproved."""
    mode = settings.registration.mode
    if mode == "closed":
        raise Forbidden("this instance is not taking new sign-ups")
    if mode == "invite":
        if not invite.strip():
            raise ValidationError("sign-ups here need an invite code", field="invite")
        await _use_invite(session, invite)
    created = await create_local_user(session, settings, username=username.strip(), email=email.strip(),
                                      password=password, approved=mode != "approval")
    if mode == "approval":
        staff = (await session.execute(select(Account).join(User, User.account_id == Account.id)
                                       .where(User.role.in_(("admin", "moderator")), User.approved.is_(True),
                                              Account.suspended_at.is_(None)))).scalars()
        for member in staff:
            await notifications.notify(session, member, "admin.sign_up", from_account=created.account)
    return created


async def create_invite(session: AsyncSession, *, by: Account, max_uses: int | None = None,
                        expires_in: dt.timedelta | None = None) -> Invite:
    """An invite code for the invite registration mode (staff hand out /auth/sign_up?invite=CODE)."""
    if max_uses is not None and max_uses < 1:
        raise ValidationError("an invite must allow at least one use", field="max_uses")
    invite = Invite(code=secrets.token_urlsafe(12), created_by_id=by.id, max_uses=max_uses,
                    expires_at=utcnow() + expires_in if expires_in else None)
    session.add(invite)
    await session.flush()
    session.add(AuditEvent(account_id=by.id, action="invite.create", target_type="invite", target_id=invite.id,
                           detail={"max_uses": max_uses}))
    return invite


async def list_invites(session: AsyncSession) -> list[Invite]:
    return list((await session.execute(select(Invite).order_by(Invite.id.desc()).limit(50))).scalars())


async def set_approved(session: AsyncSession, user_id: int, *, by: Account) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise ValidationError("no such user", field="user_id")
    user.approved = True
    session.add(AuditEvent(account_id=by.id, action="account.approve", target_type="account",
                           target_id=user.account_id, detail={}))
    await session.flush()
    return user


async def change_password(session: AsyncSession, user: User, *, current: str, new: str) -> None:
    """Change a signed-in user's password; the current one must be given, so a borrowed session
    cannot lock the owner out."""
    row = await session.get_one(User, user.id)
    if not verify_password(current, row.password_hash):
        raise ValidationError("the current password is wrong", field="current_password")
    if len(new) < MIN_LENGTH:
        raise ValidationError(f"the new password must be at least {MIN_LENGTH} characters", field="new_password")
    row.password_hash = hash_password(new)
    session.add(AuditEvent(account_id=row.account_id, action="account.password", target_type="account",
                           target_id=row.account_id, detail={}))
    await session.flush()


async def set_hide_sensitive_media(session: AsyncSession, user: User, hide: bool) -> None:
    row = await session.get_one(User, user.id)
    row.hide_sensitive_media = hide
    await session.flush()
