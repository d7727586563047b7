"""The Quart app factory (pgjones' Tozo shape): one app per Runtime, blueprints registered here,
errors mapped in one place, the in-process workers started and stopped with the app.

The app never builds its own Runtime: the CLI (or a test) hands one in, so the web process and
its workers share one engine and one Settings object.
"""

from __future__ import annotations

import logging
import time

from quart import Quart, g, request

from .. import __version__, urls
from ..jobs.registry import load_handlers
from ..jobs.runner import Runner
from ..runtime import Runtime
from . import (
    account_pages,
    activitypub,
    admin,
    auth,
    compose,
    errors,
    health,
    media,
    oauth,
    pages,
    pages_public,
    remote,
    social,
    statuses_ap,
)
from .asgi_http import CompleteBodyFirst
from .csrf import csrf_token, set_csrf_cookie
from .mastodon_api import blueprint as mastodon_api
from .mastodon_api.common import add_cors
from .page_helpers import nav_context
from .ratelimit import RateLimiter

log = logging.getLogger("fediverse_ai.web")


def create_app(runtime: Runtime, *, workers: bool | None = None) -> Quart:
    """Build the app; ``workers`` (default: the in_process setting) runs job lanes with it."""
    load_handlers()  # the web process enqueues jobs (inbox, deliveries): it must know every kind
    app = Quart(__name__)
    app.asgi_http_class = CompleteBodyFirst
    app.config["MAX_CONTENT_LENGTH"] = runtime.settings.media.max_upload_bytes
    app.extensions["runtime"] = runtime
    app.jinja_env.globals.update(instance=runtime.settings.instance, version=__version__,
                                 media_url=lambda path: urls.media(runtime.settings, path))

    app.url_map.strict_slashes = False  # clients call /api/v1/instance/ with a trailing slash
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(nav_context)
    for blueprint in (health.blueprint, pages.blueprint, pages_public.blueprint, compose.blueprint, social.blueprint,
                      account_pages.blueprint, admin.blueprint, remote.blueprint, auth.blueprint, oauth.blueprint,
                      mastodon_api, activitypub.blueprint, statuses_ap.blueprint, media.blueprint):
        app.register_blueprint(blueprint)
    # Every hook is a coroutine: Quart runs a plain function in a thread pool, a thread hop per
    # request and hook that cost more than the whole of a cached timeline read.
    app.after_request(set_csrf_cookie)
    app.after_request(add_cors)
    limits = runtime.settings.limits
    limiter = RateLimiter(limits.api_requests_per_window, limits.api_window_s)
    app.before_request(limiter.before)
    app.after_request(limiter.headers)
    errors.register(app)

    run_workers = runtime.settings.workers.in_process if workers is None else workers
    if run_workers:
        runner = Runner(runtime, runtime.settings.workers.lanes)

        @app.before_serving
        async def start_workers() -> None:
            await runner.start()

        @app.after_serving
        async def stop_workers() -> None:
            await runner.stop()

    @app.before_request
    async def start_timer() -> None:
        g.started = time.perf_counter()

    @app.after_request
    async def log_request(response):  # type: ignore[no-untyped-def]
        if not log.isEnabledFor(logging.INFO):
            return response
        started = getattr(g, "started", None)
        log.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
            },
        )
        return response

    return app


def runtime_of(app: Quart) -> Runtime:
    return app.extensions["runtime"]
