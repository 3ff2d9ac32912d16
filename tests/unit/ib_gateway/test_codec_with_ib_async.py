"""The simulator's messages, checked against ib_async's own decoder and encoder (no sockets)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from ib_async import (
    Contract,
    LimitOrder,
    MarketOrder,
    Order,
    PriceCondition,
    Stock,
    StopLimitOrder,
    TagValue,
)
from ib_async.client import Client
from ib_async.decoder import Decoder

from mats.localstack.ib_gateway import messages
from mats.localstack.ib_gateway.catalog import Catalog, ContractFields, Instrument
from mats.localstack.ib_gateway.events import MarginImpact
from mats.localstack.ib_gateway.ledger import PortfolioRow
from mats.localstack.ib_gateway.model import Execution, OrderSnapshot, OrderStatus, SimOrder
from mats.localstack.ib_gateway.order_messages import (
    commission_report,
    completed_order,
    execution_details,
    open_order,
    order_status,
)
from mats.localstack.ib_gateway.place_order import parse_place_order
from mats.localstack.ib_gateway.wire import (
    SERVER_VERSION,
    FieldReader,
    encode_message,
    split_fields,
)

TODAY = date(2026, 1, 5)
CATALOG = Catalog(TODAY)


class Recorder:
    """A stand-in for ib_async's Wrapper that records every call the decoder makes."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.ib = SimpleNamespace(TimezoneTWS=None)
        self.defaultTimezone = UTC

    def __getattr__(self, name: str) -> Any:
        return lambda *args: self.calls.append((name, args))


def decode(fields: list[Any]) -> tuple[str, tuple[Any, ...]]:
    """Frame fields as the simulator does, then decode them exactly as ib_async would."""
    received = split_fields(encode_message(fields)[4:])
    recorder = Recorder()
    Decoder(recorder, SERVER_VERSION).handlers[int(received[0])](received)  # type: ignore[arg-type]
    [call] = recorder.calls
    return call


def _stock() -> Instrument:
    found = CATALOG.resolve_one(ContractFields(symbol="AAPL", sec_type="STK", exchange="SMART"))
    assert found is not None
    return found


def _future() -> Instrument:
    request = ContractFields(symbol="ES", sec_type="FUT", last_trade_date="202603")
    found = CATALOG.resolve_one(request)
    assert found is not None
    return found


def _order(**changes: Any) -> SimOrder:
    values: dict[str, Any] = {
        "perm_id": 900001,
        "client_id": 7,
        "order_id": 12,
        "instrument": _future(),
        "route_exchange": "CME",
        "account": "DU1234567",
        "action": "BUY",
        "quantity": 2.0,
        "order_type": "LMT",
        "limit_price": 5000.25,
        "stop_price": None,
        "tif": "GTC",
        "order_ref": "sig-1:order-1",
        "parent_id": 11,
        "parent_perm_id": 900000,
        "oca_group": "oca-a",
        "oca_type": 1,
    }
    values.update(changes)
    return SimOrder(**values)


def _execution() -> Execution:
    return Execution(
        exec_id="0000abcd.00000001.01.01",
        time=datetime(2026, 1, 5, 15, 30, 1, tzinfo=UTC),
        account="DU1234567",
        instrument=_future(),
        order_id=12,
        client_id=7,
        perm_id=900001,
        side="BOT",
        shares=1.0,
        price=5000.25,
        cumulative_quantity=1.0,
        average_price=5000.25,
        order_ref="sig-1:order-1",
        commission=0.85,
        commission_currency="USD",
        realized_pnl=None,
    )


def test_open_order_decodes_into_the_order_and_state() -> None:
    name, (order_id, contract, order, state) = decode(open_order(_order(), "Submitted"))
    assert name == "openOrder"
    assert order_id == 12
    assert (contract.conId, contract.symbol, contract.secType) == (_future().con_id, "ES", "FUT")
    assert contract.multiplier == "50"
    assert contract.lastTradeDateOrContractMonth == "20260320"
    assert (order.action, order.totalQuantity, order.orderType) == ("BUY", 2.0, "LMT")
    assert order.lmtPrice == 5000.25
    assert order.auxPrice == Order().auxPrice
    assert (order.tif, order.orderRef, order.account) == ("GTC", "sig-1:order-1", "DU1234567")
    assert (order.clientId, order.permId, order.parentId) == (7, 900001, 11)
    assert (order.ocaGroup, order.ocaType) == ("oca-a", 1)
    assert state.status == "Submitted"
    assert order.whatIf is False


