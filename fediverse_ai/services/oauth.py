"""OAuth 2 for client apps: registration, authorization codes (with PKCE), tokens, revocation.

Mastodon's flavour, because that is what Tusky, Ivory, Elk, toot and Mastodon.py speak: apps
register at /api/v1/apps with space-separated scopes and redirect URIs, users approve on
/oauth/authorize, and /oauth/token trades the code (or the client's own credentials) for a
bearer token. Every secret is stored as its SHA-256 digest, so a leaked database yields no
usable credential; codes are single-use and expire after ten minutes.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import time
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..crypto import new_token, token_digest
from ..db import Database
from ..errors import AppError, Forbidden, ValidationError
from ..models import Account, OAuthApplication, OAuthAuthorizationCode, OAuthToken, User
from ..timeutil import utcnow
from .web_sessions import check_credentials

OOB_URI = "urn:ietf:wg:oauth:2.0:oob"
TOP_SCOPES = ("read", "write", "follow", "push", "profile")
# Granular scopes Mastodon defines; each is covered by its top-level scope.
GRANULAR = {
    "read": ("accounts", "blocks", "bookmarks", "favourites", "filters", "follows", "lists", "mutes",
             "notifications", "search", "statuses"),
    "write": ("accounts", "blocks", "bookmarks", "conversations", "favourites", "filters", "follows",
              "lists", "media", "mutes", "notifications", "reports", "statuses"),
    "admin:read": ("accounts", "reports", "domain_blocks"),
    "admin:write": ("accounts", "reports", "domain_blocks"),
}
FOLLOW_SCOPES = frozenset({"read:follows", "write:follows", "read:blocks", "write:blocks", "read:mutes",
                           "write:mutes"})
CODE_LIFETIME = dt.timedelta(minutes=10)


class OAuthError(AppError):
    """An error in the shape RFC 6749 prescribes: ``error`` is the OAuth error code."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description, status=status)
        self.code = error


def known_scopes() -> set[str]:
    scopes = set(TOP_SCOPES) | {"admin:read", "admin:write"}
    for top, names in GRANULAR.items():
        scopes |= {f"{top}:{name}" for name in names}
    return scopes


def parse_scopes(text: str | None, *, default: str = "read", field: str = "scopes") -> list[str]:
    """Space (or plus) separated scopes, validated; unknown ones are a 422 naming them."""
    requested = (text or default).replace("+", " ").split()
    unknown = [s for s in requested if s not in known_scopes()]
    if unknown:
        raise ValidationError(f"unknown scope(s): {', '.join(unknown)}", field=field)
    return list(dict.fromkeys(requested))


def scope_allows(granted: str, needed: str) -> bool:
    """``read`` grants ``read:statuses``; ``follow`` grants the follow-related read/write ones."""
    have = set(granted.split())
    if needed in have:
        return True
    granular = needed.count(":") == (2 if needed.startswith("admin:") else 1)
    if granular and needed.rsplit(":", 1)[0] in have:
        return True
    return "follow" in have and needed in FOLLOW_SCOPES


def _redirect_uris(text: str | list[str] | None) -> list[str]:
    uris = text if isinstance(text, list) else (text or "").split()
    if not uris:
        raise ValidationError("redirect_uris is required", field="redirect_uris")
    for uri in uris:
        if uri != OOB_URI and ":" not in uri:
            raise ValidationError(f"redirect URI {uri!r} is not an absolute URI", field="redirect_uris")
        if uri.split(":", 1)[0].lower() in ("javascript", "data", "vbscript"):
            raise ValidationError(f"redirect URI scheme of {uri!r} is not allowed", field="redirect_uris")
    return uris


@dataclass(frozen=True)
class RegisteredApp:
    app: OAuthApplication
    client_secret: str


async def register_app(
    session: AsyncSession, *, name: str | None, redirect_uris: str | list[str] | None, scopes: str | None,
    website: str | None = None, owner: User | None = None,
) -> RegisteredApp:
    if not name or not name.strip():
        raise ValidationError("client_name is required", field="client_name")
    if len(name) > 255:
        raise ValidationError("client_name is longer than 255 characters", field="client_name")
    secret = new_token()
    app = OAuthApplication(
        name=name.strip(), website=website or None, redirect_uris="\n".join(_redirect_uris(redirect_uris)),
        scopes=" ".join(parse_scopes(scopes)), client_id=new_token(24), client_secret_hash=token_digest(secret),
        owner_user_id=owner.id if owner else None,
    )
    session.add(app)
    await session.flush()
    return RegisteredApp(app, secret)


