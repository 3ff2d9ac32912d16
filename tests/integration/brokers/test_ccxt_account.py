"""CcxtBroker's account, executions and set-up on binance, through ccxt's HTTP session."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from tests.integration.brokers.ccxt_binance import (
    NOW,
    ORDER_ID,
    ORDER_PATH,
    a_binance_broker,
    an_order,
    recorded,
)

from mats.adapters.brokers.ccxt import CcxtBroker
from mats.domain.trading import Side
from mats.domain.venues import VenuePosition
from mats.errors import PermanentError

TRADES_PATH = "/api/v3/myTrades"


def test_account_values_spot_balances_in_usdt_and_lists_them_as_positions() -> None:
    broker, venue, _ = a_binance_broker()
    venue.answer("GET", "/api/v3/account", recorded("account"))
    venue.answer("GET", "/api/v3/ticker/24hr", recorded("tickers"))

    account = broker.account("Binance_Main")

    assert account.account == "Binance_Main"
    assert account.currency == "USDT"
    assert account.cash == Decimal(10225)
    assert account.margin_available == Decimal(10000)
    # 10,225 USDT + 0.5 BTC x 90,000 + 3 ETH x 3,000; XYZ has no USDT market to value it.
    assert account.equity == Decimal(64225)
    assert account.margin_used == 0
    assert account.as_of == NOW
    assert account.positions == (
        VenuePosition("Binance_Main", "BTCUSDT", Decimal("0.5"), mark_price=Decimal(90000)),
        VenuePosition("Binance_Main", "ETHUSDT", Decimal(3), mark_price=Decimal(3000)),
        VenuePosition("Binance_Main", "XYZ", Decimal(10)),
    )
    (tickers,) = venue.to("GET", "/api/v3/ticker/24hr")
    assert "BTCUSDT" in tickers.params["symbols"]
    assert "ETHUSDT" in tickers.params["symbols"]


def test_account_of_another_account_is_refused() -> None:
    broker, venue, _ = a_binance_broker()

    with pytest.raises(PermanentError, match="serves Binance_Main"):
        broker.account("Binance_Other")

    assert venue.sent == []


def test_executions_read_the_trades_of_markets_traded_since_the_time_given() -> None:
    broker, venue, _ = a_binance_broker()
    venue.answer("POST", ORDER_PATH, recorded("created_limit_new"))
    broker.place(an_order())
    venue.answer("GET", TRADES_PATH, recorded("trades_filled"))

    fills = broker.executions(NOW - timedelta(hours=1))

    (request,) = venue.to("GET", TRADES_PATH)
    assert request.params["symbol"] == "BTCUSDT"
    assert request.params["startTime"] == str(int((NOW - timedelta(hours=1)).timestamp() * 1000))
    assert [(f.execution_id, f.order_id, f.side, f.quantity) for f in fills] == [
        ("BTCUSDT-4810933101", ORDER_ID, Side.BUY, Decimal("0.001")),
        ("BTCUSDT-4810933245", ORDER_ID, Side.BUY, Decimal("0.0015")),
    ]
    assert fills[0].at < fills[1].at
    assert venue.to("GET", ORDER_PATH) == []


def test_executions_of_orders_placed_before_a_restart_read_the_client_order_id_once() -> None:
    broker, venue, _ = a_binance_broker(symbol_map={"BTCUSDT": "BTC/USDT"})
    venue.answer("GET", TRADES_PATH, recorded("trades_filled"))
    venue.answer("GET", ORDER_PATH, recorded("order_filled"))

    fills = broker.executions(NOW)

    assert {f.order_id for f in fills} == {ORDER_ID}
    (query,) = venue.to("GET", ORDER_PATH)
    assert query.params["orderId"] == "52340987123"


def test_executions_page_through_a_full_page_of_trades() -> None:
    broker, venue, _ = a_binance_broker(symbol_map={"BTCUSDT": "BTC/USDT"})
    first_page = [
        {**recorded("trades_filled")[0], "id": 5000000000 + n, "time": 1795185000000 + n}
        for n in range(1000)
    ]
    venue.answer("GET", TRADES_PATH, first_page)
    venue.answer("GET", TRADES_PATH, recorded("trades_filled"))
    venue.answer("GET", ORDER_PATH, recorded("order_filled"))

    fills = broker.executions(NOW)

    assert len(fills) == 1002
    pages = venue.to("GET", TRADES_PATH)
    assert [p.params["startTime"] for p in pages] == [str(1795185000000), str(1795185000999)]


def test_executions_with_nothing_traded_send_nothing() -> None:
    broker, venue, _ = a_binance_broker()

    assert broker.executions(NOW) == []
    assert venue.to("GET", TRADES_PATH) == []


def test_sandbox_sends_to_binance_testnet() -> None:
    broker, venue, _ = a_binance_broker(sandbox=True)

    broker.status()

    (load,) = venue.to("GET", "/api/v3/exchangeInfo")
    assert load.host == "testnet.binance.vision"


def test_a_broker_builds_its_own_exchange_from_the_exchange_id() -> None:
    broker = CcxtBroker("binance", "Binance_Main", credentials=None)

    assert broker.capabilities.settlement_currency == "USDT"
    assert broker.exchange_id == "binance"
