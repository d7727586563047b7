"""Rate limits for the client API, per token (or per IP when anonymous), Mastodon style.

Each key gets ``limit`` requests per fixed window; every API response carries
X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset (ISO 8601), and a request
past the limit gets 429 with the same headers, so clients such as Mastodon.py's "pace" mode
can slow down before they are refused. Counters live in this process: with several web
processes each enforces the limit on its own share of the traffic.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from quart import Response, g, request

from ..errors import AppError
from .mastodon_api.entities import timestamp

LIMITED_PREFIX = "/api/"


class RateLimited(AppError):
    status = 429
    code = "too_many_requests"


@dataclass
class Window:
    started: float
    count: int
    reset_text: str = ""  # X-RateLimit-Reset, formatted once per window


class RateLimiter:
    def __init__(self, limit: int, window_s: float, clock: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self._windows: dict[str, Window] = {}

    def hit(self, key: str) -> Window:
        """Count a request in its key's current window (a new one once the last has ended)."""
        now = self.clock()
        window = self._windows.get(key)
        if window is None or now - window.started >= self.window_s:
            if len(self._windows) > 100_000:  # forget finished windows before memory grows
                self._windows = {k: w for k, w in self._windows.items() if now - w.started < self.window_s}
            window = self._windows[key] = Window(now, 0)
        window.count += 1
        return window

    def remaining(self, window: Window) -> int:
        return max(0, self.limit - window.count)

    def reset_text(self, window: Window) -> str:
        """When the window ends, in ISO 8601 (formatted once per window)."""
        if not window.reset_text:
            window.reset_text = timestamp(dt.datetime.fromtimestamp(window.started + self.window_s, dt.UTC)) or ""
        return window.reset_text

    def key(self) -> str:
        header = request.headers.get("Authorization", "")
        if header[:7].lower() == "bearer ":
            return "token:" + hashlib.sha256(header[7:].strip().encode()).hexdigest()
        return "ip:" + (request.remote_addr or "")

    async def before(self) -> None:
        if not request.path.startswith(LIMITED_PREFIX) or request.method == "OPTIONS":
            return
        window = self.hit(self.key())
        g.rate = (window, self.remaining(window))  # remaining after this request, as counted now
        if window.count > self.limit:
            raise RateLimited("Too many requests")

    async def headers(self, response: Response) -> Response:
        rate: tuple[Window, int] | None = g.get("rate")
        if rate is not None:
            window, remaining = rate
            # Only this hook sets these headers: adding is cheaper than replacing.
            response.headers.extend((("X-RateLimit-Limit", str(self.limit)),
                                     ("X-RateLimit-Remaining", str(remaining)),
                                     ("X-RateLimit-Reset", self.reset_text(window))))
        return response
