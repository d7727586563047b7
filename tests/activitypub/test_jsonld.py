"""Bundled JSON-LD contexts and the @context our documents carry."""

from __future__ import annotations

import pytest

from fediverse_ai.activitypub import jsonld


def test_every_context_we_reference_is_bundled() -> None:
    for url in (jsonld.AS_CONTEXT, jsonld.SECURITY_CONTEXT, jsonld.FAI_CONTEXT):
        assert "@context" in jsonld.bundled_context(url)
    assert jsonld.bundled_context(jsonld.AS_CONTEXT)["@context"]["as"] == "https://www.w3.org/ns/activitystreams#"
    with pytest.raises(KeyError):
        jsonld.bundled_context("https://evil.example/context")


def test_our_context_carries_mastodons_terms_and_our_namespace() -> None:
    extensions = jsonld.CONTEXT[2]
    for term in ("toot", "schema", "manuallyApprovesFollowers", "sensitive", "Hashtag", "blurhash",
                 "discoverable", "indexable", "featured"):
        assert term in extensions
    assert extensions["focalPoint"] == {"@container": "@list", "@id": "toot:focalPoint"}
    assert extensions["fai"] == jsonld.FAI_NS
    # the published context document of our namespace agrees with the inline map
    published = jsonld.bundled_context(jsonld.FAI_CONTEXT)["@context"]
    assert all(extensions[k] == v for k, v in published.items())


def test_with_context_puts_ours_first_and_replaces_any_other() -> None:
    doc = jsonld.with_context({"@context": "x", "id": "https://social.test/a", "type": "Note"})
    assert list(doc) == ["@context", "id", "type"] and doc["@context"] is jsonld.CONTEXT


def test_helpers_read_the_shapes_remote_servers_send() -> None:
    assert all(jsonld.is_public(v) for v in (jsonld.AS_PUBLIC, "as:Public", "Public"))
    assert jsonld.as_list(None) == [] and jsonld.as_list("a") == ["a"] and jsonld.as_list(["a"]) == ["a"]
    assert jsonld.id_of({"id": "https://x/1"}) == "https://x/1" and jsonld.id_of(3) is None
