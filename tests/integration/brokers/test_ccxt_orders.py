"""CcxtBroker placing, finding and cancelling orders on binance, through ccxt's HTTP session."""

from __future__ import annotations

import decimal
from decimal import Decimal

import pytest
from tests.integration.brokers.ccxt_binance import (
    API_KEY,
    ORDER_ID,
    ORDER_PATH,
    BinanceRecording,
    a_binance_broker,
    a_binance_exchange,
    an_order,
    recorded,
)

from mats.domain.execution.states import OrderState
from mats.domain.trading import BracketLeg, OrderAction, OrderType, Side, TimeInForce
from mats.domain.venues import OrderRejectedError
from mats.errors import PermanentError


def test_place_sends_the_mats_id_as_new_client_order_id_with_exact_strings() -> None:
    broker, venue, _ = a_binance_broker()
    venue.answer("POST", ORDER_PATH, recorded("created_limit_new"))

    report = broker.place(an_order())

    (create,) = venue.to("POST", ORDER_PATH)
    assert create.params["newClientOrderId"] == ORDER_ID
    assert create.params["symbol"] == "BTCUSDT"
    assert create.params["side"] == "BUY"
    assert create.params["type"] == "LIMIT"
    assert create.params["quantity"] == "0.0025"
    assert create.params["price"] == "90000"
    assert create.params["timeInForce"] == "GTC"
    assert "signature" in create.params
    assert create.headers["X-MBX-APIKEY"] == API_KEY
    assert report.order_id == ORDER_ID
    assert report.state is OrderState.ACCEPTED
    assert report.venue_order_id == "52340987123"
    assert report.filled_quantity == 0
    assert report.fills == ()


def test_place_market_sends_a_quantity_and_reports_the_fills_of_the_full_answer() -> None:
    broker, venue, _ = a_binance_broker()
    venue.answer("POST", ORDER_PATH, recorded("created_market_filled"))

    report = broker.place(
        an_order(order_type=OrderType.MARKET, limit_price=None, quantity=Decimal("0.0015"))
    )

    (create,) = venue.to("POST", ORDER_PATH)
    assert create.params["type"] == "MARKET"
    assert create.params["quantity"] == "0.0015"
    # A price on a binance market order would turn it into a quote-amount order.
    assert "price" not in create.params
    assert "quoteOrderQty" not in create.params
    assert "timeInForce" not in create.params
    assert report.state is OrderState.FILLED
    assert report.filled_quantity == Decimal("0.0015")
    assert report.average_price is not None
    assert round(report.average_price, 2) == Decimal("90010.33")
    assert [(f.execution_id, f.quantity, f.price) for f in report.fills] == [
        ("BTCUSDT-4810933001", Decimal("0.001"), Decimal(90010)),
        ("BTCUSDT-4810933002", Decimal("0.0005"), Decimal(90011)),
    ]
    first = report.fills[0]
    assert first.order_id == ORDER_ID
    assert first.account == "Binance_Main"
    assert first.symbol == "BTCUSDT"
    assert first.side is Side.BUY
    assert first.commission == Decimal("0.000001")
    assert first.commission_currency == "BTC"
    assert first.venue_order_id == "52340987123"
    assert first.at.tzinfo is not None


def test_place_stop_sends_a_stop_loss_with_its_stop_price_and_no_limit_price() -> None:
    broker, venue, _ = a_binance_broker()
    venue.answer("POST", ORDER_PATH, recorded("created_limit_new"))

    broker.place(
        an_order(
            order_type=OrderType.STOP,
            limit_price=None,
            stop_price=Decimal("95000.5"),
            side=Side.BUY,
        )
    )

    (create,) = venue.to("POST", ORDER_PATH)
    assert create.params["type"] == "STOP_LOSS"
    assert create.params["stopPrice"] == "95000.5"
    assert "price" not in create.params
    assert "timeInForce" not in create.params


