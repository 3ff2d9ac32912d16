"""The ccxt error table and the reading of ccxt's order and trade structures."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import ccxt
import pytest

from mats.adapters.brokers.ccxt_errors import Trouble, classify, is_ban, translate
from mats.adapters.brokers.ccxt_reports import (
    OrderContext,
    decimal_or_none,
    from_millis,
    order_state,
    to_report,
)
from mats.domain.execution.states import OrderState
from mats.domain.trading import Side
from mats.errors import PermanentError, TemporaryError

AT = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("error", "trouble"),
    [
        (ccxt.DDoSProtection("binance 429 Too Many Requests"), Trouble.RATE_LIMITED),
        (ccxt.RateLimitExceeded("binance -1003"), Trouble.RATE_LIMITED),
        (ccxt.OnMaintenance("System is under maintenance."), Trouble.TEMPORARY),
        (ccxt.InvalidNonce("binance -1021"), Trouble.TEMPORARY),
        (ccxt.RequestTimeout("binance POST /api/v3/order"), Trouble.OUTCOME_UNKNOWN),
        (ccxt.ExchangeNotAvailable("binance 503"), Trouble.OUTCOME_UNKNOWN),
        (ccxt.NetworkError("connection reset"), Trouble.OUTCOME_UNKNOWN),
        (ccxt.BadResponse("not JSON"), Trouble.OUTCOME_UNKNOWN),
        (ccxt.AuthenticationError("binance -2015"), Trouble.CREDENTIALS),
        (ccxt.PermissionDenied("Rest API trading is not enabled."), Trouble.CREDENTIALS),
        (ccxt.AccountSuspended("This action is disabled"), Trouble.CREDENTIALS),
        (ccxt.DuplicateOrderId("duplicate"), Trouble.DUPLICATE),
        (ccxt.OrderNotFound("binance -2013"), Trouble.NOT_FOUND),
        (ccxt.InsufficientFunds("binance -2010"), Trouble.REFUSED),
        (ccxt.InvalidOrder("binance -2010"), Trouble.REFUSED),
        (ccxt.BadSymbol("binance -1121"), Trouble.REFUSED),
        (ccxt.NotSupported("no such order type"), Trouble.REFUSED),
        (ccxt.BadRequest("binance -1013"), Trouble.REFUSED),
        (ccxt.ExchangeError("binance -9999"), Trouble.REFUSED),
    ],
)
def test_each_ccxt_error_class_has_its_kind_of_trouble(error: Exception, trouble: Trouble) -> None:
    assert classify(error) is trouble


def test_binance_duplicate_order_message_is_a_duplicate_not_a_refusal() -> None:
    error = ccxt.InvalidOrder('binance {"code":-2010,"msg":"Duplicate order sent."}')

    assert classify(error, ("Duplicate order sent.",)) is Trouble.DUPLICATE
    assert classify(error) is Trouble.REFUSED


@pytest.mark.parametrize(
    ("trouble", "expected"),
    [
        (Trouble.RATE_LIMITED, TemporaryError),
        (Trouble.TEMPORARY, TemporaryError),
        (Trouble.OUTCOME_UNKNOWN, TemporaryError),
        (Trouble.CREDENTIALS, PermanentError),
        (Trouble.REFUSED, PermanentError),
        (Trouble.NOT_FOUND, PermanentError),
    ],
)
def test_trouble_outside_an_order_translates_to_the_mats_error_tree(
    trouble: Trouble, expected: type[Exception]
) -> None:
    assert type(translate(trouble, "binance fetch_balance: X")) is expected


def test_binance_418_is_a_ban_and_429_is_not() -> None:
    assert is_ban(ccxt.DDoSProtection("binance 418 I'M A TEAPOT {}"))
    assert not is_ban(ccxt.DDoSProtection("binance 429 TOO MANY REQUESTS {}"))


@pytest.mark.parametrize(
    ("status", "filled", "state"),
    [
        ("open", 0, OrderState.ACCEPTED),
        ("open", 0.001, OrderState.PARTIALLY_FILLED),
        ("canceling", 0.001, OrderState.PARTIALLY_FILLED),
        ("closed", 0.0025, OrderState.FILLED),
        ("canceled", 0.001, OrderState.CANCELLED),
        ("expired", 0, OrderState.EXPIRED),
        ("rejected", 0, OrderState.REJECTED),
        (None, 0, OrderState.SUBMITTED),
    ],
)
def test_ccxt_status_and_fill_map_to_an_order_state(
    status: str | None, filled: float, state: OrderState
) -> None:
    assert order_state({"status": status, "filled": filled}) is state


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.1, Decimal("0.1")),
        (1e-05, Decimal("0.00001")),
        (89999.4, Decimal("89999.4")),
        ("0.00250000", Decimal("0.0025")),
        (3, Decimal(3)),
        (None, None),
        ("", None),
    ],
)
def test_ccxt_floats_are_read_back_as_the_exchange_decimal(
    value: object, expected: Decimal | None
) -> None:
    assert decimal_or_none(value) == expected


def test_milliseconds_become_aware_utc_datetimes_to_the_millisecond() -> None:
    assert from_millis(1795185060123) == datetime(2026, 11, 20, 14, 31, 0, 123000, tzinfo=UTC)


def test_a_report_carries_the_mats_id_and_reads_fills_from_the_trades() -> None:
    order: dict[str, Any] = {
        "id": "52340987123",
        "clientOrderId": "momentum_1_ORD",
        "status": "open",
        "side": "sell",
        "filled": 0.001,
        "average": 90000.0,
        "timestamp": 1795185000412,
    }
    trade = {"id": 7, "amount": 0.001, "price": 90000.0, "fee": None, "timestamp": None}
    context = OrderContext(
        order_id="momentum_1_ORD",
        account="Binance_Main",
        symbol="BTCUSDT",
        market_id="BTCUSDT",
        side=None,
        at=AT,
    )

    report = to_report(order, context, [trade])

    assert report.state is OrderState.PARTIALLY_FILLED
    assert report.venue_order_id == "52340987123"
    (fill,) = report.fills
    assert fill.execution_id == "BTCUSDT-7"
    assert fill.side is Side.SELL
    assert fill.commission == 0
    assert fill.commission_currency is None
    assert fill.venue_order_id == "52340987123"
    assert fill.at == from_millis(1795185000412)
