"""The one error type the whole product raises for expected failures.

Services raise it; the web layer maps it to JSON for the API and HTML for pages in a single
handler; the CLI prints its message. ``field`` names the input at fault so a 422 can say which.
"""

from __future__ import annotations


class AppError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if status is not None:
            self.status = status


class ValidationError(AppError):
    status = 422
    code = "validation_failed"


class NotFound(AppError):
    status = 404
    code = "not_found"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class Conflict(AppError):
    status = 409
    code = "conflict"


class Unavailable(AppError):
    """Something the request needs is down or full (e.g. the generation queue): try later."""

    status = 503
    code = "unavailable"


class RateLimited(AppError):
    """The caller used up a quota (generations per day, at once): wait, then retry."""

    status = 429
    code = "rate_limited"
