"""The trading day: when it starts, whatever the time of day it is set to."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mats.domain.accounting.daily import trading_day_start


@pytest.mark.parametrize(
    ("now", "start", "expected"),
    [
        (
            datetime(2026, 11, 20, 14, 30, tzinfo=UTC),
            time(0, 0),
            datetime(2026, 11, 20, tzinfo=UTC),
        ),
        (
            datetime(2026, 11, 20, 14, 30, tzinfo=UTC),
            time(22, 0),
            datetime(2026, 11, 19, 22, 0, tzinfo=UTC),
        ),
        (
            datetime(2026, 11, 20, 22, 0, tzinfo=UTC),
            time(22, 0),
            datetime(2026, 11, 20, 22, 0, tzinfo=UTC),
        ),
        (
            datetime(2026, 11, 20, 21, 59, 59, tzinfo=UTC),
            time(22, 0),
            datetime(2026, 11, 19, 22, 0, tzinfo=UTC),
        ),
        (
            datetime(2027, 1, 1, 0, 15, tzinfo=UTC),
            time(0, 30),
            datetime(2026, 12, 31, 0, 30, tzinfo=UTC),
        ),
    ],
)
def test_the_trading_day_starts_at_the_latest_start_time_at_or_before_now(
    now: datetime, start: time, expected: datetime
) -> None:
    assert trading_day_start(now, start) == expected


def test_a_time_in_another_zone_is_read_in_utc() -> None:
    new_york = timezone(timedelta(hours=-5))
    evening = datetime(2026, 11, 20, 20, 0, tzinfo=new_york)  # 01:00 UTC on the 21st.

    assert trading_day_start(evening, time(0, 0)) == datetime(2026, 11, 21, tzinfo=UTC)


# Hypothesis takes naive bounds; ``timezones`` makes every value it draws aware.
NAIVE_FROM, NAIVE_TO = datetime(2000, 1, 2), datetime(2100, 1, 1)  # noqa: DTZ001


@given(
    now=st.datetimes(min_value=NAIVE_FROM, max_value=NAIVE_TO, timezones=st.just(UTC)),
    start=st.times(),
)
def test_the_start_is_at_most_a_day_before_now_and_at_the_set_time(
    now: datetime, start: time
) -> None:
    opened = trading_day_start(now, start)

    assert opened <= now < opened + timedelta(days=1)
    assert opened.timetz() == start.replace(tzinfo=UTC)
