"""The capability table: what each exchange is asked for, checked before anything is sent."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from tests.builders import a_crypto_order

from mats.adapters.brokers.ccxt_capabilities import BINANCE, DEFAULT, capabilities_for
from mats.adapters.brokers.ccxt_orders import check
from mats.domain.trading import OrderType, TimeInForce
from mats.domain.venues import OrderRejectedError


def test_binance_is_in_the_table_and_an_unknown_exchange_gets_the_default() -> None:
    assert capabilities_for("binance") is BINANCE
    assert capabilities_for("kraken") is DEFAULT


def test_binance_takes_every_mats_order_type_and_no_brackets() -> None:
    assert BINANCE.order_types == frozenset(OrderType)
    assert BINANCE.brackets is False


@pytest.mark.parametrize(
    ("order_type", "time_in_force"),
    [
        (OrderType.MARKET, TimeInForce.DAY),
        (OrderType.MARKET, TimeInForce.IOC),
        (OrderType.LIMIT, TimeInForce.GTC),
        (OrderType.LIMIT, TimeInForce.FOK),
        (OrderType.STOP, TimeInForce.GTC),
        (OrderType.STOP_LIMIT, TimeInForce.IOC),
    ],
)
def test_binance_accepts_the_combinations_it_supports(
    order_type: OrderType, time_in_force: TimeInForce
) -> None:
    check(
        a_crypto_order(order_type=order_type, time_in_force=time_in_force, stop_price=Decimal(1)),
        "binance",
        BINANCE,
    )


def test_the_default_row_refuses_stops_with_the_supported_list() -> None:
    with pytest.raises(OrderRejectedError, match=r"takes no STP orders \(supported: LMT, MKT\)"):
        check(a_crypto_order(order_type=OrderType.STOP, stop_price=Decimal(1)), "kraken", DEFAULT)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"side": None}, "needs a side and a positive quantity"),
        ({"quantity": Decimal(0)}, "needs a side and a positive quantity"),
        ({"limit_price": None}, "needs a limit price"),
        ({"time_in_force": TimeInForce.DAY}, r"time in force supported: FOK, GTC, IOC"),
    ],
)
def test_an_incomplete_or_unsupported_order_is_refused_with_its_reason(
    changes: dict[str, Any], reason: str
) -> None:
    with pytest.raises(OrderRejectedError, match=reason):
        check(a_crypto_order(**changes), "binance", BINANCE)
