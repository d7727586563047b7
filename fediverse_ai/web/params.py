"""Request parameters the way Mastodon clients send them: query string, form fields, or JSON.

Clients mix all three (Mastodon.py posts forms with ``media_ids[]=``, Elk and masto post JSON,
GETs use the query string), and Mastodon accepts each everywhere, so one merged dict is what
handlers read. Repeated or ``name[]`` keys become lists under the bare name.
"""

from __future__ import annotations

from typing import Any

from quart import request
from werkzeug.datastructures import MultiDict

from ..errors import AppError


def _merge(into: dict[str, Any], source: MultiDict[str, Any]) -> None:
    for key in source:
        values = source.getlist(key)
        if key.endswith("[]"):
            into[key[:-2]] = values
        else:
            into[key] = values[0] if len(values) == 1 else values


async def params() -> dict[str, Any]:
    merged: dict[str, Any] = {}
    _merge(merged, request.args)
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.mimetype == "application/json":
            body = await request.get_json(silent=True)
            if body is None and (await request.get_data()):
                raise AppError("the request body is not valid JSON", status=400)
            if isinstance(body, dict):
                merged.update(body)
        else:
            _merge(merged, await request.form)
    return merged
