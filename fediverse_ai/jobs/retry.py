"""The one retry policy every lane uses, as a pure function (Fedify's retry.ts, microblog.pub's
lesson about copy-pasted retry loops): unit-tested once, called from one place.

The delay grows with the fourth power of the attempt number plus jitter, Sidekiq's curve that
Mastodon relies on: 16 attempts span about two days. An HTTP status tells permanent failures
apart: a 4xx other than 401, 408 and 429 will not get better by asking again.
"""

from __future__ import annotations

import random
from collections.abc import Callable

RETRYABLE_4XX = frozenset({401, 408, 429})
MAX_RETRY_AFTER_S = 86_400.0


def is_permanent_status(status: int | None) -> bool:
    return status is not None and 400 <= status < 500 and status not in RETRYABLE_4XX


def next_attempt_delay(
    attempts: int,
    max_attempts: int,
    *,
    status: int | None = None,
    retry_after: float | None = None,
    permanent: bool = False,
    rng: Callable[[], float] = random.random,
) -> float | None:
    """Seconds to wait before the next attempt, or None to give up.

    ``attempts`` counts the attempts made so far, this failed one included.
    """
    if permanent or is_permanent_status(status) or attempts >= max_attempts:
        return None
    delay = attempts**4 + 15 + rng() * 10 * (attempts + 1)
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER_S))
    return delay
