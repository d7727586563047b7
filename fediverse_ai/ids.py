"""Time-sortable 64-bit ids, the shape Mastodon clients expect.

Mastodon clients sort and paginate by id and parse them as numbers, so every account and status
id is ``milliseconds since the Unix epoch << 16`` plus 16 low bits: 6 bits naming this process
(random at start) and a 10-bit counter. Ids from one process are strictly increasing; two
processes collide only if they draw the same node bits and the same counter in the same
millisecond. Remote statuses get an id from their published time so timelines read in order.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time

_NODE = secrets.randbits(6)
_lock = threading.Lock()
_last_ms = 0
_counter = 0


def new_id(at: dt.datetime | None = None) -> int:
    """A fresh id; ``at`` backdates it (published time of a remote object)."""
    global _last_ms, _counter
    with _lock:
        ms = int(at.timestamp() * 1000) if at is not None else int(time.time() * 1000)
        if at is None:
            if ms <= _last_ms:
                ms = _last_ms
                _counter += 1
                if _counter >= 1024:
                    ms += 1  # borrow the next millisecond rather than wrap the counter
                    _counter = 0
            else:
                _counter = 0
            _last_ms = ms
            counter = _counter
        else:
            counter = secrets.randbits(10)
        return (ms << 16) | (_NODE << 10) | counter


def id_time(value: int) -> dt.datetime:
    """When an id was made (for debugging and for min_id/max_id from dates)."""
    return dt.datetime.fromtimestamp((value >> 16) / 1000, tz=dt.UTC)


def id_floor(at: dt.datetime) -> int:
    """The smallest id made at ``at``: a pagination bound from a date."""
    return int(at.timestamp() * 1000) << 16
