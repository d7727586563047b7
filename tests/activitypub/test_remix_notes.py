"""Remixes in ActivityPub: a remix's Note names its source (fai:remixOf) and a recipe post says
who may remix it (fai:remixPolicy); both read back, odd values fall back safely."""

from __future__ import annotations

from fediverse_ai.activitypub.notes import NoteParts, note_to_remote, status_to_note

from .test_notes import SETTINGS, author, image, status


def test_a_remix_links_its_source_and_the_remix_permission_travels() -> None:
    source = "https://other.example/users/cy/statuses/5"
    note = status_to_note(SETTINGS, NoteParts(status(remix_of_uri=source, remix_policy="followers"), author(),
                                              media=[image()]))
    assert note["remixOf"] == source and note["remixPolicy"] == "followers"
    assert note["@context"][2]["remixOf"] == {"@id": "fai:remixOf", "@type": "@id"}
    remote = note_to_remote(note)
    assert (remote.remix_of_uri, remote.remix_policy) == (source, "followers")
    plain = note_to_remote(status_to_note(SETTINGS, NoteParts(status(), author())))
    assert (plain.remix_of_uri, plain.remix_policy) == (None, "anyone")
    odd = note_to_remote(note | {"remixPolicy": "<everyone>", "remixOf": {"id": source}})
    assert (odd.remix_of_uri, odd.remix_policy) == (source, "anyone")
