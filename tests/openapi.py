"""Check our JSON against the Mastodon client API's OpenAPI description (abraham/mastodon-openapi,
MIT; a copy with its licence lives in tests/fixtures).

``assert_response(path, method, status, body)`` validates a body against the schema the
description gives for that operation and status, with formats (uri, date-time, email)
checked, so a missing field or a null where clients expect a URL fails the test.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

LOCAL_COPY = Path(__file__).parent / "fixtures" / "mastodon-openapi.json"
BASE = "urn:mastodon-openapi"


@functools.cache
def spec() -> dict[str, Any]:
    return json.loads(LOCAL_COPY.read_text())


@functools.cache
def _registry() -> Registry:
    return Registry().with_resource(BASE, Resource.from_contents(spec(), default_specification=DRAFT202012))


def schema_for(path: str, method: str, status: int) -> dict[str, Any]:
    operation = spec()["paths"][path][method.lower()]
    return operation["responses"][str(status)]["content"]["application/json"]["schema"]


def assert_response(path: str, method: str, status: int, body: Any) -> None:
    _validate(schema_for(path, method, status), body)


def assert_entity(name: str, body: Any) -> None:
    """For operations whose description names no schema: check against the entity itself."""
    _validate({"$ref": f"#/components/schemas/{name}"}, body)


def _validate(schema: dict[str, Any], body: Any) -> None:
    pointer = json.dumps(schema)
    if "$ref" in schema and len(schema) == 1:
        wrapped = {"$ref": BASE + schema["$ref"]}
    else:
        wrapped = json.loads(pointer.replace('"#/components', f'"{BASE}#/components'))
    validator = Draft202012Validator(wrapped, registry=_registry(), format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])
