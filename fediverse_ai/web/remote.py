"""Reaching other servers from the browser: search for local and remote accounts (user@host),
``/authorize_interaction`` (the WebFinger subscribe template: a person from here who found an
account or post elsewhere lands on it here, ready to follow or like), and remote follow (a
visitor from another server is sent to their own server's authorize_interaction page)."""

from __future__ import annotations

import logging
import re

from quart import Blueprint, redirect, render_template, request
from quart.typing import ResponseReturnValue
from sqlalchemy import func, select

from ..activitypub import fetch, threads
from ..activitypub.notes import NoteError
from ..activitypub.origin import OriginError
from ..errors import NotFound, ValidationError
from ..models import Account, Status
from .activitypub import local_account
from .csrf import check_csrf
from .page_helpers import runtime, signed_in, viewer

blueprint = Blueprint("remote", __name__)
log = logging.getLogger("fediverse_ai.web")
HANDLE = re.compile(r"^@?([A-Za-z0-9_.-]{1,64})@([A-Za-z0-9.-]{1,253}(?::\d{1,5})?)$")


def _path(account: Account) -> str:
    return f"/@{account.username}" if account.local else f"/accounts/{account.id}"


async def _lookup(text: str) -> tuple[list[Account], Status | None]:
    """Accounts (or a post) that ``text`` names: local by name, remote by WebFinger or URL."""
    rt = runtime()
    domain = rt.settings.instance.domain
    match = HANDLE.match(text)
    if match and match.group(2).lower() != domain:
        try:
            return [await fetch.resolve_account(rt, f"{match.group(1)}@{match.group(2)}")], None
        except (fetch.FetchError, OriginError) as exc:
            log.info("remote account lookup failed", extra={"query": text, "error": str(exc)})
            return [], None
    if text.startswith(("https://", "http://")):
        async with rt.db.session() as session:
            known = await session.scalar(select(Status).where((Status.uri == text) | (Status.url == text)))
        if known is not None:
            return [], known
        try:
            try:
                return [], await threads.resolve_status(rt, text)
            except NoteError:  # not a post: perhaps an account
                return [await fetch.fetch_actor(rt, text)], None
        except (fetch.FetchError, OriginError, NoteError) as exc:
            log.info("remote lookup failed", extra={"query": text, "error": str(exc)})
            return [], None
    name = (match.group(1) if match else text).lstrip("@")
    async with rt.db.session() as session:
        found = list((await session.execute(select(Account).where(
            Account.domain.is_(None), Account.suspended_at.is_(None), Account.actor_type != "Application",
            func.lower(Account.username).startswith(name.lower(), autoescape=True)).limit(20))).scalars())
    return found, None


@blueprint.get("/search")
async def search() -> ResponseReturnValue:
    query = request.args.get("q", "").strip()[:512]
    accounts: list[Account] = []
    if query:
        if await viewer() is None and ("@" in query.lstrip("@") or "://" in query):
            return await render_template("search.html", query=query, accounts=[], needs_sign_in=True)
        accounts, post = await _lookup(query)
        if post is not None:
            return redirect(f"/statuses/{post.id}")
    return await render_template("search.html", query=query, accounts=accounts, needs_sign_in=False,
                                 path_of=_path)


@blueprint.get("/authorize_interaction")
@signed_in
async def authorize_interaction() -> ResponseReturnValue:
    uri = request.args.get("uri", "").strip()
    if uri.startswith("acct:"):
        uri = uri[5:]
    accounts, post = await _lookup(uri)
    if post is not None:
        return redirect(f"/statuses/{post.id}")
    if len(accounts) != 1:
        raise NotFound(f"could not find {uri!r}")
    return redirect(_path(accounts[0]))


@blueprint.post("/@<username>/remote_follow")
async def remote_follow(username: str) -> ResponseReturnValue:
    """Send a visitor to their own server to follow this account there."""
    await check_csrf()
    form = await request.form
    match = HANDLE.match(form.get("handle", "").strip())
    if not match:
        raise ValidationError("enter your handle as you@your.server", field="handle")
    async with runtime().db.session() as session:
        account = await local_account(session, username)
    acct = f"{account.username}@{runtime().settings.instance.domain}"
    return redirect(f"https://{match.group(2)}/authorize_interaction?uri={acct}")
