"""Webhook → order → fill → position on the local stack: the bridge, the simulated IB Gateway
(through the real ib_async client), the paper venue, faults, alerts and reconciliation."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from mats.codec import parse_datetime
from mats.contracts import encode, to_message
from mats.domain.execution.states import OrderState
from mats.domain.market import AssetClass
from mats.domain.orders import Order
from mats.domain.strategies import StrategyStatus
from mats.domain.trading import OrderPurpose, OrderType, Side, TradingMode
from mats.localstack.demo import DEMO_IB_ACCOUNTS
from mats.services.registry import IssuedSecret, StrategyChanges
from tests import builders
from tests.builders import tradingview_alert
from tests.conftest import Stack, http_post, unique
from tests.integration.conftest import Receiver, subscribed_receiver
from tests.integration.trading import (
    control,
    manual_trade,
    mats,
    order_in,
    push_message,
    telegram_messages,
    until,
    venue_orders,
)

ACCOUNT = "IBKR_Main"


@pytest.fixture(scope="module")
def desk(stack: Stack, services: Any) -> dict[str, Any]:
    """A sender, a LIVE and a PAPER strategy on the IB-mapped account, and a stock to trade."""
    until(lambda: any(a.account == ACCOUNT for a in services.trading_state.list_accounts()))
    issued: IssuedSecret = services.senders.create(unique("Bridge E2E"), rate_limit_per_minute=6000)
    live, paper = unique("live"), unique("paper")
    for strategy_id, mode in ((live, TradingMode.LIVE), (paper, TradingMode.PAPER)):
        services.strategies.create(
            strategy_id,
            StrategyChanges(
                name=strategy_id,
                status=StrategyStatus.ACTIVE,
                trading_mode=mode,
                account=ACCOUNT,
                max_position_size=Decimal(5000),  # $5,000: 100 shares at 50.
                sender_ids=(issued.sender.sender_id,),
            ),
        )
    symbol = "X" + unique("").strip("-").upper()[:5]
    services.operations.set_instrument(
        symbol,
        asset_class=AssetClass.STOCK,
        currency="USD",
        tick_size=Decimal("0.01"),
        lot_size=Decimal(1),
        margin_rate=Decimal("0.25"),
    )
    control(stack, "/prices", {symbol: 50})
    # The session's stack is shared: earlier tests' strategies may still hold positions.
    services.allocations.set_custom(
        {live: Decimal(10), paper: Decimal(10)}, approved_by="test", allow_close=True
    )
    return {"sender": issued, "live": live, "paper": paper, "symbol": symbol}


@pytest.fixture(scope="module")
def fills(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Receiver]:
    """A subscriber on ``fills``: what downstream consumers (the dashboard) receive."""
    out = tmp_path_factory.mktemp("fills-receiver") / "deliveries.jsonl"
    with subscribed_receiver(stack, "fills", out) as running:
        yield running


def post_alert(stack: Stack, desk: dict[str, Any], strategy_id: str, **fields: Any) -> str:
    fired = (datetime.now(UTC) - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    alert = tradingview_alert(
        strategy_id=strategy_id, ticker=desk["symbol"], price="50", timenow=fired, **fields
    )
    sender = desk["sender"]
    url = f"{stack.ingest_url}/webhook/{sender.sender.sender_id}/{sender.secret}"
    status, _, answer = http_post(url, json.dumps(alert).encode())
    assert status == 202, answer
    return str(answer["signal_id"])


def an_order(desk: dict[str, Any], quantity: int = 10, **overrides: Any) -> Order:
    order_id = unique("direct").replace("-", "_") + "_ORD"
    fields: dict[str, Any] = {
        "created_at": datetime.now(UTC),
        "strategy_id": desk["live"],
        "account": ACCOUNT,
        "symbol": desk["symbol"],
        "quantity": Decimal(quantity),
        "reference_price": Decimal(50),
    }
    return builders.an_order(order_id, **{**fields, **overrides})


def position(services: Any, strategy_id: str, symbol: str) -> Decimal:
    found = services.execution_store.position(ACCOUNT, strategy_id, symbol)
    return found.quantity if found is not None else Decimal(0)


def test_a_webhook_becomes_an_ib_fill_a_position_and_a_fill_message(
    stack: Stack, services: Any, desk: dict[str, Any], fills: Receiver
) -> None:
    signal_id = post_alert(stack, desk, desk["live"])

    record = order_in(services, f"{signal_id}_ORD", OrderState.FILLED)

    assert record.venue == "IB"
    (at_ib,) = venue_orders(stack, record.order_id)
    assert (at_ib["account"], at_ib["status"]) == (DEMO_IB_ACCOUNTS[ACCOUNT], "Filled")
    quantity = record.order.quantity
    assert position(services, desk["live"], desk["symbol"]) == quantity
    (delivery,) = until(
        lambda: [d for d in fills.deliveries() if d["decoded"]["order_id"] == record.order_id]
    )
    fill = delivery["decoded"]
    assert delivery["attributes"]["schema"] == "mats.fill.v1"
    assert (fill["quantity"], fill["price"], fill["trading_mode"]) == (str(quantity), "50", "LIVE")
    listed = mats(stack, "fills", "list", "--strategy", desk["live"])
    assert [f["id"] for f in listed] == [fill["id"]]
    shown = mats(stack, "orders", "show", record.order_id)
    assert [t["state"] for t in shown["transitions"]][-1] == "FILLED"


def test_a_paper_strategy_fills_on_the_paper_venue_and_never_reaches_ib(
    stack: Stack, services: Any, desk: dict[str, Any]
) -> None:
    signal_id = post_alert(stack, desk, desk["paper"])

    record = order_in(services, f"{signal_id}_ORD", OrderState.FILLED)

    assert record.venue == "PAPER"
    assert venue_orders(stack, record.order_id) == []
    assert record.average_price is not None
    assert record.average_price >= Decimal(50)  # Slippage moves against the buyer.
    listed = mats(stack, "positions", "list", "--strategy", desk["paper"])
    assert [(p["symbol"], p["quantity"]) for p in listed] == [
        (desk["symbol"], str(record.order.quantity))
    ]


def test_the_same_order_delivered_three_times_is_one_order_at_ib(
    stack: Stack, services: Any, desk: dict[str, Any]
) -> None:
    order = an_order(desk)
    before = position(services, desk["live"], desk["symbol"])

    for _ in range(3):
        services.publisher.publish(encode(to_message(order)), timeout=10)
    # A marker on the same ordering key: delivered only once the three copies were handled.
    marker = an_order(desk, quantity=1)
    services.publisher.publish(encode(to_message(marker)), timeout=10)
    order_in(services, order.id, OrderState.FILLED)
    order_in(services, marker.id, OrderState.FILLED)

    assert len(venue_orders(stack, order.id)) == 1
    assert len(services.execution_store.list_fills(strategy_id=None, account=None, limit=500)) > 0
    booked = [
        f
        for f in services.execution_store.list_fills(
            strategy_id=desk["live"], account=None, limit=500
        )
        if f.order_id == order.id
    ]
    assert len(booked) == 1
    assert position(services, desk["live"], desk["symbol"]) == before + 10 + 1  # And the marker.


def test_a_fill_made_while_the_gateway_restarts_is_recovered_once(
    stack: Stack, services: Any, desk: dict[str, Any]
) -> None:
    control(stack, "/fill-mode", {"partial_slices": 2, "hold_remainder": True})
    order = an_order(desk, quantity=10)
    before = position(services, desk["live"], desk["symbol"])
    try:
        services.publisher.publish(encode(to_message(order)), timeout=10)
        order_in(services, order.id, OrderState.PARTIALLY_FILLED)
        restart = threading.Thread(
            target=control, args=(stack, "/restart", {"down_seconds": 2, "next_valid_id": 1})
        )
        restart.start()
        until(lambda: control(stack, "/", method="GET")["restarting"], 10, "restart")
        control(stack, "/fill", {"order_ref": order.id})  # While the bridge is cut off.
        restart.join()
    finally:
        control(stack, "/fill-mode", {"partial_slices": 1, "hold_remainder": False})

    record = order_in(services, order.id, OrderState.FILLED, timeout=60)

    booked = [
        f
        for f in services.execution_store.list_fills(
            strategy_id=desk["live"], account=None, limit=500
        )
        if f.order_id == order.id
    ]
    assert sorted(f.quantity for f in booked) == [Decimal(5), Decimal(5)]
    assert record.filled_quantity == Decimal(10)
    assert position(services, desk["live"], desk["symbol"]) == before + 10


def test_orders_wait_while_ib_reports_1100_and_go_once_it_is_back(
    stack: Stack, services: Any, desk: dict[str, Any]
) -> None:
    bridge = stack.info["bridge_url"]
    control(stack, "/errors", {"code": 1100})
    try:
        until(lambda: not mats(stack, "bridge", "status")["ready"], 10, "bridge paused")
        status, _, ready = http_get(f"{bridge}/readyz")
        assert status == 503
        assert "1100" in ready["problems"][0]
        order = an_order(desk)
        services.publisher.publish(encode(to_message(order)), timeout=10)
        # Delivered by hand too: the bridge's own answer says it was not placed.
        answer = push_message(
            f"{bridge}/pubsub/orders", unique("m"), encode(to_message(order)).data, "orders"
        )
        assert answer == 503
        assert services.execution_store.order(order.id).state is OrderState.NEW
        assert venue_orders(stack, order.id) == []
    finally:
        control(stack, "/errors", {"code": 1102})

    until(lambda: mats(stack, "bridge", "status")["ready"], 10, "bridge resumed")
    order_in(services, order.id, OrderState.FILLED, timeout=60)  # Pub/Sub delivers it again.
    assert len(venue_orders(stack, order.id)) == 1


def test_a_refused_exit_alerts_on_telegram_and_is_retried_until_it_fills(
    stack: Stack, services: Any, desk: dict[str, Any]
) -> None:
    entry = an_order(desk, quantity=4)
    services.publisher.publish(encode(to_message(entry)), timeout=10)
    order_in(services, entry.id, OrderState.FILLED)
    control(stack, "/reject-next", {"reason": "simulated exit refusal"})
    exit_order = an_order(desk, quantity=4, side=Side.SELL, purpose=OrderPurpose.EXIT)

    services.publisher.publish(encode(to_message(exit_order)), timeout=10)
    record = order_in(services, exit_order.id, OrderState.FILLED)

    assert record.attempts == 2
    assert record.failures == 1
    assert [o["status"] for o in venue_orders(stack, exit_order.id)] == ["Cancelled"]
    assert [o["status"] for o in venue_orders(stack, f"{exit_order.id}~2")] == ["Filled"]
    alerts = mats(stack, "alerts", "list", "--limit", "50")
    assert any(a["kind"] == "EXIT_FAILED" and exit_order.id in a["message"] for a in alerts)
    texts = until(
        lambda: [t for t in telegram_messages(stack) if exit_order.id in t], 10, "telegram"
    )
    assert "CRITICAL EXIT_FAILED" in texts[0]
    assert "simulated exit refusal" in texts[0]


def test_a_halt_between_decision_and_send_stops_both_and_the_held_exit_goes_when_lifted(
    stack: Stack, services: Any, desk: dict[str, Any]
) -> None:
    strategy, symbol = desk["live"], desk["symbol"]
    entry = an_order(desk, quantity=5)
    services.publisher.publish(encode(to_message(entry)), timeout=10)
    order_in(services, entry.id, OrderState.FILLED)
    before = position(services, strategy, symbol)
    # Both were decided while trading was ACTIVE; the halt comes before the bridge sends them.
    late_entry = an_order(desk, quantity=5)
    exit_order = an_order(desk, quantity=5, side=Side.SELL, purpose=OrderPurpose.EXIT)
    mats(stack, "risk", "set", "HALTED", "--strategy", strategy, "--reason", "test")
    try:
        services.publisher.publish(encode(to_message(late_entry)), timeout=10)
        services.publisher.publish(encode(to_message(exit_order)), timeout=10)
        refused = order_in(services, late_entry.id, OrderState.REJECTED)
        held = until(
            lambda: (r := services.execution_store.order(exit_order.id)) and r.held_reason and r,
            what="the exit held",
        )
        # Marker: a later poll of the bridge ran while it was held, and still nothing went out.
        until(
            lambda: (
                (ran := mats(stack, "bridge", "status")["jobs"]["poll"]["last_ok"])
                and parse_datetime(ran, "last_ok") > held.updated_at
            ),
            what="a bridge poll after the hold",
        )
        assert venue_orders(stack, late_entry.id) == []
        assert venue_orders(stack, exit_order.id) == []
        assert refused.reason == "TRADING_HALTED: trading is HALTED"
        shown = mats(stack, "orders", "show", exit_order.id)
        assert shown["held_reason"].startswith("TRADING_HALTED")
    finally:
        mats(stack, "risk", "set", "ACTIVE", "--strategy", strategy, "--reason", "test")

    filled = order_in(services, exit_order.id, OrderState.FILLED)
    assert len(venue_orders(stack, exit_order.id)) == 1
    assert filled.held_reason is None
    assert position(services, strategy, symbol) == before - 5
    alerts = mats(stack, "alerts", "list", "--limit", "100")
    assert f"{exit_order.id}_EXIT_HELD" in [a["alert_id"] for a in alerts]


def test_a_trade_made_outside_mats_is_booked_to_discretionary_by_reconciliation(
    stack: Stack, services: Any, desk: dict[str, Any]
) -> None:
    symbol = "X" + unique("").strip("-").upper()[:5]
    control(stack, "/prices", {symbol: 20})
    manual_trade(stack, ACCOUNT, symbol, 7)

    answer = mats(stack, "reconcile", "--account", ACCOUNT)

    (report,) = answer["accounts"]
    assert report["status"] == "RECONCILED"
    (line,) = [line for line in report["lines"] if line["symbol"] == symbol]
    assert (line["venue_quantity"], line["strategies_quantity"], line["residual"]) == (
        "7",
        "0",
        "7",
    )
    assert symbol in report["booked"]
    positions = mats(stack, "positions", "list", "--strategy", "Discretionary")
    assert [p["quantity"] for p in positions if p["symbol"] == symbol] == ["7"]
    alerts = mats(stack, "alerts", "list", "--limit", "50")
    assert any(a["kind"] == "POSITION_RESIDUAL" and symbol in a["message"] for a in alerts)
    until(lambda: [t for t in telegram_messages(stack) if symbol in t], 10, "telegram")


def test_an_operator_cancels_a_resting_order_through_the_bridge(
    stack: Stack, services: Any, desk: dict[str, Any]
) -> None:
    order = an_order(desk, order_type=OrderType.LIMIT, limit_price=Decimal(10))
    services.publisher.publish(encode(to_message(order)), timeout=10)
    order_in(services, order.id, OrderState.ACCEPTED)

    cancelled = mats(stack, "orders", "cancel", order.id)

    assert cancelled["state"] == "CANCELLED"
    until(lambda: venue_orders(stack, order.id)[0]["status"] == "Cancelled", 10, "IB cancel")


def http_get(url: str) -> tuple[int, dict[str, str], Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())
