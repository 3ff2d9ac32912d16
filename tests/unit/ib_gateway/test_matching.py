"""When orders fill and at what price; how quantities split into partial fills."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mats.localstack.ib_gateway.catalog import Instrument
from mats.localstack.ib_gateway.matching import decide, on_tick, slices
from mats.localstack.ib_gateway.model import SimOrder

STOCK = Instrument(1, "AAPL", "STK", "SMART", "USD", "AAPL", "NMS")


def _order(**changes: Any) -> SimOrder:
    base = SimOrder(
        perm_id=1,
        client_id=1,
        order_id=1,
        instrument=STOCK,
        route_exchange="SMART",
        account="DU1",
        action="BUY",
        quantity=10,
        order_type="MKT",
        limit_price=None,
        stop_price=None,
        tif="DAY",
        order_ref="",
    )
    return replace(base, **changes)


@pytest.mark.parametrize(
    ("changes", "price", "fill_price"),
    [
        ({}, 100.0, 100.0),
        ({"order_type": "LMT", "limit_price": 99.0}, 100.0, None),
        ({"order_type": "LMT", "limit_price": 101.0}, 100.0, 100.0),
        ({"order_type": "LMT", "limit_price": 99.0, "resting": True}, 98.0, 99.0),
        ({"order_type": "LMT", "limit_price": 99.0, "action": "SELL"}, 100.0, 100.0),
        ({"order_type": "LMT", "limit_price": 101.0, "action": "SELL"}, 100.0, None),
        ({"order_type": "STP", "stop_price": 101.0}, 100.0, None),
        ({"order_type": "STP", "stop_price": 101.0}, 101.5, 101.5),
        ({"order_type": "STP", "stop_price": 95.0, "action": "SELL"}, 94.0, 94.0),
        ({"order_type": "STP LMT", "stop_price": 101.0, "limit_price": 101.5}, 102.0, None),
        ({"order_type": "STP LMT", "stop_price": 101.0, "limit_price": 101.5}, 101.2, 101.2),
    ],
)
def test_decide_fill_price(changes: dict[str, Any], price: float, fill_price: float | None) -> None:
    assert decide(_order(**changes), price).fill_price == fill_price


def test_a_triggered_stop_limit_stays_triggered_when_not_marketable() -> None:
    order = _order(order_type="STP LMT", stop_price=101.0, limit_price=101.5)
    decision = decide(order, 102.0)
    assert decision.triggered is True
    assert decision.fill_price is None


@pytest.mark.parametrize(
    ("quantity", "count", "increment", "expected"),
    [
        (9, 3, 1.0, [3, 3, 3]),
        (10, 3, 1.0, [4, 3, 3]),
        (2, 5, 1.0, [1, 1]),
        (1, 3, 1.0, [1]),
        (10, 1, 1.0, [10]),
        (0.5, 2, 1.0, [0.5]),
        (0.3, 3, 0.1, [0.1, 0.1, 0.1]),
    ],
)
def test_slices(quantity: float, count: int, increment: float, expected: list[float]) -> None:
    assert slices(quantity, count, increment) == pytest.approx(expected)


@given(st.integers(1, 10_000), st.integers(1, 20))
def test_slices_add_up_and_never_exceed_the_count(quantity: int, count: int) -> None:
    parts = slices(float(quantity), count, 1.0)
    assert sum(parts) == quantity
    assert len(parts) <= count
    assert all(part >= 1 for part in parts)


@pytest.mark.parametrize(
    ("price", "tick", "expected"),
    [(5000.25, 0.25, True), (5000.1, 0.25, False), (1.23, 0.01, True), (1.2345, 0.01, False)],
)
def test_on_tick(price: float, tick: float, expected: bool) -> None:
    assert on_tick(price, tick) is expected
