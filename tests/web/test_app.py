"""The app factory: home page, health check, and one error handler for JSON and HTML."""

from __future__ import annotations

import logging

import pytest
from quart import Quart

from fediverse_ai.errors import ValidationError
from fediverse_ai.runtime import Runtime
from fediverse_ai.services.accounts import create_local_user
from fediverse_ai.web import create_app


@pytest.fixture
def app(runtime: Runtime) -> Quart:
    app = create_app(runtime, workers=False)

    @app.get("/api/v1/test-validation")
    async def refuse() -> str:
        raise ValidationError("unknown prompt parameter 'sampler'", field="sampler")

    @app.get("/test-bug")
    async def bug() -> str:
        raise KeyError("secret-internal-detail")

    return app


async def test_home_page_shows_the_instance(app: Quart, runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        await create_local_user(session, runtime.settings, username="painter", email="p@social.test",
                                password="long enough")
    response = await app.test_client().get("/")
    assert response.status_code == 200
    html = await response.get_data(as_text=True)
    assert "<h1>fediverse_ai</h1>" in html
    assert "@name@social.test" in html
    assert "<dt>Accounts</dt><dd>1</dd>" in html


async def test_health_check(app: Quart) -> None:
    response = await app.test_client().get("/healthz")
    assert response.status_code == 200
    assert (await response.get_json())["checks"] == {"database": "ok", "schema": "ok"}


async def test_health_check_reports_a_dead_database(runtime: Runtime) -> None:
    broken = Runtime.from_settings(runtime.settings.replace(
        database__url="postgresql+asyncpg://postgres@127.0.0.1:1/none"))
    try:
        response = await create_app(broken, workers=False).test_client().get("/healthz")
    finally:
        await broken.close()
    assert response.status_code == 503
    body = await response.get_json()
    assert body["status"] == "unhealthy" and body["checks"]["database"].startswith("unreachable")


async def test_api_errors_are_json_naming_the_field(app: Quart) -> None:
    response = await app.test_client().get("/api/v1/test-validation")
    assert response.status_code == 422
    assert await response.get_json() == {
        "error": "unknown prompt parameter 'sampler'", "code": "validation_failed", "field": "sampler",
    }
    missing = await app.test_client().get("/api/v1/nothing-here")
    assert missing.status_code == 404 and (await missing.get_json())["code"] == "not_found"


async def test_page_errors_are_html(app: Quart) -> None:
    response = await app.test_client().get("/nothing-here", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.content_type.startswith("text/html")
    assert "<h1>404</h1>" in await response.get_data(as_text=True)


async def test_a_bug_is_logged_and_answered_without_details(app: Quart, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="fediverse_ai.web"):
        response = await app.test_client().get("/test-bug", headers={"Accept": "application/json"})
    assert response.status_code == 500
    body = await response.get_data(as_text=True)
    assert "secret-internal-detail" not in body and "internal_error" in body
    assert any("secret-internal-detail" in (r.exc_text or "") for r in caplog.records)