def test_place_stop_limit_sends_both_prices_and_the_time_in_force() -> None:
    broker, venue, _ = a_binance_broker()
    venue.answer("POST", ORDER_PATH, recorded("created_limit_new"))

    broker.place(
        an_order(
            order_type=OrderType.STOP_LIMIT,
            side=Side.SELL,
            stop_price=Decimal(85000),
            limit_price=Decimal("84900.01"),
            time_in_force=TimeInForce.IOC,
        )
    )

    (create,) = venue.to("POST", ORDER_PATH)
    assert create.params["type"] == "STOP_LOSS_LIMIT"
    assert create.params["side"] == "SELL"
    assert create.params["stopPrice"] == "85000"
    assert create.params["price"] == "84900.01"
    assert create.params["timeInForce"] == "IOC"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"time_in_force": TimeInForce.DAY}, "takes no DAY LMT orders"),
        ({"time_in_force": TimeInForce.GTD}, "takes no GTD LMT orders"),
        (
            {"order_type": OrderType.MARKET, "time_in_force": TimeInForce.FOK},
            "takes no FOK MKT orders",
        ),
        (
            {
                "order_type": OrderType.STOP,
                "stop_price": Decimal(1),
                "time_in_force": TimeInForce.DAY,
            },
            "takes no DAY STP orders",
        ),
        ({"order_type": OrderType.STOP_LIMIT}, "needs a stop price"),
        ({"action": OrderAction.CANCEL_OPEN, "side": None}, "not an order to place"),
        ({"account": "Binance_Other"}, "routed to the Binance_Main broker"),
    ],
)
def test_an_order_binance_cannot_take_is_rejected_before_any_request(
    changes: dict[str, object], reason: str
) -> None:
    broker, venue, _ = a_binance_broker()

    with pytest.raises(OrderRejectedError, match=reason) as rejected:
        broker.place(an_order(**changes))

    assert rejected.value.order_id == changes.get("id", ORDER_ID)
    assert venue.sent == []


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"quantity": Decimal("0.000015")}, "quantity 0.000015 does not fit BTC/USDT"),
        ({"limit_price": Decimal("90000.005")}, "limit price 90000.005 does not fit BTC/USDT"),
        ({"symbol": "DOGEUSDT"}, "binance has no market DOGEUSDT"),
    ],
)
def test_an_order_off_the_market_is_rejected_before_it_is_sent(
    changes: dict[str, object], reason: str
) -> None:
    broker, venue, _ = a_binance_broker()

    with pytest.raises(OrderRejectedError, match=reason):
        broker.place(an_order(**changes))

    assert venue.to("POST", ORDER_PATH) == []


def test_a_unified_or_mapped_symbol_finds_the_same_market() -> None:
    broker, venue, _ = a_binance_broker(symbol_map={"BTCUSD_PERP_NAME": "BTC/USDT"})
    venue.answer("POST", ORDER_PATH, recorded("created_limit_new"))

    broker.place(an_order(symbol="BTCUSD_PERP_NAME"))
    broker.place(an_order(symbol="BTC/USDT"))

    assert [s.params["symbol"] for s in venue.to("POST", ORDER_PATH)] == ["BTCUSDT", "BTCUSDT"]


def test_brackets_are_not_sent_and_the_report_says_the_bridge_places_them() -> None:
    broker, venue, _ = a_binance_broker()
    venue.answer("POST", ORDER_PATH, recorded("created_limit_new"))

    report = broker.place(
        an_order(stop_loss=BracketLeg(order_id=f"{ORDER_ID}_SL", price=Decimal(85000)))
    )

    assert broker.capabilities.brackets is False
    assert report.reason is not None
    assert "place them after the fill" in report.reason
    assert len(venue.to("POST", ORDER_PATH)) == 1


def test_lookup_of_a_partial_fill_reports_partially_filled_with_its_fills() -> None:
    broker, venue, _ = a_binance_broker()
    venue.answer("POST", ORDER_PATH, recorded("created_limit_new"))
    broker.place(an_order())
    venue.answer("GET", ORDER_PATH, recorded("order_partially_filled"))
    venue.answer("GET", "/api/v3/myTrades", recorded("trades_partially_filled"))

    report = broker.lookup(ORDER_ID)

    (query,) = venue.to("GET", ORDER_PATH)
    assert query.params["origClientOrderId"] == ORDER_ID
    assert query.params["symbol"] == "BTCUSDT"
    (trades,) = venue.to("GET", "/api/v3/myTrades")
    assert trades.params["orderId"] == "52340987123"
    assert report is not None
    assert report.state is OrderState.PARTIALLY_FILLED
    assert report.filled_quantity == Decimal("0.001")
    assert report.average_price == Decimal(90000)
    (fill,) = report.fills
    assert fill.execution_id == "BTCUSDT-4810933101"
    assert fill.quantity == Decimal("0.001")
    assert fill.price == Decimal(90000)
    assert fill.commission == Decimal("0.000001")
    assert fill.at.isoformat() == "2026-11-20T14:31:00+00:00"


def test_a_reference_binance_would_refuse_travels_as_a_stable_digest_and_is_found_again() -> None:
    reference = "a-strategy-with-a-long-name_20261120_143000_1_ORD_EXIT~2"
    broker, venue, _ = a_binance_broker()
    venue.answer("POST", ORDER_PATH, recorded("created_limit_new"))
    report = broker.place(an_order(id=reference))
    venue.answer("GET", ORDER_PATH, recorded("order_partially_filled"))
    venue.answer("GET", "/api/v3/myTrades", recorded("trades_partially_filled"))

    found = broker.lookup(reference)

    (create,) = venue.to("POST", ORDER_PATH)
    (query,) = venue.to("GET", ORDER_PATH)
    client_id = create.params["newClientOrderId"]
    assert client_id.startswith("mats-")
    assert len(client_id) == 32
    assert query.params["origClientOrderId"] == client_id
    assert report.order_id == reference
    assert found is not None
    assert found.order_id == reference


