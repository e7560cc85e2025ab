"""Time-ordered ids: the first id of a moment bounds every id minted before it."""
from datetime import UTC, datetime, timedelta

from common.seedwork.domain.ids import first_id_at, time_of, time_ordered_uuid

MOMENT = datetime(2026, 12, 6, 12, 0, 0, 123000, tzinfo=UTC)


def minted_at(moment):
    return time_ordered_uuid((moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(
        microseconds=1) * 1000)


def test_ids_minted_before_a_moment_sort_below_its_first_id_and_the_rest_above():
    bound = first_id_at(MOMENT)
    assert time_of(bound) == MOMENT
    before = [minted_at(MOMENT - timedelta(milliseconds=n)) for n in (1, 1000, 10**9)]
    after = [minted_at(MOMENT + timedelta(milliseconds=n)) for n in (0, 1, 1000)]
    assert all(i < bound for i in before) and all(i >= bound for i in after)
