"""An app and a signed-in browser/client for web tests."""

from __future__ import annotations

import pytest
from quart import Quart
from quart.testing import QuartClient

from fediverse_ai.runtime import Runtime
from fediverse_ai.services.accounts import LocalUser, create_local_user
from fediverse_ai.web import create_app

PASSWORD = "correct horse battery"


@pytest.fixture
def app(runtime: Runtime) -> Quart:
    return create_app(runtime, workers=False)


@pytest.fixture
def client(app: Quart) -> QuartClient:
    return app.test_client()


@pytest.fixture
async def alice(runtime: Runtime) -> LocalUser:
    async with runtime.db.transaction() as session:
        return await create_local_user(session, runtime.settings, username="alice", email="alice@social.test",
                                       password=PASSWORD, role="admin")


async def sign_in(client: QuartClient, login: str = "alice", password: str = PASSWORD) -> None:
    """Sign in through the real form, CSRF cookie included."""
    page = await client.get("/auth/sign_in")
    html = await page.get_data(as_text=True)
    csrf = html.split('name="csrf" value="')[1].split('"')[0]
    response = await client.post("/auth/sign_in", form={"csrf": csrf, "login": login, "password": password,
                                                        "next": "/"})
    assert response.status_code == 302, await response.get_data(as_text=True)
