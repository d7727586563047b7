"""The pages' defences: forms refuse a missing or forged CSRF token; nobody can delete another
person's post; HTML in prompts, alt text, captions, bios and remote content is escaped (or, for
remote content, was sanitised on the way in and stays so)."""

from __future__ import annotations

from pathlib import Path

import pytest
from quart.testing import QuartClient

from fediverse_ai.config import Settings
from fediverse_ai.models import Account, Status
from fediverse_ai.runtime import Runtime
from fediverse_ai.services import profiles
from fediverse_ai.services.accounts import LocalUser, create_local_user
from tests.generation.conftest import tiny_model  # noqa: F401  (session fixture)

from ..conftest import PASSWORD, sign_in
from .helpers import csrf_of, post_form, publish

SCRIPT = '<script>alert("x")</script>'


@pytest.fixture
def settings(settings: Settings, tiny_model: Path) -> Settings:  # noqa: F811
    return settings.replace(generation__model=str(tiny_model), generation__device="cpu",
                            generation__batch_window_ms=0)


@pytest.mark.parametrize("token", [None, "forged-token"])
async def test_forms_refuse_missing_or_forged_csrf(client: QuartClient, runtime: Runtime, alice: LocalUser,
                                                   token: str | None) -> None:
    await sign_in(client)
    post_path = await publish(client, runtime, "a target")
    status_id = post_path.rsplit("/", 1)[1]
    form = {} if token is None else {"csrf": token}
    for action in (f"/statuses/{status_id}/favourite", f"/statuses/{status_id}/delete", "/compose",
                   "/admin/users/alice/suspend", "/settings/password", "/auth/sign_out"):
        response = await client.post(action, form=form | {"prompt": "x"})
        assert response.status_code == 403, action
    page = await (await client.get(post_path)).get_data(as_text=True)
    assert "Like · 0" in page  # nothing happened


async def test_another_users_post_cannot_be_edited_or_deleted(client: QuartClient, runtime: Runtime,
                                                             alice: LocalUser) -> None:
    await sign_in(client)
    post_path = await publish(client, runtime, "mine")
    status_id = int(post_path.rsplit("/", 1)[1])
    async with runtime.db.transaction() as session:
        await create_local_user(session, runtime.settings, username="mallory", email="m@social.test",
                                password=PASSWORD)
    mallory = client.app.test_client()  # type: ignore[attr-defined]
    await sign_in(mallory, "mallory")
    page = await (await mallory.get(post_path)).get_data(as_text=True)
    assert "Delete this post" not in page and "/edit" not in page
    refused = await mallory.post(f"/statuses/{status_id}/delete", form={"csrf": csrf_of(page)})
    assert refused.status_code == 403
    assert (await mallory.get(f"/statuses/{status_id}/edit")).status_code == 403
    edit = await mallory.post(f"/statuses/{status_id}/edit", form={"csrf": csrf_of(page), "text": "pwned"})
    assert edit.status_code == 403
    async with runtime.db.session() as session:
        row = await session.get_one(Status, status_id)
        assert row.deleted_at is None and row.edited_at is None and "pwned" not in row.content
    edited = await post_form(client, f"/statuses/{status_id}/edit", f"/statuses/{status_id}/edit",
                             {"text": "my <i>own</i> words", "spoiler_text": ""})
    assert edited.status_code == 302
    assert "my &lt;i&gt;own&lt;/i&gt; words" in await (await client.get(post_path)).get_data(as_text=True)
    deleted = await post_form(client, post_path, f"/statuses/{status_id}/delete", {})
    assert deleted.status_code == 302
    assert (await client.get(post_path)).status_code == 404


async def test_html_in_prompts_alt_text_captions_and_bios_is_escaped(client: QuartClient, runtime: Runtime,
                                                                      alice: LocalUser) -> None:
    async with runtime.db.transaction() as session:
        account = await session.get_one(Account, alice.account.id)
        await profiles.update_profile(session, runtime.settings, account, note=f"bio {SCRIPT}",
                                      display_name="<b>A</b><script>x()</script>")
    await sign_in(client)
    post_path = await publish(client, runtime, f"a cat {SCRIPT}", alt=f"alt {SCRIPT}", text=f"caption {SCRIPT}",
                              spoiler_text=f"cw {SCRIPT}")
    for path in (post_path, "/@alice", "/local", "/"):
        html = await (await client.get(path)).get_data(as_text=True)
        assert SCRIPT not in html and "<script>x()" not in html, path
    post = await (await client.get(post_path)).get_data(as_text=True)
    assert "a cat &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in post  # shown, as text
    compose = await (await client.get(f"/compose?remix={post_path.rsplit('/', 1)[1]}")).get_data(as_text=True)
    assert SCRIPT not in compose


async def test_remote_content_is_rendered_as_sanitised(client: QuartClient, runtime: Runtime) -> None:
    """A remote account's bio is stored sanitised by the federation layer; the page shows its
    markup but a script smuggled into the stored text of a remote post's CW is escaped."""
    async with runtime.db.transaction() as session:
        remote = Account(username="zed", domain="remote.test", uri="https://remote.test/users/zed",
                         inbox_url="https://remote.test/users/zed/inbox", display_name=f"Zed {SCRIPT}",
                         note="<p>hello <a href=\"https://remote.test\">site</a></p>")
        session.add(remote)
        await session.flush()
        session.add(Status(uri="https://remote.test/notes/1", account_id=remote.id, local=False, visibility="public",
                           content="<p>remote words</p>", spoiler_text=f"cw {SCRIPT}", published_at=remote.created_at))
        account_id = remote.id
    page = await (await client.get(f"/accounts/{account_id}")).get_data(as_text=True)
    assert '<p>hello <a href="https://remote.test">site</a></p>' in page and SCRIPT not in page
    feed = await (await client.get("/federated")).get_data(as_text=True)
    assert "remote words" in feed and SCRIPT not in feed
