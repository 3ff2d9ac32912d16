"""CcxtBroker when binance refuses, times out or rate-limits: ccxt's errors, translated."""

from __future__ import annotations

import logging
import threading

import pytest
import requests
from tests.integration.brokers.ccxt_binance import (
    API_KEY,
    ORDER_ID,
    ORDER_PATH,
    SECRET,
    a_binance_broker,
    an_order,
    recorded,
    timed_out,
)

from mats.domain.execution.states import OrderState
from mats.domain.venues import OrderRejectedError
from mats.errors import MatsError, PermanentError, TemporaryError


@pytest.mark.parametrize(
    ("status", "error", "reason"),
    [
        (400, "insufficient_balance", "InsufficientFunds"),
        (400, "notional_filter", "Filter failure: NOTIONAL"),
        (400, "invalid_symbol", "BadSymbol"),
        (400, "order_does_not_exist", "OrderNotFound"),
    ],
)
def test_a_refusal_from_binance_rejects_the_order(status: int, error: str, reason: str) -> None:
    broker, venue, _ = a_binance_broker()
    venue.answer("POST", ORDER_PATH, recorded(f"errors.{error}"), status=status)

    with pytest.raises(OrderRejectedError, match=reason) as rejected:
        broker.place(an_order())

    assert rejected.value.order_id == ORDER_ID
    assert venue.to("GET", ORDER_PATH) == []


def test_refused_credentials_are_a_permanent_configuration_error_not_a_rejection() -> None:
    broker, venue, _ = a_binance_broker()
    venue.answer("POST", ORDER_PATH, recorded("errors.invalid_api_key"), status=401)

    with pytest.raises(PermanentError, match="check the API key") as raised:
        broker.place(an_order())

    assert not isinstance(raised.value, OrderRejectedError)
    status = broker.status()
    assert status.connected is False
    assert status.reason is not None
    assert "AuthenticationError" in status.reason


@pytest.mark.parametrize(("status", "error"), [(429, "too_many_requests"), (418, "ip_banned")])
def test_rate_limiting_is_temporary_and_sends_nothing_more(status: int, error: str) -> None:
    broker, venue, _ = a_binance_broker()
    venue.answer("POST", ORDER_PATH, recorded(f"errors.{error}"), status=status)

    with pytest.raises(TemporaryError, match="rate limited"):
        broker.place(an_order())

    # Binance refused the request outright, so there is nothing to look up.
    assert venue.to("GET", ORDER_PATH) == []
    assert len(venue.to("POST", ORDER_PATH)) == 1


def test_while_rate_limited_calls_wait_and_status_says_why() -> None:
    broker, venue, clock = a_binance_broker()
    venue.answer("POST", ORDER_PATH, recorded("errors.too_many_requests"), status=429)
    venue.answer("POST", ORDER_PATH, recorded("created_limit_new"))
    with pytest.raises(TemporaryError):
        broker.place(an_order())

    status = broker.status()
    with pytest.raises(TemporaryError, match="not sent, paused"):
        broker.place(an_order())
    clock.advance(61)
    after_pause = broker.status()
    report = broker.place(an_order())

    assert status.connected is True
    assert status.accepting_orders is False
    assert status.reason is not None
    assert status.reason.startswith("rate limited until")
    assert after_pause.accepting_orders is True
    assert report.state is OrderState.ACCEPTED
    assert len(venue.to("POST", ORDER_PATH)) == 2


def test_an_ip_ban_pauses_longer_than_a_rate_limit() -> None:
    broker, venue, clock = a_binance_broker()
    venue.answer("POST", ORDER_PATH, recorded("errors.ip_banned"), status=418)
    with pytest.raises(TemporaryError):
        broker.place(an_order())

    clock.advance(61)

    assert broker.status().accepting_orders is False


def test_a_timed_out_create_that_reached_binance_returns_the_order_without_a_second_create() -> (
    None
):
    broker, venue, _ = a_binance_broker()
    venue.fail("POST", ORDER_PATH, timed_out())
    venue.answer("GET", ORDER_PATH, recorded("order_new"))

    report = broker.place(an_order())

    assert report.state is OrderState.ACCEPTED
    assert report.order_id == ORDER_ID
    assert len(venue.to("POST", ORDER_PATH)) == 1
    (query,) = venue.to("GET", ORDER_PATH)
    assert query.params["origClientOrderId"] == ORDER_ID


def test_a_timed_out_create_that_did_not_reach_binance_is_temporary() -> None:
    broker, venue, _ = a_binance_broker()
    venue.fail("POST", ORDER_PATH, timed_out())
    venue.answer("GET", ORDER_PATH, recorded("errors.order_does_not_exist"), status=400)

    with pytest.raises(TemporaryError, match="look it up again before sending it again"):
        broker.place(an_order())

    assert len(venue.to("POST", ORDER_PATH)) == 1
    assert len(venue.to("GET", ORDER_PATH)) == 1