def test_lookup_of_a_closed_order_reports_filled_with_every_fill() -> None:
    broker, venue, _ = a_binance_broker()
    venue.answer("GET", ORDER_PATH, recorded("order_filled"))
    venue.answer("GET", "/api/v3/myTrades", recorded("trades_filled"))

    report = broker.lookup(ORDER_ID, symbol="BTCUSDT")

    assert report is not None
    assert report.state is OrderState.FILLED
    assert report.filled_quantity == Decimal("0.0025")
    assert report.average_price == Decimal("89999.4")
    assert sum(f.quantity for f in report.fills) == Decimal("0.0025")


def test_lookup_of_an_order_binance_never_saw_returns_none() -> None:
    broker, venue, _ = a_binance_broker()
    venue.answer("GET", ORDER_PATH, recorded("errors.order_does_not_exist"), status=400)

    assert broker.lookup(ORDER_ID, symbol="BTCUSDT") is None


def test_lookup_of_an_order_placed_before_a_restart_needs_its_symbol() -> None:
    broker, venue, _ = a_binance_broker()

    with pytest.raises(PermanentError, match="pass symbol="):
        broker.lookup(ORDER_ID)

    assert venue.to("GET", ORDER_PATH) == []


def test_lookup_of_an_open_order_does_not_ask_for_trades() -> None:
    broker, venue, _ = a_binance_broker()
    venue.answer("GET", ORDER_PATH, recorded("order_new"))

    report = broker.lookup(ORDER_ID, symbol="BTCUSDT")

    assert report is not None
    assert report.state is OrderState.ACCEPTED
    assert venue.to("GET", "/api/v3/myTrades") == []


def test_cancel_reports_cancelled_with_the_fills_before_it() -> None:
    broker, venue, _ = a_binance_broker()
    venue.answer("POST", ORDER_PATH, recorded("created_limit_new"))
    broker.place(an_order())
    venue.answer("DELETE", ORDER_PATH, recorded("order_canceled"))
    venue.answer("GET", "/api/v3/myTrades", recorded("trades_partially_filled"))

    report = broker.cancel(ORDER_ID)

    (cancel,) = venue.to("DELETE", ORDER_PATH)
    assert cancel.params["origClientOrderId"] == ORDER_ID
    assert cancel.params["symbol"] == "BTCUSDT"
    assert report is not None
    assert report.order_id == ORDER_ID
    assert report.state is OrderState.CANCELLED
    assert report.filled_quantity == Decimal("0.001")
    assert len(report.fills) == 1


def test_cancel_of_an_order_that_already_filled_reports_it_filled() -> None:
    broker, venue, _ = a_binance_broker()
    venue.answer("DELETE", ORDER_PATH, recorded("errors.unknown_order"), status=400)
    venue.answer("GET", ORDER_PATH, recorded("order_filled"))
    venue.answer("GET", "/api/v3/myTrades", recorded("trades_filled"))

    report = broker.cancel(ORDER_ID, symbol="BTCUSDT")

    assert report is not None
    assert report.state is OrderState.FILLED


def test_cancel_of_an_unknown_order_returns_none() -> None:
    broker, venue, _ = a_binance_broker()
    venue.answer("DELETE", ORDER_PATH, recorded("errors.unknown_order"), status=400)
    venue.answer("GET", ORDER_PATH, recorded("errors.order_does_not_exist"), status=400)

    assert broker.cancel(ORDER_ID, symbol="BTCUSDT") is None


def test_markets_are_loaded_once_across_many_calls_and_not_at_construction() -> None:
    broker, venue, _ = a_binance_broker()
    assert venue.sent == []
    venue.answer("POST", ORDER_PATH, recorded("created_limit_new"))
    venue.answer("GET", ORDER_PATH, recorded("order_new"))

    for _ in range(3):
        broker.place(an_order())
        broker.lookup(ORDER_ID)
        broker.status()

    assert len(venue.to("GET", "/api/v3/exchangeInfo")) == 1
    assert len(venue.to("POST", ORDER_PATH)) == 3


def test_ccxt_rate_limiting_is_switched_on() -> None:
    venue = BinanceRecording()
    exchange = a_binance_exchange(venue)
    exchange.enableRateLimit = False

    a_binance_broker(venue, exchange=exchange)

    assert exchange.enableRateLimit is True


def test_placing_an_order_leaves_the_threads_decimal_context_as_it_was() -> None:
    # ccxt's number formatting traps Underflow in the thread's context; MATS's own Decimal
    # arithmetic in the bridge must never inherit that (1E-999999999 + 0 would then raise).
    broker, venue, _ = a_binance_broker()
    venue.answer("POST", ORDER_PATH, recorded("created_limit_new"))
    before = decimal.getcontext().copy()

    broker.place(an_order())

    after = decimal.getcontext()
    assert after.traps == before.traps
    assert after.rounding == before.rounding
