"""What every HTML page handler needs: the runtime, the signed-in person (for the nav and for
pages that require one), and statuses rendered once for the templates.

Pages render the same status entities as the client API (status_entities.render_statuses), so
the browser and the apps show one thing, loaded in a few batched queries per page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import wraps
from typing import Any, ParamSpec, TypeVar
from urllib.parse import quote

from quart import current_app, g, redirect, request
from sqlalchemy.ext.asyncio import AsyncSession
from werkzeug.wrappers import Response as WerkzeugResponse

from ..errors import Forbidden
from ..models import Account, Status, User
from ..runtime import Runtime
from .auth import current_account
from .mastodon_api.status_entities import render_statuses

P = ParamSpec("P")
R = TypeVar("R")


def runtime() -> Runtime:
    return current_app.extensions["runtime"]


async def viewer() -> Account | None:
    signed_in = await current_account()
    return signed_in[1] if signed_in else None


def signed_in(handler: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R | WerkzeugResponse]]:
    """Send people who are signed out to the sign-in form, and back here afterwards; the
    handler finds the person in ``g.user`` and ``g.account``."""

    @wraps(handler)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | WerkzeugResponse:
        found = await current_account()
        if found is None:
            return redirect(f"/auth/sign_in?next={quote(request.full_path.rstrip('?'), safe='/?=&')}")
        g.user, g.account = found
        return await handler(*args, **kwargs)

    return wrapper


def staff(handler: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R | WerkzeugResponse]]:
    """Admins and moderators only (signed in first)."""

    @wraps(handler)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        user: User = g.user
        if user.role not in ("admin", "moderator"):
            raise Forbidden("this page is for the instance's staff")
        return await handler(*args, **kwargs)

    return signed_in(wrapper)


async def nav_context() -> dict[str, Any]:
    """Template globals: who is signed in, whether they are staff, and whether images behind a
    content warning stay hidden until clicked (always for visitors; a setting for people)."""
    found = await current_account()
    return {"me": found[1] if found else None, "my_role": found[0].role if found else None,
            "hide_cw_media": found[0].hide_sensitive_media if found else True}


async def cards(session: AsyncSession, statuses: Sequence[Status], who: Account | None) -> list[dict[str, Any]]:
    """Statuses as entities for templates; boosts are shown as their original with ``boosted_by``."""
    out = []
    for entity in await render_statuses(session, runtime().settings, statuses, who):
        if entity["reblog"] is not None:
            entity = entity["reblog"] | {"boosted_by": entity["account"]}
        out.append(entity)
    return out


def page_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None
