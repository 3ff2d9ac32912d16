"""The IB session's clock-driven state, on a FakeClock and without a gateway."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time

import pytest
from tests.fakes import FakeClock

from mats.adapters.brokers.ib_session import IbSession, IbSettings, in_restart_window

NIGHT = (time(23, 45), time(0, 15))
DAY = date(2026, 11, 20)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 20, 23, 40, tzinfo=UTC))


@pytest.fixture
def session(clock: FakeClock) -> Iterator[IbSession]:
    made = IbSession(IbSettings(restart_window=NIGHT), clock=clock)
    try:
        yield made
    finally:
        made.stop()


@pytest.mark.parametrize(
    ("window", "moment", "inside"),
    [
        (NIGHT, time(23, 44, 59), False),
        (NIGHT, time(23, 45), True),
        (NIGHT, time(0, 0), True),
        (NIGHT, time(0, 14, 59), True),
        (NIGHT, time(0, 15), False),
        ((time(5, 0), time(5, 30)), time(5, 10), True),
        ((time(5, 0), time(5, 30)), time(23, 50), False),
        (None, time(23, 50), False),
    ],
)
def test_the_restart_window_is_a_daily_half_open_interval_that_may_span_midnight(
    window: tuple[time, time] | None, moment: time, inside: bool
) -> None:
    assert in_restart_window(window, datetime.combine(DAY, moment, UTC)) is inside


def test_the_restart_window_follows_the_injected_clock(
    session: IbSession, clock: FakeClock
) -> None:
    before = session.status()
    clock.advance(10 * 60)
    inside = session.status()
    clock.advance(30 * 60)
    after = session.status()

    assert before.reason == "not connected yet"
    assert inside.reason == "daily restart window"
    assert not inside.accepting_orders
    assert after.reason == "not connected yet"


def test_a_session_is_disconnected_since_it_was_made_until_it_connects(
    session: IbSession, clock: FakeClock
) -> None:
    made_at = clock.now()
    clock.advance(120)

    status = session.status()

    assert not status.connected
    assert status.disconnected_since == made_at
    assert status.details["connected_since"] is None
