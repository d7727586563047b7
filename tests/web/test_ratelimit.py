"""API rate limits: headers on every API response, 429 past the limit, per token or IP."""

from __future__ import annotations

from fediverse_ai.runtime import Runtime
from fediverse_ai.web import create_app
from fediverse_ai.web.ratelimit import RateLimiter


async def test_headers_then_429_past_the_limit(runtime: Runtime) -> None:
    app = create_app(Runtime(runtime.settings.replace(limits__api_requests_per_window=3), runtime.db), workers=False)
    client = app.test_client()
    remaining = []
    for _ in range(3):
        response = await client.get("/api/v1/instance")
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "3"
        remaining.append(response.headers["X-RateLimit-Remaining"])
    assert remaining == ["2", "1", "0"]
    refused = await client.get("/api/v1/custom_emojis")
    assert refused.status_code == 429
    assert (await refused.get_json())["error"] == "Too many requests"
    assert refused.headers["X-RateLimit-Remaining"] == "0" and refused.headers["X-RateLimit-Reset"].endswith("Z")
    other_token = await client.get("/api/v1/instance", headers={"Authorization": "Bearer someone-else"})
    assert other_token.headers["X-RateLimit-Remaining"] == "2"
    page = await client.get("/")
    assert page.status_code == 200 and "X-RateLimit-Limit" not in page.headers


def test_windows_reset() -> None:
    now = [1000.0]
    limiter = RateLimiter(2, 60, clock=lambda: now[0])
    first = limiter.hit("k")
    assert limiter.remaining(first) == 1 and limiter.reset_text(first) == "1970-01-01T00:17:40.000Z"
    assert limiter.remaining(limiter.hit("k")) == 0
    assert limiter.remaining(limiter.hit("k")) == 0  # past the limit: refused by before(), never negative
    now[0] = 1060.0
    renewed = limiter.hit("k")
    assert renewed is not first and limiter.remaining(renewed) == 1
    assert limiter.reset_text(renewed) == "1970-01-01T00:18:40.000Z"
