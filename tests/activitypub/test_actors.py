"""Actor documents: ours has what Mastodon reads; theirs (captured from real servers) parse."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from fediverse_ai.activitypub.actors import ActorError, actor_document, normalize_pem, parse_actor
from fediverse_ai.activitypub.signatures import _load_public_key
from fediverse_ai.config import Settings
from fediverse_ai.models import Account
from fediverse_ai.services.accounts import _local_actor_fields

FIXTURES = Path(__file__).parents[1] / "fixtures"
SETTINGS = Settings().replace(instance__domain="social.test")


def load(path: str) -> dict:
    return json.loads((FIXTURES / path).read_text())


def local_account(**overrides: object) -> Account:
    fields = {**_local_actor_fields(SETTINGS, "painter"), "username": "painter", "display_name": "Painter",
              "note": "I paint <with> models\n\nsecond", "actor_type": "Person", "locked": False,
              "discoverable": True, "indexable": True, "fields": [{"name": "Model", "value": "sd-turbo"}],
              "also_known_as": [], "avatar_url": "https://social.test/media/a.jpg", "header_url": None}
    return Account(**{**fields, **overrides})


def test_our_actor_has_everything_mastodon_reads() -> None:
    doc = actor_document(local_account())
    assert doc["@context"][0] == "https://www.w3.org/ns/activitystreams"
    for key in ("id", "type", "preferredUsername", "name", "summary", "url", "inbox", "outbox", "followers",
                "following", "featured", "endpoints", "manuallyApprovesFollowers", "discoverable", "indexable",
                "publicKey", "tag", "attachment", "alsoKnownAs", "icon"):
        assert key in doc, key
    assert doc["type"] == "Person" and doc["id"] == "https://social.test/users/painter"
    assert doc["endpoints"] == {"sharedInbox": "https://social.test/inbox"}
    assert doc["publicKey"]["id"] == "https://social.test/users/painter#main-key"
    assert doc["publicKey"]["owner"] == doc["id"]
    assert doc["summary"] == "<p>I paint &lt;with&gt; models</p><p>second</p>"
    assert doc["icon"] == {"type": "Image", "mediaType": "image/jpeg", "url": "https://social.test/media/a.jpg"}
    assert doc["attachment"] == [{"type": "PropertyValue", "name": "Model", "value": "sd-turbo"}]
    assert "image" not in doc and "movedTo" not in doc


def test_bots_are_services_and_the_instance_actor_is_an_application() -> None:
    assert actor_document(local_account(actor_type="Service"))["type"] == "Service"
    instance = actor_document(local_account(actor_type="Application", username="instance.actor"))
    assert instance["type"] == "Application" and instance["preferredUsername"] == "instance.actor"


def test_our_actor_round_trips_through_our_parser() -> None:
    parsed = parse_actor(actor_document(local_account()))
    assert (parsed.username, parsed.domain, parsed.inbox_url) == ("painter", "social.test",
                                                                  "https://social.test/users/painter/inbox")
    assert parsed.shared_inbox_url == "https://social.test/inbox" and parsed.discoverable


def test_a_captured_mastodon_actor_parses() -> None:
    parsed = parse_actor(load("activitypub.academy/users/brauca_darradiul.json"))
    assert parsed.uri == "https://activitypub.academy/users/brauca_darradiul"
    assert (parsed.username, parsed.domain, parsed.actor_type) == ("brauca_darradiul", "activitypub.academy",
                                                                   "Person")
    assert parsed.key_id == "https://activitypub.academy/users/brauca_darradiul#main-key"
    assert parsed.shared_inbox_url == "https://activitypub.academy/inbox"
    assert parsed.featured_url.endswith("/collections/featured")
    _load_public_key(parsed.public_key_pem)  # the flattened PEM of the capture is usable


def test_a_captured_fedify_actor_parses() -> None:
    parsed = parse_actor(load("wizard.casa/users/hongminhee.json"))
    assert parsed.domain == "wizard.casa" and parsed.username == "hongminhee"
    _load_public_key(parsed.public_key_pem)


def test_remote_html_is_sanitised() -> None:
    doc = load("activitypub.academy/users/brauca_darradiul.json")
    doc["summary"] = '<p>hi<script>alert(1)</script><img src="x" onerror="y"></p>'
    doc["name"] = "<b>Bold</b> name"
    parsed = parse_actor(doc)
    assert "<script>" not in parsed.note and "onerror" not in parsed.note
    assert parsed.display_name == "Bold name"


@pytest.mark.parametrize("breakage", ["no id", "note", "no inbox", "foreign inbox", "foreign key owner", "no key"])
def test_unusable_actors_are_refused(breakage: str) -> None:
    doc = copy.deepcopy(load("activitypub.academy/users/brauca_darradiul.json"))
    match breakage:
        case "no id":
            del doc["id"]
        case "note":
            doc["type"] = "Note"
        case "no inbox":
            del doc["inbox"]
        case "foreign inbox":
            doc["inbox"] = "https://evil.example/inbox"
        case "foreign key owner":
            doc["publicKey"]["owner"] = "https://activitypub.academy/users/someone_else"
        case "no key":
            del doc["publicKey"]
    with pytest.raises(ActorError):
        parse_actor(doc)


def test_normalize_pem_restores_line_breaks() -> None:
    pem = normalize_pem("-----BEGIN PUBLIC KEY----- " + "A" * 100 + " -----END PUBLIC KEY----- ")
    assert pem.splitlines() == ["-----BEGIN PUBLIC KEY-----", "A" * 64, "A" * 36, "-----END PUBLIC KEY-----"]
    with pytest.raises(ActorError):
        normalize_pem("not a key")


@pytest.mark.parametrize("path", [
    "oeee.cafe/ap/users/3609fd4e-d51d-4db8-9f04-4189815864dd.json",
    "example.com/key.json", "example.com/person.json", "example.com/wrong-type.json",
    "example.com/cross-origin-actor.json", "example.com/create.json",
])
def test_captured_documents_parse_or_are_refused_cleanly(path: str) -> None:
    """Real and edge-case documents from Fedify's fixtures: an actor parses, anything else is
    an ActorError (never a crash), so the inbox and fetch code can rely on one exception."""
    doc = load(path)
    if path.startswith("oeee.cafe"):
        assert parse_actor(doc).domain == "oeee.cafe"
        return
    with pytest.raises(ActorError):
        parse_actor(doc)