async def find_app(session: AsyncSession, client_id: str | None) -> OAuthApplication:
    app = None
    if client_id:
        app = (await session.execute(
            select(OAuthApplication).where(OAuthApplication.client_id == client_id))).scalar_one_or_none()
    if app is None:
        raise OAuthError("invalid_client", "unknown client_id", status=401)
    return app


async def authenticate_client(session: AsyncSession, client_id: str | None, secret: str | None) -> OAuthApplication:
    app = await find_app(session, client_id)
    if not secret or not hmac.compare_digest(app.client_secret_hash, token_digest(secret)):
        raise OAuthError("invalid_client", "client authentication failed", status=401)
    return app


def check_authorization_request(app: OAuthApplication, redirect_uri: str | None, scope: str | None,
                                response_type: str | None) -> list[str]:
    """What /oauth/authorize must verify before showing the consent page."""
    if response_type not in (None, "code"):
        raise OAuthError("unsupported_response_type", "only response_type=code is supported")
    if redirect_uri not in app.redirect_uris.split("\n"):
        raise OAuthError("invalid_request", "redirect_uri does not match one registered by the app")
    return requested_scopes(app, scope)


def requested_scopes(app: OAuthApplication, scope: str | None) -> list[str]:
    """The scopes asked for (default: all the app registered), none beyond what it registered."""
    scopes = parse_scopes(scope, default=app.scopes, field="scope")
    too_wide = [s for s in scopes if not scope_allows(app.scopes, s)]
    if too_wide:
        raise OAuthError("invalid_scope", f"the app did not register scope(s): {' '.join(too_wide)}")
    return scopes


async def issue_code(
    session: AsyncSession, app: OAuthApplication, user: User, *, scopes: list[str], redirect_uri: str,
    code_challenge: str | None = None, code_challenge_method: str | None = None,
) -> str:
    if code_challenge and (code_challenge_method or "plain") != "S256":
        raise OAuthError("invalid_request", "code_challenge_method must be S256")
    code = new_token()
    session.add(OAuthAuthorizationCode(
        code_hash=token_digest(code), application_id=app.id, user_id=user.id, scopes=" ".join(scopes),
        redirect_uri=redirect_uri, code_challenge=code_challenge,
        code_challenge_method="S256" if code_challenge else None, expires_at=utcnow() + CODE_LIFETIME,
    ))
    await session.flush()
    return code


@dataclass(frozen=True)
class IssuedToken:
    token: OAuthToken
    access_token: str
    refresh_token: str | None


async def _issue_token(session: AsyncSession, app: OAuthApplication, user_id: int | None, scopes: str,
                       *, refreshable: bool) -> IssuedToken:
    access = new_token()
    refresh = new_token() if refreshable else None
    token = OAuthToken(token_hash=token_digest(access), refresh_token_hash=token_digest(refresh) if refresh else None,
                       application_id=app.id, user_id=user_id, scopes=scopes)
    session.add(token)
    await session.flush()
    return IssuedToken(token, access, refresh)


def _pkce_matches(challenge: str, verifier: str | None) -> bool:
    if not verifier:
        return False
    computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return hmac.compare_digest(computed, challenge)


async def exchange_code(
    session: AsyncSession, app: OAuthApplication, *, code: str | None, redirect_uri: str | None,
    code_verifier: str | None,
) -> IssuedToken:
    row = None
    if code:
        row = (await session.execute(
            select(OAuthAuthorizationCode).where(OAuthAuthorizationCode.code_hash == token_digest(code))
            .with_for_update())).scalar_one_or_none()
    if row is None or row.application_id != app.id or row.used_at is not None or row.expires_at < utcnow():
        raise OAuthError("invalid_grant", "the authorization code is invalid, expired or already used")
    if redirect_uri != row.redirect_uri:
        raise OAuthError("invalid_grant", "redirect_uri differs from the one used to get the code")
    if row.code_challenge and not _pkce_matches(row.code_challenge, code_verifier):
        raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
    row.used_at = utcnow()
    return await _issue_token(session, app, row.user_id, row.scopes, refreshable=True)


async def client_credentials(session: AsyncSession, app: OAuthApplication, scope: str | None) -> IssuedToken:
    scopes = requested_scopes(app, scope)
    return await _issue_token(session, app, None, " ".join(scopes), refreshable=False)


