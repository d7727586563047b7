"""The converters: our statuses as Notes Mastodon renders in full, and remote Notes (captured
from Mastodon, via bovine) read back into status fields."""

from __future__ import annotations

import datetime as dt

from fediverse_ai.activitypub.jsonld import AS_PUBLIC, IPTC_TRAINED_ALGORITHMIC_MEDIA
from fediverse_ai.activitypub.notes import (
    NoteParts,
    addressing,
    alt_text,
    note_to_remote,
    status_to_note,
    visibility_from_addressing,
)
from fediverse_ai.config import Settings
from fediverse_ai.models import Account, MediaAttachment, Status

from ..factories import RECIPE, fixture

SETTINGS = Settings().replace(instance__domain="social.test")
WHEN = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def author() -> Account:
    uri = "https://social.test/users/ada"
    return Account(id=1, username="ada", domain=None, uri=uri, followers_url=f"{uri}/followers")


def remote_bob() -> Account:
    return Account(id=2, username="bob", domain="remote.example", uri="https://remote.example/users/bob")


def status(**kw: object) -> Status:
    values: dict[str, object] = dict(
        id=7, uri="https://social.test/users/ada/statuses/7", url="https://social.test/@ada/7", account_id=1,
        visibility="public", content="<p>A fox</p>", spoiler_text="", sensitive=False, language="en",
        in_reply_to_uri=None, edited_at=None, published_at=WHEN, created_at=WHEN, conversation=None, recipe=None,
    )
    values.update(kw)
    return Status(**values)


def image(**kw: object) -> MediaAttachment:
    values: dict[str, object] = dict(
        id=9, content_type="image/png", file_path="1/9.png", remote_url=None, description="A red fox",
        blurhash="LEHV6nWB2yk8pyo0adR*.7kCMdnj", width=512, height=512, focus_x=0.1, focus_y=-0.25,
        generated=True, recipe=dict(RECIPE),
    )
    values.update(kw)
    return MediaAttachment(**values)


def test_a_generated_image_post_is_a_labelled_note_with_its_recipe() -> None:
    note = status_to_note(SETTINGS, NoteParts(status(), author(), media=[image()], mentions=[remote_bob()],
                                              tags=["aiart"]))
    assert note["type"] == "Note" and note["id"].endswith("/statuses/7")
    assert note["attributedTo"] == "https://social.test/users/ada"
    assert note["to"] == [AS_PUBLIC]
    assert note["cc"] == ["https://social.test/users/ada/followers", "https://remote.example/users/bob"]
    assert note["published"] == "2026-11-25T12:00:00Z" and "updated" not in note
    assert note["contentMap"] == {"en": "<p>A fox</p>"}
    [doc] = note["attachment"]
    assert doc["type"] == "Document" and doc["mediaType"] == "image/png"
    assert doc["url"] == "https://social.test/media/1/9.png"
    assert doc["name"] == "AI-generated image: A red fox"
    assert (doc["width"], doc["height"], doc["focalPoint"]) == (512, 512, [0.1, -0.25])
    assert doc["blurhash"] and doc["aiGenerated"] is True
    assert doc["digitalSourceType"] == IPTC_TRAINED_ALGORITHMIC_MEDIA
    assert doc["recipe"]["prompt"] == "a red fox in snow" and "pipeline" not in doc["recipe"]
    assert note["aiGenerated"] is True and note["recipe"]["seed"] == 42
    assert {"type": "Mention", "href": "https://remote.example/users/bob", "name": "@bob@remote.example"} in note["tag"]
    assert {"type": "Hashtag", "href": "https://social.test/tags/aiart", "name": "#aiart"} in note["tag"]
    assert "fai" in note["@context"][2]  # the namespace the extension lives in


def test_content_warning_edit_and_reply() -> None:
    note = status_to_note(SETTINGS, NoteParts(
        status(spoiler_text="spiders", edited_at=WHEN + dt.timedelta(minutes=5),
               in_reply_to_uri="https://remote.example/users/bob/statuses/1"),
        author(), in_reply_to_author_uri="https://remote.example/users/bob"))
    assert note["summary"] == "spiders" and note["sensitive"] is True
    assert note["updated"] == "2026-11-25T12:05:00Z"
    assert note["inReplyTo"] == "https://remote.example/users/bob/statuses/1"
    assert "https://remote.example/users/bob" in note["cc"]  # the replied-to author is addressed
    assert "aiGenerated" not in note


