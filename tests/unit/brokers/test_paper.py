"""The paper venue: simulated fills at the quote or reference price, resting orders, expiry."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from tests import builders
from tests.fakes import FakeClock

from mats.adapters.brokers.paper import PaperBroker, PaperOrder, PaperSettings
from mats.domain.execution.states import OrderState
from mats.domain.market import Quote
from mats.domain.orders import Order
from mats.domain.trading import OrderAction, OrderType, Side, TimeInForce, TradingMode
from mats.domain.venues import OrderRejectedError


class MemoryBook:
    def __init__(self) -> None:
        self.orders: dict[str, PaperOrder] = {}

    def get(self, order_id: str) -> PaperOrder | None:
        return self.orders.get(order_id)

    def put(self, order: PaperOrder) -> None:
        self.orders[order.order.id] = order

    def filled_since(self, since: datetime) -> Sequence[PaperOrder]:
        return [o for o in self.orders.values() if o.fill and o.fill.at >= since]


class Quotes:
    def __init__(self) -> None:
        self.quotes: dict[str, Quote] = {}

    def quote(self, symbol: str) -> Quote | None:
        return self.quotes.get(symbol)


@pytest.fixture
def venue() -> tuple[PaperBroker, FakeClock, Quotes, MemoryBook]:
    clock, quotes, book = FakeClock(), Quotes(), MemoryBook()
    settings = PaperSettings(
        slippage_bps=Decimal(10), commission_per_unit=Decimal("0.01"), minimum_commission=Decimal(1)
    )
    return PaperBroker(book, quotes, clock, settings), clock, quotes, book


def an_order(**overrides: Any) -> Order:
    fields: dict[str, Any] = {
        "created_at": datetime(2026, 11, 20, 14, 30, tzinfo=UTC),
        "strategy_id": "s",
        "trading_mode": TradingMode.PAPER,
        "quantity": Decimal(200),
    }
    return builders.an_order("s_20261120_143000_1_ORD", **{**fields, **overrides})


def test_a_market_order_fills_at_the_fresh_ask_plus_slippage(
    venue: tuple[PaperBroker, FakeClock, Quotes, MemoryBook],
) -> None:
    broker, clock, quotes, _ = venue
    quotes.quotes["AAPL"] = Quote(
        "AAPL", clock.now(), bid=Decimal("99.9"), ask=Decimal(100), last=Decimal("99.95")
    )

    report = broker.place(an_order())

    assert report.state is OrderState.FILLED
    [fill] = report.fills
    assert fill.price == Decimal("100.100")
    assert fill.commission == Decimal(2)
    assert fill.execution_id == "PAPER-s_20261120_143000_1_ORD"


def test_without_a_fresh_quote_the_reference_price_is_used(
    venue: tuple[PaperBroker, FakeClock, Quotes, MemoryBook],
) -> None:
    broker, clock, quotes, _ = venue
    quotes.quotes["AAPL"] = Quote("AAPL", clock.now() - timedelta(minutes=5), last=Decimal(500))

    report = broker.place(an_order(side=Side.SELL))

    assert report.fills[0].price == Decimal("99.900")


def test_a_limit_order_rests_until_the_quote_crosses_it(
    venue: tuple[PaperBroker, FakeClock, Quotes, MemoryBook],
) -> None:
    broker, clock, quotes, _ = venue
    quotes.quotes["AAPL"] = Quote("AAPL", clock.now(), ask=Decimal(101))
    order = an_order(order_type=OrderType.LIMIT, limit_price=Decimal("100.50"))

    resting = broker.place(order)
    quotes.quotes["AAPL"] = Quote("AAPL", clock.now(), ask=Decimal("100.40"))
    filled = broker.lookup(order.id)

    assert resting.state is OrderState.ACCEPTED
    assert filled.state is OrderState.FILLED
    assert filled.fills[0].price == Decimal("100.50")


def test_placing_the_same_order_again_returns_it_without_a_second_fill(
    venue: tuple[PaperBroker, FakeClock, Quotes, MemoryBook],
) -> None:
    broker, _, _, book = venue

    first = broker.place(an_order())
    second = broker.place(an_order())

    assert first == second
    assert len(book.orders) == 1


def test_gtd_orders_expire_and_ioc_orders_that_cannot_fill_are_cancelled(
    venue: tuple[PaperBroker, FakeClock, Quotes, MemoryBook],
) -> None:
    broker, clock, quotes, _ = venue
    quotes.quotes["AAPL"] = Quote("AAPL", clock.now(), ask=Decimal(105))
    gtd = an_order(
        id="gtd",
        order_type=OrderType.LIMIT,
        limit_price=Decimal(100),
        time_in_force=TimeInForce.GTD,
        expire_at=clock.now() + timedelta(minutes=1),
    )
    ioc = an_order(
        id="ioc",
        order_type=OrderType.LIMIT,
        limit_price=Decimal(100),
        time_in_force=TimeInForce.IOC,
    )

    broker.place(gtd)
    clock.advance(61)
    quotes.quotes["AAPL"] = Quote("AAPL", clock.now(), ask=Decimal(105))

    assert broker.lookup("gtd").state is OrderState.EXPIRED
    assert broker.place(ioc).state is OrderState.CANCELLED
    assert broker.lookup("never-placed") is None


def test_cancel_and_refusals(venue: tuple[PaperBroker, FakeClock, Quotes, MemoryBook]) -> None:
    broker, clock, quotes, _ = venue
    quotes.quotes["AAPL"] = Quote("AAPL", clock.now(), ask=Decimal(105))
    resting = an_order(order_type=OrderType.LIMIT, limit_price=Decimal(100))
    broker.place(resting)

    assert broker.cancel(resting.id).state is OrderState.CANCELLED
    with pytest.raises(OrderRejectedError):
        broker.place(
            dataclasses.replace(
                an_order(id="c"), action=OrderAction.CANCEL_OPEN, side=None, quantity=Decimal(0)
            )
        )
