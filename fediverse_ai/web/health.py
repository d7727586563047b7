"""/healthz: what a load balancer or an operator's monitor asks. 200 when the database answers
and the schema is current, 503 with the reason otherwise."""

from __future__ import annotations

from quart import Blueprint, current_app, jsonify

from .. import __version__
from ..schema import SchemaBehind, check_current

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
async def healthz():  # type: ignore[no-untyped-def]
    runtime = current_app.extensions["runtime"]
    checks: dict[str, str] = {}
    try:
        await runtime.db.ping()
        checks["database"] = "ok"
        await check_current(runtime.db)
        checks["schema"] = "ok"
    except SchemaBehind as exc:
        checks["schema"] = str(exc)
    except Exception as exc:  # the point of a health check is to report, not to raise
        checks["database"] = f"unreachable: {type(exc).__name__}: {exc}"
    healthy = all(value == "ok" for value in checks.values()) and len(checks) == 2
    body = {"status": "ok" if healthy else "unhealthy", "version": __version__, "checks": checks}
    return jsonify(body), 200 if healthy else 503