def test_what_if_open_order_carries_the_margin_impact() -> None:
    impact = MarginImpact(1000.0, 800.0, 1_000_000.0, 250.0, 200.0, -0.85, 0.85)
    _, (_, _, order, state) = decode(open_order(_order(), "PreSubmitted", impact))
    assert order.whatIf is True
    assert float(state.initMarginChange) == 250.0
    assert float(state.initMarginAfter) == 1250.0
    assert state.commission == 0.85


def test_order_status_decodes_with_every_field() -> None:
    order = _order(status=OrderStatus.SUBMITTED, filled=1.0, filled_notional=5000.25)
    order.last_fill_price = 5000.25
    name, arguments = decode(order_status(order, OrderSnapshot.of(order)))
    assert name == "orderStatus"
    assert arguments == (12, "Submitted", 1.0, 1.0, 5000.25, 900001, 11, 5000.25, 7, "", 0.0)


def test_completed_order_decodes_with_perm_id_and_completion() -> None:
    order = _order(status=OrderStatus.FILLED, filled=2.0, completed_time="20260105 15:30:01 UTC")
    order.completed_status = "Filled Size: 2"
    name, (contract, decoded, state) = decode(completed_order(order))
    assert name == "completedOrder"
    assert contract.conId == _future().con_id
    assert (decoded.permId, decoded.orderRef, decoded.filledQuantity) == (
        900001,
        "sig-1:order-1",
        2,
    )
    assert decoded.parentPermId == 900000
    assert (state.status, state.completedTime) == ("Filled", "20260105 15:30:01 UTC")
    assert state.completedStatus == "Filled Size: 2"


def test_execution_details_decode_with_order_ref_and_time() -> None:
    name, (req_id, contract, execution) = decode(execution_details(-1, _execution()))
    assert name == "execDetails"
    assert req_id == -1
    assert contract.exchange == "CME"
    assert execution.execId == "0000abcd.00000001.01.01"
    assert execution.time == datetime(2026, 1, 5, 15, 30, 1, tzinfo=UTC)
    assert (execution.side, execution.shares, execution.price) == ("BOT", 1.0, 5000.25)
    assert (execution.permId, execution.clientId, execution.orderId) == (900001, 7, 12)
    assert (execution.cumQty, execution.avgPrice) == (1.0, 5000.25)
    assert execution.orderRef == "sig-1:order-1"


def test_commission_report_for_an_opening_fill_has_no_realised_pnl() -> None:
    name, (report,) = decode(commission_report(_execution()))
    assert name == "commissionReport"
    assert (report.execId, report.commission, report.currency) == (
        "0000abcd.00000001.01.01",
        0.85,
        "USD",
    )
    assert report.realizedPNL == pytest.approx(1.7976931348623157e308)


def test_contract_details_decode_for_stock_and_future() -> None:
    _, (_, stock) = decode(messages.contract_details(3, _stock(), "SMART"))
    assert (stock.contract.symbol, stock.contract.exchange) == ("AAPL", "SMART")
    assert stock.contract.primaryExchange == "NASDAQ"
    assert stock.minTick == 0.01
    _, (_, future) = decode(messages.contract_details(4, _future(), "CME"))
    assert future.contract.lastTradeDateOrContractMonth == "20260320"
    assert future.contract.multiplier == "50"
    assert (future.contractMonth, future.timeZoneId, future.minTick) == (
        "202603",
        "US/Central",
        0.25,
    )


def test_position_and_portfolio_decode() -> None:
    future = _future()
    _, (account, contract, quantity, cost) = decode(
        messages.position("DU1234567", future, -2.0, 250000.85)
    )
    assert (account, contract.conId, quantity, cost) == (
        "DU1234567",
        future.con_id,
        -2.0,
        250000.85,
    )
    row = PortfolioRow(future, 1.0, 5010.0, 250500.0, 250000.85, 499.15, 0.0)
    _, (contract, position, price, value, cost, unrealized, realized, account) = decode(
        messages.portfolio_value("DU1234567", row)
    )
    assert (position, price, value, cost) == (1.0, 5010.0, 250500.0, 250000.85)
    assert (unrealized, realized, account) == (499.15, 0.0, "DU1234567")


def test_error_carries_the_advanced_reject_json() -> None:
    name, arguments = decode(messages.error(12, 201, "Order rejected - reason:x", '{"a": 1}'))
    assert name == "error"
    assert arguments == (12, 201, "Order rejected - reason:x", '{"a": 1}')


