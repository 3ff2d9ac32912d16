"""The IB error table: each code and exception → its kind of trouble → the MATS error raised."""

from __future__ import annotations

import asyncio
import concurrent.futures
from datetime import UTC, datetime

import pytest
from ib_async import OrderStatus, RequestError, Trade, TradeLogEntry

from mats.adapters.brokers.ib_errors import (
    Trouble,
    classify,
    classify_exception,
    refuses_order,
    translate,
    translated,
)
from mats.adapters.brokers.ib_orders import order_report, order_state, refusal
from mats.domain.execution.states import OrderState
from mats.domain.venues import OrderRejectedError
from mats.errors import MatsError, PermanentError, TemporaryError

AT = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)

CODES = [
    *((code, Trouble.NOTICE) for code in (2104, 2106, 2107, 2108, 2119, 2158)),
    *((code, Trouble.DATA_UNAVAILABLE) for code in (354, 2103, 2105, 2157, 10090, 10168, 10186)),
    (1100, Trouble.CONNECTIVITY_LOST),
    (2110, Trouble.CONNECTIVITY_LOST),
    (1101, Trouble.CONNECTIVITY_RESTORED),
    (1102, Trouble.CONNECTIVITY_RESTORED),
    *((code, Trouble.DISCONNECTED) for code in (502, 504, 507, 1300)),
    (326, Trouble.CLIENT_ID_IN_USE),
    (100, Trouble.RATE_LIMITED),
    *((code, Trouble.ORDER_WARNING) for code in (399, 404, 2109)),
    (202, Trouble.ORDER_CANCELLED),
    *((code, Trouble.CANCEL_REFUSED) for code in (135, 161, 10147, 10148)),
    *((code, Trouble.REFUSED) for code in (103, 104, 105, 107, 110, 111, 116, 321, 355, 387)),
    *((code, Trouble.REFUSED) for code in (388, 434, 109, 163, 382, 383, 154, 200, 203, 392)),
    *((code, Trouble.REFUSED) for code in (412, 436, 10015, 201)),
    (0, Trouble.UNKNOWN),
    (9999, Trouble.UNKNOWN),
]

RAISED = {
    Trouble.REFUSED: PermanentError,
    **{trouble: TemporaryError for trouble in Trouble if trouble is not Trouble.REFUSED},
}


@pytest.mark.parametrize(("code", "trouble"), CODES)
def test_each_ib_code_has_its_kind_of_trouble(code: int, trouble: Trouble) -> None:
    assert classify(code) is trouble


@pytest.mark.parametrize(("code", "trouble"), CODES)
def test_each_ib_code_raised_by_ib_async_becomes_the_error_of_its_kind(
    code: int, trouble: Trouble
) -> None:
    error = translated(RequestError(7, code, "text from IB"), "Interactive Brokers reqSomething")

    assert type(error) is RAISED[trouble]
    assert f"API error: {code}: text from IB" in str(error)
    assert trouble.value in str(error)


@pytest.mark.parametrize(
    ("error", "trouble"),
    [
        (TimeoutError(), Trouble.NO_ANSWER),
        (concurrent.futures.TimeoutError(), Trouble.NO_ANSWER),
        (asyncio.CancelledError(), Trouble.INTERRUPTED),
        (concurrent.futures.CancelledError(), Trouble.INTERRUPTED),
        (ConnectionError("Not connected"), Trouble.DISCONNECTED),
        (ConnectionError("Socket disconnect"), Trouble.DISCONNECTED),
        (ConnectionRefusedError(111, "Connection refused"), Trouble.DISCONNECTED),
        (OSError(113, "No route to host"), Trouble.DISCONNECTED),
        (RequestError(7, 201, "Order rejected"), Trouble.REFUSED),
        (RequestError(7, 354, "Not subscribed"), Trouble.DATA_UNAVAILABLE),
        (ValueError("could not convert string to float"), Trouble.UNKNOWN),
    ],
)
def test_each_exception_a_session_call_can_raise_has_its_kind_of_trouble(
    error: BaseException, trouble: Trouble
) -> None:
    assert classify_exception(error) is trouble


@pytest.mark.parametrize(
    ("error", "raised"),
    [
        (TimeoutError(), TemporaryError),
        (concurrent.futures.CancelledError(), TemporaryError),
        (asyncio.CancelledError(), TemporaryError),
        (ConnectionError("Socket disconnect"), TemporaryError),
        (OSError("Connection reset by peer"), TemporaryError),
        (KeyError("permId"), TemporaryError),
        (RequestError(7, 200, "No security definition has been found"), PermanentError),
    ],
)
def test_every_exception_leaves_as_a_mats_error(
    error: BaseException, raised: type[MatsError]
) -> None:
    translation = translated(error, "Interactive Brokers reqExecutions")

    assert type(translation) is raised
    assert str(translation).startswith(f"Interactive Brokers reqExecutions: {type(error).__name__}")


def test_a_mats_error_passes_through_untouched() -> None:
    rejected = OrderRejectedError("o1", "IB error 201: margin")

    assert translated(rejected, "Interactive Brokers placeOrder o1") is rejected


def test_a_timeout_without_text_reads_cleanly() -> None:
    error = translated(TimeoutError(), "Interactive Brokers reqTickers AAPL")

    assert str(error) == "Interactive Brokers reqTickers AAPL: TimeoutError (no answer in time)"


def test_a_client_id_in_use_says_how_it_clears() -> None:
    error = translate(Trouble.CLIENT_ID_IN_USE, "Interactive Brokers connect")

    assert isinstance(error, TemporaryError)
    assert "MATS_IB_CLIENT_ID" in str(error)


@pytest.mark.parametrize(
    ("code", "refused"),
    [
        *((code, True) for code in (201, 110, 103)),
        *((code, False) for code in (202, 404, 161, 2104, 1100)),
    ],
)
def test_only_refusals_refuse_the_order(code: int, refused: bool) -> None:
    assert refuses_order(code) is refused


def a_trade(status: str, *log: tuple[int, str]) -> Trade:
    entries = [TradeLogEntry(AT, status, message, code) for code, message in log]
    return Trade(orderStatus=OrderStatus(status=status), log=entries)


def test_a_cancelled_trade_with_a_refusal_in_its_log_is_rejected_with_ibs_words() -> None:
    trade = a_trade("Cancelled", (201, "Error 201, reqId 5: Order rejected - no buying power"))

    assert order_state(trade, filled=0) is OrderState.REJECTED
    assert refusal(trade) == "IB error 201: Error 201, reqId 5: Order rejected - no buying power"


def test_a_cancel_confirmation_is_a_cancel_not_a_refusal() -> None:
    trade = a_trade("Cancelled", (202, "Error 202, reqId 5: Order Canceled - reason:"))

    assert order_state(trade, filled=0) is OrderState.CANCELLED
    assert order_report("o1", trade).reason is None


def test_an_order_held_to_locate_shares_is_still_working() -> None:
    trade = a_trade("ValidationError", (404, "Warning 404, reqId 5: Shares ... not available"))

    assert refusal(trade) is None
    assert order_state(trade, filled=0) is OrderState.SUBMITTED
