"""Ids are 64-bit, time-sortable and strictly increasing within a process."""

from __future__ import annotations

import datetime as dt

from fediverse_ai.ids import id_floor, id_time, new_id


def test_ids_increase_and_fit_in_a_signed_64_bit_integer() -> None:
    ids = [new_id() for _ in range(5000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert all(0 < i < 2**63 for i in ids)


def test_ids_carry_their_time_and_sort_by_it() -> None:
    earlier = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    backdated = new_id(earlier)
    assert abs((id_time(backdated) - earlier).total_seconds()) < 0.001
    assert id_floor(earlier) <= backdated < new_id()
