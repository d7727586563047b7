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
from . import activitypub, errors, health, media, pages, statuses_ap

log = logging.getLogger("fediverse_ai.web")


def create_app(runtime: Runtime, *, workers: bool | None = None) -> Quart:
    """Build the app; ``workers`` (default: the in_process setting) runs job lanes with it."""
    load_handlers()  # the web process enqueues jobs (inbox, deliveries): it must know every kind
    app = Quart(__name__)
    app.config["MAX_CONTENT_LENGTH"] = runtime.settings.media.max_upload_bytes
    app.extensions["runtime"] = runtime
    app.jinja_env.globals.update(instance=runtime.settings.instance, version=__version__,
                                 media_url=lambda path: urls.media(runtime.settings, path))

    app.register_blueprint(health.blueprint)
    app.register_blueprint(pages.blueprint)
    app.register_blueprint(activitypub.blueprint)
    app.register_blueprint(statuses_ap.blueprint)
    app.register_blueprint(media.blueprint)
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