async def password_grant(session: AsyncSession, app: OAuthApplication, *, username: str | None,
                         password: str | None, scope: str | None) -> IssuedToken:
    """The resource-owner password grant Mastodon still accepts (toot's login_cli, scripts).

    Refused for accounts that could not sign in on the web either (suspended, unapproved)."""
    scopes = requested_scopes(app, scope)
    try:
        user, _ = await check_credentials(session, username or "", password or "")
    except AppError as exc:
        raise OAuthError("invalid_grant", exc.message) from None
    return await _issue_token(session, app, user.id, " ".join(scopes), refreshable=True)


async def refresh(session: AsyncSession, app: OAuthApplication, refresh_token: str | None) -> IssuedToken:
    old = None
    if refresh_token:
        old = (await session.execute(select(OAuthToken).where(
            OAuthToken.refresh_token_hash == token_digest(refresh_token)))).scalar_one_or_none()
    if old is None or old.application_id != app.id or old.revoked_at is not None:
        raise OAuthError("invalid_grant", "the refresh token is invalid or revoked")
    old.revoked_at = utcnow()
    forget_grants()
    return await _issue_token(session, app, old.user_id, old.scopes, refreshable=True)


async def revoke(session: AsyncSession, app: OAuthApplication, token: str | None) -> None:
    """RFC 7009: revoking an unknown token succeeds silently; another app's token is refused."""
    if not token:
        raise OAuthError("invalid_request", "token is required")
    digest = token_digest(token)
    row = (await session.execute(select(OAuthToken).where(
        (OAuthToken.token_hash == digest) | (OAuthToken.refresh_token_hash == digest)))).scalar_one_or_none()
    if row is None:
        return
    if row.application_id != app.id:
        raise OAuthError("unauthorized_client", "the token belongs to another client", status=403)
    row.revoked_at = utcnow()
    forget_grants()


@dataclass(frozen=True)
class Authenticated:
    token: OAuthToken
    app: OAuthApplication
    user: User | None
    account: Account | None

    def allows(self, scope: str) -> bool:
        return scope_allows(self.token.scopes, scope)


def _expired(token: OAuthToken, now: dt.datetime) -> bool:
    return token.expires_at is not None and token.expires_at < now


async def authenticate(session: AsyncSession, bearer: str) -> Authenticated | None:
    """The token's grant, or None when it is unknown, revoked, expired or its user is suspended."""
    row = (await session.execute(
        select(OAuthToken, OAuthApplication)
        .join(OAuthApplication, OAuthApplication.id == OAuthToken.application_id)
        .where(OAuthToken.token_hash == token_digest(bearer)))).first()
    if row is None:
        return None
    token, app = row
    now = utcnow()
    if token.revoked_at is not None or _expired(token, now):
        return None
    user = account = None
    if token.user_id is not None:
        found = (await session.execute(
            select(User, Account).join(Account, Account.id == User.account_id).where(User.id == token.user_id))).first()
        if found is None:
            return None
        user, account = found
        if account.suspended_at is not None or user.disabled_at is not None:
            raise Forbidden("this account is suspended")
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        await session.execute(update(OAuthToken).where(OAuthToken.id == token.id).values(last_used_at=now))
    return Authenticated(token, app, user, account)


# Grants remembered per token for the hottest reads (timelines): a token check is two queries,
# more than a cached timeline page itself. Revoking a token or suspending a user forgets them in
# this process at once; other processes (more web workers) notice within GRANT_CACHE_SECONDS.
GRANT_CACHE_SECONDS = 10.0
GRANT_CACHE_SIZE = 10_000
_grants: dict[tuple[str, str], tuple[float, Authenticated]] = {}


async def authenticate_cached(db: Database, bearer: str) -> Authenticated | None:
    """``authenticate`` remembered for a few seconds; only for handlers that read ids and scopes
    (the account is a snapshot, not to be changed or shown)."""
    key = (db.url, token_digest(bearer))
    found = _grants.get(key)
    if found is not None and found[0] > time.monotonic() and not _expired(found[1].token, utcnow()):
        return found[1]
    async with db.transaction() as session:
        grant = await authenticate(session, bearer)
    if grant is not None:
        if len(_grants) >= GRANT_CACHE_SIZE:
            _grants.clear()
        _grants[key] = (time.monotonic() + GRANT_CACHE_SECONDS, grant)
    return grant


def forget_grants() -> None:
    """Drop every remembered grant (a token was revoked, a user suspended)."""
    _grants.clear()
