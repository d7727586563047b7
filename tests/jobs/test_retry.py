"""The one retry policy: a pure function, tested once."""

from __future__ import annotations

import pytest

from fediverse_ai.jobs.retry import is_permanent_status, next_attempt_delay


def no_jitter() -> float:
    return 0.0


def test_sixteen_attempts_span_about_two_days() -> None:
    delays = [next_attempt_delay(n, 16, rng=no_jitter) for n in range(1, 16)]
    assert all(d is not None for d in delays)
    assert delays == sorted(delays)
    total_hours = sum(delays) / 3600  # type: ignore[arg-type]
    assert 40 < total_hours < 60
    assert next_attempt_delay(16, 16, rng=no_jitter) is None


def test_jitter_spreads_retries_out() -> None:
    low = next_attempt_delay(3, 10, rng=lambda: 0.0)
    high = next_attempt_delay(3, 10, rng=lambda: 0.999)
    assert low is not None and high is not None and high > low


@pytest.mark.parametrize("status", [400, 403, 404, 410, 422])
def test_most_client_errors_are_permanent(status: int) -> None:
    assert is_permanent_status(status)
    assert next_attempt_delay(1, 10, status=status) is None


@pytest.mark.parametrize("status", [None, 401, 408, 429, 500, 502, 503])
def test_server_errors_and_rate_limits_are_retried(status: int | None) -> None:
    assert next_attempt_delay(1, 10, status=status) is not None


def test_retry_after_is_honoured_but_capped() -> None:
    assert next_attempt_delay(1, 10, status=429, retry_after=3600, rng=no_jitter) == 3600
    assert next_attempt_delay(1, 10, status=429, retry_after=10**9, rng=no_jitter) == 86_400
    assert next_attempt_delay(1, 10, status=503, retry_after=1, rng=no_jitter) == 16  # never sooner than the curve


def test_giving_up() -> None:
    assert next_attempt_delay(5, 5) is None
    assert next_attempt_delay(1, 5, permanent=True) is None
