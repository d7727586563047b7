"""Exceptions handlers raise to tell the worker how a failure should be retried."""

from __future__ import annotations


class JobError(Exception):
    """A failure with context for the retry policy (HTTP status, Retry-After seconds)."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class PermanentJobError(JobError):
    """Retrying cannot help (bad payload, object gone): fail the job now with the reason."""
