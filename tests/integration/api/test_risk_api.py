"""Trading controls over the API on the real stack: a strategy halted by an admin refuses its next
entry alert, the fund's state is set and read back, an order resting at the simulated IB Gateway
is cancelled through the bridge (once: a final order is a 409), and a reconciliation books a
trade made outside MATS to Discretionary — each change in the audit log under the admin's name,
a repeat or a refusal not."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from mats.contracts import encode, to_message
from mats.domain.execution.states import OrderState
from mats.domain.market import AssetClass
from mats.domain.strategies import StrategyStatus
from mats.domain.trading import OrderType, TradingMode
from mats.services.registry import IssuedSecret, StrategyChanges
from tests import builders
from tests.builders import tradingview_alert
from tests.conftest import Stack, http_post, unique
from tests.integration.api.client import ApiClient
from tests.integration.api.writes import audit_of, newest_audit, put, recorded_account
from tests.integration.trading import (
    control,
    manual_trade,
    order_in,
    until,
    value_every_account,
    venue_orders,
)

IB_ACCOUNT = "IBKR_Main"


def a_symbol(stack: Stack, api: ApiClient, price: int) -> str:
    symbol = "R" + unique("").strip("-").upper()[:5]
    api.services.operations.set_instrument(
        symbol,
        asset_class=AssetClass.STOCK,
        currency="USD",
        tick_size=Decimal("0.01"),
        lot_size=Decimal(1),
        margin_rate=Decimal("0.01"),
    )
    control(stack, "/prices", {symbol: price})
    return symbol


def a_strategy(api: ApiClient, account: str, mode: TradingMode, sender: str | None = None) -> str:
    strategy_id = unique("risk")
    api.services.strategies.create(
        strategy_id,
        StrategyChanges(
            name=strategy_id,
            status=StrategyStatus.ACTIVE,
            trading_mode=mode,
            account=account,
            sender_ids=(sender,) if sender else (),
        ),
    )
    return strategy_id


@pytest.fixture(scope="module")
def sender(api: ApiClient) -> IssuedSecret:
    issued: IssuedSecret = api.services.senders.create(unique("Risk API"))
    return issued


def post_entry(stack: Stack, sender: IssuedSecret, strategy_id: str, symbol: str, bar: str) -> str:
    fired = (datetime.now(UTC) - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    alert = tradingview_alert(
        strategy_id=strategy_id, ticker=symbol, price="100", timenow=fired, time=bar
    )
    url = f"{stack.ingest_url}/webhook/{sender.sender.sender_id}/{sender.secret}"
    status, _, answer = http_post(url, json.dumps(alert).encode())
    assert status == 202, answer
    return str(answer["signal_id"])


def decided(api: ApiClient, signal_id: str) -> Any:
    def published() -> Any:
        stored = api.services.decision_store.get(signal_id)
        return stored if stored is not None and (stored.published or not stored.messages) else None

    return until(published, timeout=30, what=f"a decision for {signal_id}").decision


def test_a_strategy_halted_over_the_api_refuses_its_next_entry_until_it_is_resumed(
    stack: Stack, api: ApiClient, sender: IssuedSecret
) -> None:
    account = recorded_account(api)
    strategy_id = a_strategy(api, account, TradingMode.PAPER, sender.sender.sender_id)
    symbol = a_symbol(stack, api, 100)
    value_every_account(api.services)
    api.services.allocations.set_custom(
        {strategy_id: Decimal(5)}, approved_by="test", allow_close=True
    )
    path = f"/api/risk/strategies/{strategy_id}"
    shown_before = api.get("/api/risk")

    halted = put(api, path, {"state": "HALTED", "reason": "desk review"})
    audit_after_halt = newest_audit(api)
    again = put(api, path, {"state": "HALTED", "reason": " desk review "})
    audit_after_repeat = newest_audit(api)
    refused = decided(api, post_entry(stack, sender, strategy_id, symbol, "2026-11-20T09:01:00Z"))
    shown = api.get("/api/risk")
    resumed = put(api, path, {"state": "ACTIVE", "reason": None})
    # Still flat (the halted entry sent nothing): the same entry now goes out.
    after = decided(api, post_entry(stack, sender, strategy_id, symbol, "2026-11-20T09:02:00Z"))

    line = next(s for s in shown_before.body["strategies"] if s["strategy_id"] == strategy_id)
    assert (line["state"], line["in_force"], line["set_by"]) == ("ACTIVE", "ACTIVE", None)
    assert halted.status == 200, halted.body
    assert (halted.body["state"], halted.body["reason"]) == ("HALTED", "desk review")
    assert halted.body["set_by"] == "admin@example.test"
    assert again.body == halted.body
    assert audit_after_repeat == audit_after_halt
    assert "TRADING_HALTED" in [reason.value for reason in refused.reasons]
    assert not refused.orders
    assert halted.body in shown.body["strategies"]
    assert resumed.body["state"] == "ACTIVE"
    assert after.orders
    entries = audit_of(api, f"strategy:{strategy_id}")
    assert [e["operation"] for e in entries] == ["set_risk", "set_risk"]  # Resumed, halted.
    assert (entries[1]["before"]["state"], entries[1]["after"]) == ("ACTIVE", halted.body)
    assert {e["by_email"] for e in entries} == {"admin@example.test"}


def test_the_funds_state_is_set_read_back_and_in_force_for_every_strategy(
    api: ApiClient,
) -> None:
    strategy_id = a_strategy(api, recorded_account(api), TradingMode.PAPER)
    try:
        reducing = put(api, "/api/risk/fund", {"state": "REDUCING", "reason": "month end"})
        shown = api.get("/api/risk")
    finally:
        restored = put(api, "/api/risk/fund", {"state": "ACTIVE", "reason": "test over"})

    line = next(s for s in shown.body["strategies"] if s["strategy_id"] == strategy_id)
    assert reducing.status == 200, reducing.body
    assert shown.body["fund"] == reducing.body
    assert (reducing.body["scope"], reducing.body["in_force"]) == ("global", "REDUCING")
    assert (line["state"], line["in_force"]) == ("ACTIVE", "REDUCING")
    assert restored.body["state"] == "ACTIVE"
    assert api.get("/api/risk").body["fund"]["in_force"] == "ACTIVE"


def test_bad_risk_changes_are_refused_and_change_nothing(api: ApiClient) -> None:
    strategy_id = a_strategy(api, recorded_account(api), TradingMode.PAPER)
    path = f"/api/risk/strategies/{strategy_id}"
    client = api.user(unique("client"), {"role": "client", "client_id": "someone"})
    before = api.get("/api/risk").body
    audit_before = newest_audit(api)

    cases = [
        (put(api, path, {"state": "STOP"}), 422, "state"),
        (put(api, path, {}), 422, "state"),
        (put(api, path, {"state": "HALTED", "reason": 5}), 422, "reason"),
        (put(api, path, {"state": "HALTED", "why": "x"}), 422, "why"),
        (api.call("PUT", path, raw=b"{not json"), 400, "body"),
        (put(api, "/api/risk/strategies/no-such-strategy", {"state": "HALTED"}), 404, None),
        (put(api, path, {"state": "HALTED"}, as_=client), 403, None),
    ]

    for answer, status, field in cases:
        assert answer.status == status, answer.body
        assert answer.body.get("field") == field, answer.body
    assert api.get("/api/risk").body == before
    assert newest_audit(api) == audit_before


def test_an_admin_cancels_a_resting_order_through_the_bridge_once(
    stack: Stack, api: ApiClient
) -> None:
    until(lambda: IB_ACCOUNT in {a.account for a in api.services.operations.list_accounts()})
    strategy_id = a_strategy(api, IB_ACCOUNT, TradingMode.LIVE)
    symbol = a_symbol(stack, api, 50)
    order = builders.an_order(
        unique("cancel").replace("-", "_") + "_ORD",
        created_at=datetime.now(UTC),
        strategy_id=strategy_id,
        symbol=symbol,
        quantity=Decimal(5),
        reference_price=Decimal(50),
        order_type=OrderType.LIMIT,
        limit_price=Decimal(10),  # Far below the market: it rests.
    )
    api.services.publisher.publish(encode(to_message(order)), timeout=10)
    order_in(api.services, order.id, OrderState.ACCEPTED)

    cancelled = api.post(f"/api/orders/{order.id}/cancel")
    again = api.post(f"/api/orders/{order.id}/cancel")
    unknown = api.post("/api/orders/no_such_order_ORD/cancel")

    assert cancelled.status == 200, cancelled.body
    assert cancelled.body["state"] == "CANCELLED"
    # The bridge notes who asked when it stops the order itself; when IB confirms the cancel at
    # once, the venue's report (no reason) moves it. The audit log names the admin either way.
    assert cancelled.body["reason"] in (None, "cancelled by admin@example.test")
    until(lambda: venue_orders(stack, order.id)[0]["status"] == "Cancelled", 10, "IB cancel")
    assert (again.status, unknown.status) == (409, 404)
    assert "already CANCELLED" in again.body["error"]
    (entry,) = audit_of(api, order.id)
    assert (entry["operation"], entry["by_email"]) == ("cancel_order", "admin@example.test")
    assert (entry["before"]["state"], entry["after"]) == ("ACCEPTED", cancelled.body)


def test_a_reconciliation_over_the_api_books_a_trade_made_outside_mats(
    stack: Stack, api: ApiClient
) -> None:
    until(lambda: IB_ACCOUNT in {a.account for a in api.services.operations.list_accounts()})
    symbol = a_symbol(stack, api, 20)
    manual_trade(stack, IB_ACCOUNT, symbol, 3)
    audit_before = newest_audit(api)

    unknown = api.post("/api/reconcile", {"account": "NO_SUCH_ACCOUNT"})
    unchanged = newest_audit(api)
    answer = api.post("/api/reconcile", {"account": IB_ACCOUNT})
    repeat = api.post("/api/reconcile", {"account": IB_ACCOUNT})

    assert (unknown.status, unknown.body["field"]) == (422, "account")
    assert unchanged == audit_before
    assert answer.status == 200, answer.body
    (report,) = answer.body["accounts"]
    assert report["status"] == "RECONCILED"
    (line,) = [line for line in report["lines"] if line["symbol"] == symbol]
    assert (line["venue_quantity"], line["strategies_quantity"], line["residual"]) == (
        "3",
        "0",
        "3",
    )
    assert symbol in report["booked"]
    assert symbol not in repeat.body["accounts"][0]["booked"]
    booked = [e for e in audit_of(api, IB_ACCOUNT) if symbol in (e["after"] or {})]
    assert len(booked) == 1
    assert (booked[0]["before"][symbol], booked[0]["after"][symbol]) == ("0", "3")
    assert booked[0]["by_email"] == "admin@example.test"
