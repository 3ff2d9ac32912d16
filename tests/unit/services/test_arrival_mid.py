"""The bridge records when an order first went to the venue and the mid then: its arrival price."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from mats.domain.execution.records import quote_mid
from mats.domain.market import Quote
from mats.domain.trading import Side
from mats.settings import Settings
from tests.unit.services.execution_world import NOW, a_world, an_exit, an_order


def a_quote(**prices: str) -> Quote:
    return Quote("AAPL", NOW, **{name: Decimal(value) for name, value in prices.items()})


@pytest.mark.parametrize(
    ("prices", "mid"),
    [
        ({"bid": "100.00", "ask": "100.10", "last": "99"}, Decimal("100.05")),
        ({"bid": "100.00", "last": "99.5"}, Decimal("99.5")),
        ({"ask": "100.10", "last": "99.5"}, Decimal("99.5")),
        ({"last": "99.5"}, Decimal("99.5")),
        ({"bid": "100.00"}, None),
    ],
)
def test_the_mid_is_halfway_between_bid_and_ask_else_the_last_price(
    prices: dict[str, str], mid: Decimal | None
) -> None:
    assert quote_mid(a_quote(**prices)) == mid


def test_no_quote_has_no_mid() -> None:
    assert quote_mid(None) is None


def test_the_first_submission_records_its_time_and_the_fresh_quotes_mid() -> None:
    world = a_world()
    world.store.put_quote(a_quote(bid="100.00", ask="100.10"))
    world.clock.advance(3)

    record = world.submission.handle_order(an_order())

    stored = world.store.orders[record.order_id]
    assert stored.submitted_at == NOW + timedelta(seconds=3)
    assert stored.arrival_mid == Decimal("100.05")


def test_without_a_quote_the_submission_time_is_kept_and_the_arrival_mid_is_unknown() -> None:
    world = a_world()

    record = world.submission.handle_order(an_order())

    assert record.submitted_at == NOW
    assert record.arrival_mid is None


def test_a_quote_older_than_the_limit_is_not_taken_as_the_arrival_mid() -> None:
    world = a_world()
    world.store.put_quote(a_quote(bid="100.00", ask="100.10"))
    world.clock.advance(16)  # The default limit is 15 s, as for Cerebro's sizing.

    record = world.submission.handle_order(an_order())

    assert record.submitted_at == NOW + timedelta(seconds=16)
    assert record.arrival_mid is None


def test_a_retried_exit_keeps_the_time_and_mid_of_its_first_submission() -> None:
    world = a_world()
    world.submission.handle_order(an_order())
    world.store.put_quote(a_quote(last="101"))
    world.venue.script = ["reject"]
    world.submission.handle_order(an_exit())
    world.clock.advance(2)
    world.store.put_quote(Quote("AAPL", world.clock.now(), last=Decimal(90)))

    world.bridge.poll_orders()  # Attempt 2 fills.

    record = world.store.orders[an_exit().id]
    assert record.attempts == 2
    assert record.order.side is Side.SELL
    assert (record.submitted_at, record.arrival_mid) == (NOW, Decimal(101))


def test_the_bridge_takes_the_quote_age_limit_cerebro_sizes_with() -> None:
    env = {"GOOGLE_CLOUD_PROJECT": "mats-test", "MATS_QUOTE_MAX_AGE_SECONDS": "30"}

    settings = Settings(env)

    assert settings.bridge.execution.quote_max_age == timedelta(seconds=30)
    assert settings.cerebro.quote_max_age == timedelta(seconds=30)
