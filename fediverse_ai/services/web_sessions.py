"""Browser sign-in: a password check that opens a server-side session.

The cookie carries a random token; the table keeps its SHA-256, so a database leak opens no
session. Sessions last 30 days from the last visit. Suspended, disabled and not-yet-approved
users cannot sign in, and the message says which, so nobody is left guessing.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..crypto import new_token, token_digest
from ..errors import AppError, Forbidden
from ..models import Account, User, WebSession
from ..passwords import verify_password
from ..timeutil import utcnow

LIFETIME = dt.timedelta(days=30)


class SignInFailed(AppError):
    status = 401
    code = "sign_in_failed"


async def check_credentials(session: AsyncSession, login: str, password: str) -> tuple[User, Account]:
    """A username or email with its password, for an account that may sign in now."""
    login = login.strip().lstrip("@").lower()
    row = (await session.execute(
        select(User, Account).join(Account, Account.id == User.account_id).where(
            (func.lower(User.email) == login) | ((func.lower(Account.username) == login) & Account.domain.is_(None))
        ))).first()
    if row is None or not verify_password(password, row[0].password_hash):
        raise SignInFailed("the username/email or password is wrong")
    user, account = row
    if account.suspended_at is not None or user.disabled_at is not None:
        raise Forbidden("this account is suspended")
    if not user.approved:
        raise Forbidden("this account is waiting for an admin's approval")
    return user, account


async def sign_in(session: AsyncSession, login: str, password: str, *, user_agent: str = "",
                  ip: str = "") -> tuple[str, User, Account]:
    """Check the credentials and open a session; returns (cookie token, user, account)."""
    user, account = await check_credentials(session, login, password)
    token = new_token()
    now = utcnow()
    session.add(WebSession(token_hash=token_digest(token), user_id=user.id, user_agent=user_agent[:512],
                           ip=ip[:64], last_seen_at=now, expires_at=now + LIFETIME))
    user.last_sign_in_at = now
    await session.flush()
    return token, user, account


async def current(session: AsyncSession, token: str | None) -> tuple[User, Account] | None:
    """The signed-in user for a cookie token, sliding the expiry forward; None if signed out."""
    if not token:
        return None
    now = utcnow()
    row = (await session.execute(
        select(WebSession, User, Account).join(User, User.id == WebSession.user_id)
        .join(Account, Account.id == User.account_id)
        .where(WebSession.token_hash == token_digest(token), WebSession.expires_at > now))).first()
    if row is None:
        return None
    web_session, user, account = row
    if account.suspended_at is not None or user.disabled_at is not None:
        return None
    if web_session.last_seen_at is None or now - web_session.last_seen_at > dt.timedelta(minutes=5):
        await session.execute(update(WebSession).where(WebSession.id == web_session.id)
                              .values(last_seen_at=now, expires_at=now + LIFETIME))
    return user, account


async def sign_out(session: AsyncSession, token: str | None) -> None:
    if token:
        await session.execute(delete(WebSession).where(WebSession.token_hash == token_digest(token)))