def test_a_timed_out_create_whose_lookup_fails_too_is_temporary_and_says_so() -> None:
    broker, venue, _ = a_binance_broker()
    venue.fail("POST", ORDER_PATH, timed_out())
    venue.fail("GET", ORDER_PATH, requests.exceptions.ConnectionError("connection reset"))

    with pytest.raises(TemporaryError, match="outcome is unknown"):
        broker.place(an_order())

    assert len(venue.to("POST", ORDER_PATH)) == 1


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, {"code": -1001, "msg": "Internal error; unable to process your request."}),
        (502, "<html><body><h1>502 Bad Gateway</h1></body></html>"),
        (503, "<html><body><h1>503 Service Unavailable</h1></body></html>"),
        (504, "<html><body><h1>504 Gateway Time-out</h1></body></html>"),
    ],
)
def test_a_5xx_on_create_is_looked_up_because_binance_may_have_executed_it(
    status: int, body: object
) -> None:
    broker, venue, _ = a_binance_broker()
    if isinstance(body, str):
        venue.answer_raw("POST", ORDER_PATH, body, status)
    else:
        venue.answer("POST", ORDER_PATH, body, status=status)
    venue.answer("GET", ORDER_PATH, recorded("order_new"))

    report = broker.place(an_order())

    assert report.state is OrderState.ACCEPTED
    assert len(venue.to("POST", ORDER_PATH)) == 1


def test_a_5xx_on_a_lookup_is_temporary() -> None:
    broker, venue, _ = a_binance_broker()
    venue.answer_raw("GET", ORDER_PATH, "<html>502 Bad Gateway</html>", 502)

    with pytest.raises(TemporaryError, match="ExchangeNotAvailable"):
        broker.lookup(ORDER_ID, symbol="BTCUSDT")


def test_a_duplicate_client_order_id_returns_the_order_already_there() -> None:
    broker, venue, _ = a_binance_broker()
    venue.answer("POST", ORDER_PATH, recorded("errors.duplicate_order"), status=400)
    venue.answer("GET", ORDER_PATH, recorded("order_partially_filled"))
    venue.answer("GET", "/api/v3/myTrades", recorded("trades_partially_filled"))

    report = broker.place(an_order())

    assert report.state is OrderState.PARTIALLY_FILLED
    assert len(venue.to("POST", ORDER_PATH)) == 1


def test_status_loads_markets_and_reports_connected() -> None:
    broker, venue, _ = a_binance_broker()

    status = broker.status()

    assert status.connected is True
    assert status.accepting_orders is True
    assert len(venue.to("GET", "/api/v3/exchangeInfo")) == 1


def test_status_reports_disconnected_until_binance_answers_again() -> None:
    broker, venue, _ = a_binance_broker()
    venue.answer("GET", ORDER_PATH, recorded("order_new"))
    broker.lookup(ORDER_ID, symbol="BTCUSDT")
    venue.forget("GET", ORDER_PATH)
    venue.fail("GET", ORDER_PATH, timed_out())
    venue.forget("GET", "/api/v3/time")
    venue.fail("GET", "/api/v3/time", timed_out())
    venue.answer("GET", "/api/v3/time", recorded("server_time"))
    with pytest.raises(TemporaryError):
        broker.lookup(ORDER_ID)

    down = broker.status()
    up = broker.status()

    assert down.connected is False
    assert down.accepting_orders is False
    assert down.reason is not None
    assert "RequestTimeout" in down.reason
    assert up.connected is True


def test_status_when_markets_cannot_load_is_disconnected() -> None:
    broker, venue, _ = a_binance_broker()
    venue.forget("GET", "/api/v3/exchangeInfo")
    venue.fail("GET", "/api/v3/exchangeInfo", timed_out())

    status = broker.status()

    assert status.connected is False
    assert status.reason is not None
    assert "load_markets" in status.reason


def test_markets_load_once_when_many_threads_start_together() -> None:
    broker, venue, _ = a_binance_broker()
    barrier = threading.Barrier(8)

    def check() -> None:
        barrier.wait()
        broker.status()

    threads = [threading.Thread(target=check) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(venue.to("GET", "/api/v3/exchangeInfo")) == 1


def test_credentials_never_reach_logs_or_error_messages(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    broker, venue, _ = a_binance_broker()
    # binance reads -2015 after a successful signed call as a temporary ban, so refuse first.
    venue.answer("POST", ORDER_PATH, recorded("errors.invalid_api_key"), status=401)
    venue.answer("POST", ORDER_PATH, recorded("created_limit_new"))
    venue.fail("POST", ORDER_PATH, timed_out())
    venue.answer("GET", ORDER_PATH, recorded("errors.order_does_not_exist"), status=400)
    raised: list[MatsError] = []

    for _ in range(3):
        try:
            broker.place(an_order())
        except MatsError as error:
            raised.append(error)
    broker.lookup(ORDER_ID)

    assert "X-MBX-APIKEY" in caplog.text  # ccxt's request log ran, with the header redacted
    assert API_KEY not in caplog.text
    assert SECRET not in caplog.text
    assert [type(e) for e in raised] == [PermanentError, TemporaryError]
    for error in raised:
        assert API_KEY not in str(error)
        assert SECRET not in str(error)
    assert API_KEY not in repr(broker.__dict__)