def test_simple_messages_decode() -> None:
    assert decode(messages.next_valid_id(17)) == ("nextValidId", (17,))
    assert decode(messages.managed_accounts(["DU1", "DU2"])) == ("managedAccounts", ("DU1,DU2",))
    assert decode(messages.current_time(datetime.fromtimestamp(1_700_000_000, UTC))) == (
        "currentTime",
        (1_700_000_000,),
    )
    assert decode(messages.account_value("NetLiquidation", "100", "USD", "DU1")) == (
        "updateAccountValue",
        ("NetLiquidation", "100", "USD", "DU1"),
    )
    assert decode(messages.account_summary(5, "DU1", "NetLiquidation", "100", "USD")) == (
        "accountSummary",
        (5, "DU1", "NetLiquidation", "100", "USD"),
    )
    assert decode(messages.tick_price(9, messages.TickType.LAST, 101.5, 100.0)) == (
        "priceSizeTick",
        (9, 4, 101.5, 100.0),
    )
    assert decode(messages.completed_orders_end()) == ("completedOrdersEnd", ())


def encode_place_order(order_id: int, contract: Contract, order: Order) -> list[str]:
    """Let ib_async's own client encode ``placeOrder`` and capture the fields it would send."""
    sent: list[str] = []
    client = Client(Recorder())
    client._serverVersion = SERVER_VERSION
    client.connState = Client.CONNECTED
    client.sendMsg = sent.append  # type: ignore[method-assign]
    client.placeOrder(order_id, contract, order)
    [message] = sent
    fields = message.split("\0")
    fields.pop()
    return fields


def test_place_order_parses_every_field_ib_async_sends() -> None:
    order = LimitOrder(
        "SELL", 3, 101.25, orderRef="sig-9:order-2", tif="GTD", goodTillDate="20260320-20:00:00"
    )
    order.account, order.ocaGroup, order.ocaType, order.parentId = "DU1234567", "g", 2, 4
    order.transmit, order.outsideRth = False, True
    fields = encode_place_order(8, Stock("AAPL", "SMART", "USD"), order)
    ticket = parse_place_order(FieldReader(fields, start=1))
    assert (ticket.order_id, ticket.action, ticket.quantity) == (8, "SELL", 3)
    assert (ticket.order_type, ticket.limit_price, ticket.aux_price) == ("LMT", 101.25, None)
    assert (ticket.tif, ticket.good_till_date) == ("GTD", "20260320-20:00:00")
    assert (ticket.order_ref, ticket.account) == ("sig-9:order-2", "DU1234567")
    assert (ticket.oca_group, ticket.oca_type, ticket.parent_id) == ("g", 2, 4)
    assert (ticket.transmit, ticket.outside_rth, ticket.what_if) == (False, True, False)
    assert ticket.contract.symbol == "AAPL"
    assert ticket.contract.exchange == "SMART"
    assert ticket.unsupported == ""


@pytest.mark.parametrize(
    ("order", "order_type", "limit", "aux"),
    [
        (MarketOrder("BUY", 1), "MKT", None, None),
        (StopLimitOrder("BUY", 1, 101.0, 100.5), "STP LMT", 101.0, 100.5),
        (Order(action="BUY", totalQuantity=1, orderType="STP", auxPrice=99.0), "STP", None, 99.0),
    ],
)
def test_place_order_reads_order_types_and_prices(
    order: Order, order_type: str, limit: float | None, aux: float | None
) -> None:
    ticket = parse_place_order(FieldReader(encode_place_order(1, Stock("X"), order), start=1))
    assert (ticket.order_type, ticket.limit_price, ticket.aux_price) == (order_type, limit, aux)


def test_place_order_flags_what_if() -> None:
    order = MarketOrder("BUY", 1)
    order.whatIf = True
    ticket = parse_place_order(FieldReader(encode_place_order(1, Stock("X"), order), start=1))
    assert ticket.what_if is True


@pytest.mark.parametrize(
    ("order", "reason"),
    [
        (
            Order(
                action="BUY",
                totalQuantity=1,
                orderType="LMT",
                lmtPrice=1.0,
                algoStrategy="Adaptive",
                algoParams=[TagValue("adaptivePriority", "Normal")],
            ),
            "Algo",
        ),
        (
            Order(
                action="BUY",
                totalQuantity=1,
                orderType="MKT",
                conditions=[PriceCondition(price=10.0, conId=1, exch="SMART")],
            ),
            "Conditional",
        ),
        (
            Order(action="BUY", totalQuantity=1, orderType="PEG MID", lmtPrice=1.0),
            "",
        ),
    ],
)
def test_place_order_marks_features_the_simulator_does_not_model(order: Order, reason: str) -> None:
    ticket = parse_place_order(FieldReader(encode_place_order(1, Stock("X"), order), start=1))
    assert reason in ticket.unsupported
