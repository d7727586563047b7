"""GET /api/v2/search: accounts, statuses and hashtags; with ``resolve=true`` a remote
``user@host`` is looked up by WebFinger and a post URL is fetched, as Mastodon does."""

from __future__ import annotations

import logging
from typing import Any

from quart import Response, g, jsonify, request
from sqlalchemy import select

from ... import urls
from ...activitypub import fetch, threads
from ...activitypub.notes import NoteError
from ...activitypub.origin import OriginError
from ...models import Account, Status, Tag
from ...services import timelines
from .accounts import search_known_accounts
from .common import authenticated, blueprint, runtime
from .entities import account_entity
from .status_entities import render_statuses

log = logging.getLogger("fediverse_ai.web")


def _remote_acct(text: str) -> bool:
    """``user@host`` naming another server (our own accounts are found locally)."""
    parts = text.lstrip("@").split("@")
    return (len(parts) == 2 and all(parts) and ("." in parts[1] or ":" in parts[1])
            and parts[1].lower() != runtime().settings.instance.domain)


async def _resolve(text: str) -> tuple[list[Account], list[Status]]:
    """What a remote lookup finds; failures are logged, never shown as a server error."""
    rt = runtime()
    try:
        if text.startswith(("https://", "http://")):
            async with rt.db.session() as session:
                known = (await session.execute(select(Status).where(
                    (Status.uri == text) | (Status.url == text)))).scalar_one_or_none()
                actor = (await session.execute(select(Account).where(
                    (Account.uri == text) | (Account.url == text)))).scalar_one_or_none()
            if known is not None or actor is not None:
                return ([actor] if actor else []), ([known] if known else [])
            try:
                return [], [await threads.resolve_status(rt, text)]
            except NoteError:
                return [await fetch.fetch_actor(rt, text)], []
        if _remote_acct(text):
            return [await fetch.resolve_account(rt, text.lstrip("@"))], []
    except (fetch.FetchError, NoteError, OriginError) as exc:
        log.info("search could not resolve", extra={"query": text, "error": str(exc)})
    return [], []


@blueprint.get("/api/v2/search")
@authenticated("read:search", optional=True)
async def search() -> Response:
    rt = runtime()
    viewer = g.auth.account if g.auth else None
    text = (request.args.get("q") or "").strip()
    kind = request.args.get("type")
    limit = max(1, min(int(request.args.get("limit", "20") or 20), 40))
    resolve = request.args.get("resolve", "").lower() in ("1", "true") and viewer is not None
    accounts: list[Account] = []
    found_statuses: list[Status] = []
    if resolve:
        accounts, found_statuses = await _resolve(text)
    async with rt.db.session() as session:
        if kind in (None, "accounts") and not accounts:
            local_suffix = "@" + rt.settings.instance.domain
            accounts = await search_known_accounts(session, text.lstrip("@").removesuffix(local_suffix), limit)
        visible = [s for s in found_statuses if await timelines.can_see(session, viewer, s.id)]
        rendered = await render_statuses(session, rt.settings, visible, viewer) if kind in (None, "statuses") else []
        hashtags: list[dict[str, Any]] = []
        if kind in (None, "hashtags") and text.lstrip("#"):
            names = (await session.execute(select(Tag.name).where(Tag.name.like(text.lstrip("#").lower() + "%"))
                                           .order_by(Tag.name).limit(limit))).scalars()
            hashtags = [{"name": n, "url": f"{urls.base(rt.settings)}/tags/{n}", "history": [], "following": False}
                        for n in names]
    shown_accounts = accounts[:limit] if kind in (None, "accounts") else []
    return jsonify({"accounts": [account_entity(rt.settings, a) for a in shown_accounts], "statuses": rendered,
                    "hashtags": hashtags})
