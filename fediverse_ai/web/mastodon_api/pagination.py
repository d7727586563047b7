"""The Link header Mastodon clients page with: ``next`` (older, max_id) and ``prev`` (newer,
min_id), built from the ids of the page just returned."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from quart import Response, request

from ...runtime import Runtime


def link_header(runtime: Runtime, response: Response, ids: Sequence[int], *, keep: Sequence[str] = ()) -> Response:
    if not ids:
        return response
    base = runtime.settings.instance.base_url + request.path
    extra = {k: v for k, v in request.args.items(multi=True) if k in keep or k.endswith("[]")}
    limit = {"limit": request.args["limit"]} if "limit" in request.args else {}
    older = urlencode({**extra, **limit, "max_id": min(ids)}, doseq=True)
    newer = urlencode({**extra, **limit, "min_id": max(ids)}, doseq=True)
    response.headers["Link"] = f'<{base}?{older}>; rel="next", <{base}?{newer}>; rel="prev"'
    return response