def test_addressing_per_visibility() -> None:
    f, m = "https://social.test/users/ada/followers", ["https://remote.example/users/bob"]
    assert addressing("public", f, m) == ([AS_PUBLIC], [f, *m])
    assert addressing("unlisted", f, m) == ([f], [AS_PUBLIC, *m])
    assert addressing("private", f, m) == ([f], m)
    assert addressing("direct", f, m) == (m, [])
    for visibility in ("public", "unlisted", "private", "direct"):
        to, cc = addressing(visibility, f, m)
        assert visibility_from_addressing(to, cc, f) == visibility


def test_alt_text_always_discloses_generation() -> None:
    assert alt_text(image(description="")) == "AI-generated image. Prompt: a red fox in snow"
    assert alt_text(image(description="AI-generated fox")) == "AI-generated fox"
    assert alt_text(image(description="A photo", generated=False, recipe=None)) == "A photo"


def test_our_note_reads_back_with_recipe_media_and_visibility() -> None:
    note = status_to_note(SETTINGS, NoteParts(status(visibility="unlisted", spoiler_text="cw"), author(),
                                              media=[image()], tags=["aiart"]))
    remote = note_to_remote(note, followers_url="https://social.test/users/ada/followers")
    assert remote.visibility == "unlisted" and remote.spoiler_text == "cw" and remote.sensitive
    assert remote.recipe == {k: RECIPE[k] for k in RECIPE if k != "pipeline"}
    [m] = remote.media
    assert m.url == "https://social.test/media/1/9.png" and m.generated and m.recipe == remote.recipe
    assert (m.width, m.height, m.focus, m.description) == (512, 512, (0.1, -0.25), "AI-generated image: A red fox")
    assert remote.hashtags == ["aiart"]


def test_mastodon_note_from_a_captured_create() -> None:
    activity = fixture("mastodon/mastodon_flow_1_create_note.json")
    remote = note_to_remote(activity["object"], followers_url="https://mastodon/users/john/followers")
    assert remote.uri == "https://mastodon/users/john/statuses/9876"
    assert remote.author_uri == "https://mastodon/users/john"
    assert remote.content == "<p>Creating Test Data!!! :)</p>" and remote.language == "en"
    assert remote.visibility == "public" and remote.in_reply_to_uri is None and not remote.sensitive
    assert remote.url == "https://mastodon/@john/9876"
    assert remote.published == dt.datetime(2023, 2, 4, 8, 52, 55, tzinfo=dt.UTC)


def test_mastodon_update_carries_the_edit_time() -> None:
    remote = note_to_remote(fixture("mastodon/mastodon_flow_1_update_note.json")["object"])
    assert remote.updated == dt.datetime(2023, 2, 4, 8, 54, 15, tzinfo=dt.UTC)
    assert "By updating it" in remote.content


def test_hostile_html_and_odd_attachments_are_cleaned() -> None:
    note = {
        "id": "https://remote.example/n/1", "type": "Note", "attributedTo": "https://remote.example/users/bob",
        "to": ["https://remote.example/users/bob/followers"], "cc": [],
        "content": '<p>hi<script>alert(1)</script><img src=x onerror="y()"></p>',
        "attachment": [
            {"type": "Document", "mediaType": "image/jpeg", "url": "https://remote.example/a.jpg",
             "summary": "alt from summary", "name": "alt from name", "focalPoint": [3, -9]},
            {"type": "Document", "mediaType": "video/mp4", "url": "https://remote.example/v.mp4"},
            {"type": "Image", "url": [{"type": "Link", "href": "https://remote.example/b.png"}],
             "mediaType": "image/png"},
        ] + [{"type": "Image", "mediaType": "image/png", "url": f"https://remote.example/{i}.png"} for i in range(5)],
        "tag": [{"type": "Hashtag", "name": "#Foxes"}, {"type": "Mention", "href": "https://social.test/users/ada"}],
    }
    remote = note_to_remote(note)
    assert "<script" not in remote.content and "<img" not in remote.content
    assert remote.visibility == "private"
    assert len(remote.media) == 4  # Mastodon keeps four
    assert remote.media[0].description == "alt from summary" and remote.media[0].focus == (1.0, -1.0)
    assert remote.media[1].url == "https://remote.example/b.png"
    assert remote.hashtags == ["foxes"] and remote.mention_uris == ["https://social.test/users/ada"]
