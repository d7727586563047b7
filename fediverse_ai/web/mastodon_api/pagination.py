"""The Link header Mastodon clients page with: ``next`` (older, max_id) and ``prev`` (newer,
min_id), built from the ids of the page just returned."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from quart import Response, request

from ...runtime import Runtime


def link_header(runtime: Runtime, response: Response, ids: Sequence[int], *, keep: Sequence[str] = ()) -> Response:
    """``keep`` names the filters (besides ``limit`` and array parameters like ``types[]``) that the
    next and previous pages must repeat."""
    if not ids:
        return response
    base = runtime.settings.instance.base_url + request.path
    args = request.args
    repeated = [(k, v) for k, v in args.items(multi=True) if k in keep or k.endswith("[]")]
    if "limit" in args:
        repeated.append(("limit", args["limit"]))
    query = urlencode(repeated) + "&" if repeated else ""
    response.headers["Link"] = (f'<{base}?{query}max_id={min(ids)}>; rel="next", '
                                f'<{base}?{query}min_id={max(ids)}>; rel="prev"')
    return response
