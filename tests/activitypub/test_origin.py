"""Same-origin: nobody creates, updates or deletes an object on another host's behalf."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fediverse_ai.activitypub.origin import OriginError, check_activity_origin, host_of, same_origin

FIXTURES = Path(__file__).parents[1] / "fixtures" / "mastodon"


def test_captured_mastodon_activities_pass() -> None:
    for name in ("mastodon_flow_1_create_note.json", "mastodon_flow_1_update_note.json",
                 "mastodon_flow_2_delete_note.json", "mastodon_follow_1.json", "mastodon_like_1.json"):
        activity = json.loads((FIXTURES / name).read_text())
        assert check_activity_origin(activity) == activity["actor"]


def test_creating_an_object_on_another_host_is_refused() -> None:
    activity = json.loads((FIXTURES / "mastodon_flow_1_create_note.json").read_text())
    activity["object"]["id"] = "https://victim.example/statuses/1"
    with pytest.raises(OriginError, match="another host"):
        check_activity_origin(activity)


def test_attributing_an_object_to_someone_elsewhere_is_refused() -> None:
    activity = json.loads((FIXTURES / "mastodon_flow_1_create_note.json").read_text())
    activity["object"]["attributedTo"] = "https://victim.example/users/v"
    with pytest.raises(OriginError, match="attributed"):
        check_activity_origin(activity)


@pytest.mark.parametrize("kind", ["Update", "Delete"])
def test_updating_or_deleting_a_foreign_object_is_refused(kind: str) -> None:
    activity = {"id": "https://a.example/activities/1", "type": kind, "actor": "https://a.example/users/x",
                "object": "https://b.example/statuses/1"}
    with pytest.raises(OriginError):
        check_activity_origin(activity)


def test_an_activity_id_on_another_host_is_refused() -> None:
    activity = {"id": "https://b.example/follows/1", "type": "Follow", "actor": "https://a.example/users/x",
                "object": "https://social.test/users/painter"}
    with pytest.raises(OriginError, match="not on the host"):
        check_activity_origin(activity)
    with pytest.raises(OriginError, match="no actor"):
        check_activity_origin({"id": "https://a.example/1", "type": "Like"})


def test_hosts_compare_with_port_and_case() -> None:
    assert host_of("https://A.example:8443/x") == "a.example:8443"
    assert same_origin("https://a.example/x", "https://A.EXAMPLE/y")
    assert not same_origin("https://a.example/x", "https://a.example:8443/y")
    assert not same_origin("javascript:alert(1)", "https://a.example")
