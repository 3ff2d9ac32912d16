"""Webhook → ingest → Cerebro → order on ``orders``, on the real local stack, under faults."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from mats.adapters.firestore.documents import STRATEGY_DAY_PNL, Documents
from mats.contracts import EncodedMessage, decode, decode_as, encode, to_message
from mats.domain.accounting.daily import StrategyDayPnl, trading_day_start
from mats.domain.market import AssetClass
from mats.domain.risk import RiskState
from mats.domain.signals.signal import Signal
from mats.domain.strategies import StrategyStatus
from mats.domain.trading import Intent, Position, PositionSide, Side, TradingMode
from mats.errors import TemporaryError
from mats.services.cerebro import CerebroService, PubSubEvent
from mats.services.registry import IssuedSecret, StrategyChanges
from tests.builders import tradingview_alert
from tests.conftest import Stack, http_post, unique
from tests.fakes import FakePublisher
from tests.integration.conftest import Receiver
from tests.integration.trading import (
    fund_equity,
    mats,
    push_message,
    shares,
    telegram_messages,
    until,
    value_every_account,
)


@pytest.fixture
def desk(services: Any) -> dict[str, Any]:
    """A sender, an ACTIVE LIVE strategy on its own account, an instrument and 5% allocated.

    Sizing takes a share of the whole fund (every account on the session's stack): at 1% margin
    the account's own room (about 38,000 shares at 100) is far above 5% of it.
    """
    issued: IssuedSecret = services.senders.create(
        unique("Cerebro E2E"), rate_limit_per_minute=6000
    )
    strategy_id, account, symbol = unique("brain"), unique("ACCT"), unique("SYM").upper()
    operations = services.operations
    operations.set_account(
        account,
        broker="IB",
        base_currency="USD",
        equity=Decimal(100_000),
        cash=Decimal(100_000),
        margin_used=Decimal(0),
    )
    services.strategies.create(
        strategy_id,
        StrategyChanges(
            name="Brain",
            status=StrategyStatus.ACTIVE,
            trading_mode=TradingMode.LIVE,
            account=account,
            sender_ids=(issued.sender.sender_id,),
        ),
    )
    operations.set_instrument(
        symbol,
        asset_class=AssetClass.STOCK,
        currency="USD",
        tick_size=Decimal("0.01"),
        lot_size=Decimal(1),
        margin_rate=Decimal("0.01"),
    )
    value_every_account(services)
    # The session's stack is shared: earlier tests' strategies may still hold positions.
    services.allocations.set_custom({strategy_id: Decimal(5)}, approved_by="test", allow_close=True)
    return {"sender": issued, "strategy_id": strategy_id, "account": account, "symbol": symbol}


def post_alert(stack: Stack, desk: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    sender = desk["sender"]
    fired = (datetime.now(UTC) - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    alert = tradingview_alert(
        **{
            "strategy_id": desk["strategy_id"],
            "ticker": desk["symbol"],
            "price": "100",
            "timenow": fired,
        }
        | overrides
    )
    url = f"{stack.ingest_url}/webhook/{sender.sender.sender_id}/{sender.secret}"
    status, _, answer = http_post(url, json.dumps(alert).encode())
    assert status == 202, answer
    return answer


def wait_for_decision(services: Any, signal_id: str, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stored = services.decision_store.get(signal_id)
        if stored is not None and (stored.published or not stored.messages):
            return stored
        time.sleep(0.05)
    raise AssertionError(f"no decision for {signal_id} within {timeout} s")


def wait_for_order_state(services: Any, order_id: str, state: str, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = services.execution_store.order(order_id)
        if record is not None and record.state.value == state:
            return record
        time.sleep(0.05)
    raise AssertionError(f"{order_id} did not reach {state} within {timeout} s")


def test_webhook_becomes_a_sized_order_on_the_orders_topic(
    stack: Stack, services: Any, desk: dict[str, Any], order_receiver: Receiver
) -> None:
    answer = post_alert(stack, desk)

    stored = wait_for_decision(services, answer["signal_id"])
    [delivery] = order_receiver.wait_for(f"{answer['signal_id']}_ORD")

    decision = stored.decision
    assert decision.status.value == "APPROVED"
    [order] = decision.orders
    fund = fund_equity(decision)
    # The fund is every account on the stack: the desk's 100,000 and the simulated IB Gateway's.
    assert fund > Decimal(100_000) + Decimal(2_000_000)
    assert (order.side.value, order.quantity) == ("BUY", shares(fund, percent=5, price=100))
    assert delivery["data"] == stored.messages[0].data.decode()
    assert delivery["ordering_key"] == f"{desk['account']}/{desk['symbol']}"
    assert delivery["attributes"]["purpose"] == "ENTRY"
    assert delivery["decoded"]["account"] == desk["account"]
    [stored_order] = services.decision_store.list_orders(
        strategy_id=desk["strategy_id"], account=None, limit=5
    )
    assert stored_order.published_at is not None
    # The bridge executes only accounts it is configured for; this one it refuses, with why.
    refused = wait_for_order_state(services, stored_order.order_id, "REJECTED")
    assert f"account {desk['account']} is not traded at IB" in (refused.reason or "")


def test_redeliveries_and_out_of_order_repeats_make_one_decision_and_the_same_orders(
    stack: Stack, services: Any, desk: dict[str, Any], order_receiver: Receiver
) -> None:
    first = post_alert(stack, desk)
    second = post_alert(
        stack,
        desk,
        action="sell",
        market_position="flat",
        market_position_size="0",
        prev_market_position="long",
        prev_market_position_size="1",
        position_size="0",
        time="2026-11-20T15:00:00Z",
    )
    decided = [wait_for_decision(services, s["signal_id"]) for s in (first, second)]
    messages = [services.signal_store.get(s["signal_id"]).message.encode() for s in (first, second)]
    cerebro_url = stack.info["function_urls"]["cerebro"]

    key = f"replay/{unique('k')}"
    for data in [messages[1], messages[0], messages[1], messages[0], messages[1], messages[0]]:
        services.publisher.publish(
            EncodedMessage("signals", data, {"replay": "yes"}, key), timeout=5
        )
    for data in (messages[0], messages[0], messages[0]):
        push_message(cerebro_url, "same-message-id-1", data)
    # A new signal on the same ordering key reaches Cerebro only after the replays before it.
    marker = _a_signal_message(services, desk)
    services.publisher.publish(EncodedMessage("signals", marker, {}, key), timeout=5)
    wait_for_decision(services, decode_as(marker, Signal).id)

    for signal, before in zip((first, second), decided, strict=True):
        after = services.decision_store.get(signal["signal_id"])
        assert after.decision == before.decision
        assert after.messages == before.messages
    decisions = services.decision_store.list(strategy_id=desk["strategy_id"], limit=20)
    assert len(decisions) == 3  # The two, and the marker.
    deliveries = order_receiver.wait_for(f"{first['signal_id']}_ORD")
    assert len(deliveries) == 1


def test_temporary_publish_failure_retries_with_the_same_order_bytes(
    services: Any, desk: dict[str, Any]
) -> None:
    signal = _a_signal_message(services, desk)
    event = PubSubEvent("m-1", signal, datetime.now(UTC), {})
    failing = FakePublisher()
    failing.failing = True
    working = FakePublisher()

    def cerebro(publisher: FakePublisher) -> CerebroService:
        return CerebroService(
            store=services.decision_store,
            alerts=services.alerts,
            publisher=publisher,
            clock=services.clock,
            settings=services.settings.cerebro,
        )

    with pytest.raises(TemporaryError):
        cerebro(failing).handle(event)
    pending = services.decision_store.get(decode(signal).id)
    cerebro(working).handle(PubSubEvent("m-2", signal, datetime.now(UTC), {}))
    cerebro(working).handle(event)

    assert pending.published is False
    assert [m.data for m in working.messages] == [m.data for m in pending.messages]
    assert services.decision_store.get(decode(signal).id).published is True


def test_an_approved_allocation_or_a_halt_applies_to_the_very_next_signal(
    stack: Stack, services: Any, desk: dict[str, Any]
) -> None:
    strategy_id = desk["strategy_id"]
    services.allocations.set_custom({strategy_id: Decimal(0)}, approved_by="test")
    unallocated = wait_for_decision(
        services, post_alert(stack, desk, time="2026-11-20T10:00:00Z")["signal_id"]
    )
    services.allocations.set_custom({strategy_id: Decimal(2)}, approved_by="test")
    allocated = wait_for_decision(
        services, post_alert(stack, desk, time="2026-11-20T10:01:00Z")["signal_id"]
    )
    services.operations.set_risk(
        RiskState.HALTED, strategy_id=strategy_id, reason="test", set_by="test"
    )
    halted = post_alert(stack, desk, time="2026-11-20T10:02:00Z")

    assert unallocated.decision.reasons[0].value == "NO_ALLOCATION"
    assert allocated.decision.orders[0].quantity == shares(
        fund_equity(allocated.decision), percent=2, price=100
    )
    assert (
        wait_for_decision(services, halted["signal_id"]).decision.reasons[-1].value
        == "TRADING_HALTED"
    )


def test_a_signal_that_breaks_the_contract_is_alerted_and_acknowledged(
    stack: Stack, services: Any
) -> None:
    message_id = unique("junk")
    status = push_message(stack.info["function_urls"]["cerebro"], message_id, b'{"schema": "nope"}')

    alerts = services.alerts.list(limit=50)
    assert status == 200
    assert f"message-{message_id}_BAD_CONTRACT" in [a.alert_id for a in alerts]


def test_cerebros_critical_alerts_reach_telegram_once_and_can_be_acknowledged(
    stack: Stack, services: Any, desk: dict[str, Any]
) -> None:
    strategy_id = desk["strategy_id"]
    services.operations.set_position(desk["account"], strategy_id, desk["symbol"], Decimal(10))
    services.operations.set_risk(RiskState.HALTED, strategy_id=strategy_id, reason="t", set_by="t")
    exit_fields = {
        "action": "sell",
        "market_position": "flat",
        "market_position_size": "0",
        "prev_market_position": "long",
        "prev_market_position_size": "10",
        "position_size": "0",
    }

    answer = post_alert(stack, desk, time="2026-11-20T11:00:00Z", **exit_fields)
    decision = wait_for_decision(services, answer["signal_id"]).decision
    alert_id = f"{answer['signal_id']}_EXIT_BLOCKED"
    texts = until(
        lambda: [t for t in telegram_messages(stack) if alert_id in t], what="the Telegram alert"
    )
    acknowledged = mats(stack, "alerts", "ack", alert_id, "--by", "ops")
    outstanding = mats(stack, "alerts", "list", "--outstanding", "--limit", "500")

    assert [a.kind for a in decision.alerts] == ["EXIT_BLOCKED"]
    assert len(texts) == 1
    assert texts[0].startswith("🚨 CRITICAL EXIT_BLOCKED")
    assert acknowledged[0]["acknowledged_by"] == "ops"
    assert alert_id not in [a["alert_id"] for a in outstanding]


def test_the_accountings_loss_since_the_trading_day_began_sets_the_strategy_reducing(
    stack: Stack, services: Any, desk: dict[str, Any]
) -> None:
    strategy_id = desk["strategy_id"]
    services.strategies.update(strategy_id, StrategyChanges(max_daily_loss=Decimal(5000)))
    now = datetime.now(UTC)
    day_start = trading_day_start(now, services.settings.cerebro.trading_day_start)
    Documents(services.firestore, STRATEGY_DAY_PNL, StrategyDayPnl).put(
        strategy_id,
        StrategyDayPnl(
            strategy_id=strategy_id,
            trading_day=day_start.date(),
            day_start=day_start,
            pnl=Decimal(-6000),
            realized=Decimal(-500),
            unrealized=Decimal(-5400),
            commissions=Decimal(100),
            as_of=now,
        ),
    )

    answer = post_alert(stack, desk, time="2026-11-20T12:00:00Z")
    decision = wait_for_decision(services, answer["signal_id"]).decision

    assert [r.value for r in decision.reasons] == ["DAILY_LOSS_LIMIT", "REDUCING_ONLY"]
    assert decision.orders == ()
    used = decision.input("daily_pnl")
    assert used is not None
    assert used.source.startswith(f"strategy_day_pnl/{strategy_id} (realised + unrealised since")
    assert Decimal(str(used.value)) == Decimal(-6000)
    risk = {r.scope: r.state for r in services.operations.list_risk()}
    assert risk[f"strategy:{strategy_id}"] is RiskState.REDUCING


def test_the_order_carries_the_mid_of_the_quote_it_was_decided_on(
    stack: Stack, services: Any, desk: dict[str, Any], order_receiver: Receiver
) -> None:
    services.operations.set_quote(desk["symbol"], bid=Decimal("99.9"), ask=Decimal("100.1"))

    answer = post_alert(stack, desk, time="2026-11-20T13:00:00Z")
    [delivery] = order_receiver.wait_for(f"{answer['signal_id']}_ORD")
    decision = wait_for_decision(services, answer["signal_id"]).decision

    assert decision.orders[0].decision_mid == Decimal(100)
    assert Decimal(json.loads(delivery["data"])["decision_mid"]) == Decimal(100)


def _a_signal_message(services: Any, desk: dict[str, Any]) -> bytes:
    signal = Signal(
        id=unique(desk["strategy_id"]),
        created_at=datetime.now(UTC),
        strategy_id=desk["strategy_id"],
        sender_id=desk["sender"].sender.sender_id,
        source_format="mats",
        symbol=desk["symbol"],
        intent=Intent.ENTRY_LONG,
        trading_mode=TradingMode.LIVE,
        account=desk["account"],
        side=Side.BUY,
        price=Decimal(100),
        previous=Position(PositionSide.FLAT, Decimal(0)),
    )
    return encode(to_message(signal)).data
