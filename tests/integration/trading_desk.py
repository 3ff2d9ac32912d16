"""A sender, a LIVE strategy at the simulated IB Gateway and fresh stocks to trade, on any stack,
plus what the crash tests count: signals, decisions, orders at the venue, fills, positions."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from mats.domain.execution.states import OrderState
from mats.domain.market import AssetClass
from mats.domain.orders import Order
from mats.domain.signals.records import OutboxState, SignalStatus
from mats.domain.strategies import StrategyStatus
from mats.domain.trading import TradingMode
from mats.services.registry import IssuedSecret, StrategyChanges
from tests import builders
from tests.builders import tradingview_alert
from tests.conftest import Stack, unique
from tests.integration.stack_control import wait_for
from tests.integration.trading import control

ACCOUNT = "IBKR_Main"
PRICE = 50


@dataclass(frozen=True)
class Desk:
    sender: IssuedSecret
    strategy_id: str


def open_desk(stack: Stack, services: Any) -> Desk:
    """A LIVE strategy on the IB-mapped account with 1% of the fund."""
    wait_for(lambda: any(a.account == ACCOUNT for a in services.trading_state.list_accounts()))
    sender = services.senders.create(unique("Crash desk"), rate_limit_per_minute=6000)
    strategy_id = unique("crash")
    services.strategies.create(
        strategy_id,
        StrategyChanges(
            name=strategy_id,
            status=StrategyStatus.ACTIVE,
            trading_mode=TradingMode.LIVE,
            account=ACCOUNT,
            max_position_size=Decimal(1000),
            sender_ids=(sender.sender.sender_id,),
        ),
    )
    services.allocations.set_custom({strategy_id: Decimal(1)}, approved_by="test")
    return Desk(sender, strategy_id)


def new_stocks(stack: Stack, services: Any, count: int) -> list[str]:
    """Stocks nobody has traded: one per alert, so each entry's outcome stands on its own."""
    symbols = ["X" + unique("").strip("-").upper()[:6] for _ in range(count)]
    for symbol in symbols:
        services.operations.set_instrument(
            symbol,
            asset_class=AssetClass.STOCK,
            currency="USD",
            tick_size=Decimal("0.01"),
            lot_size=Decimal(1),
            margin_rate=Decimal("0.25"),
        )
    control(stack, "/prices", dict.fromkeys(symbols, PRICE))
    return symbols


def entry_alert(desk: Desk, symbol: str) -> bytes:
    fired = (datetime.now(UTC) - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    alert = tradingview_alert(
        strategy_id=desk.strategy_id, ticker=symbol, price=str(PRICE), timenow=fired
    )
    return json.dumps(alert).encode()


def webhook_url(stack: Stack, desk: Desk) -> str:
    return f"{stack.ingest_url}/webhook/{desk.sender.sender.sender_id}/{desk.sender.secret}"


def post(url: str, body: bytes) -> tuple[int | None, Any]:
    """POST once: (status, JSON answer), or (None, the error) when nothing answered."""
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw) if raw else None
        except ValueError:
            return error.code, raw.decode(errors="replace")
    except (urllib.error.URLError, OSError) as error:
        return None, str(error)


def venue_orders(stack: Stack) -> list[dict[str, Any]]:
    orders: list[dict[str, Any]] = control(stack, "/state", method="GET")["orders"]
    return orders


@dataclass
class Figures:
    """What one crash test counted, printed so a run shows its evidence."""

    alerts: int = 0
    accepted: int = 0
    decisions: int = 0
    orders: int = 0
    venue_orders: int = 0
    fills: int = 0
    filled_quantity: Decimal = Decimal(0)
    position_quantity: Decimal = Decimal(0)
    doubled: int = 0
    lost: int = 0
    retried_posts: int = 0

    def line(self, label: str) -> str:
        return (
            f"{label}: {self.alerts} alerts, {self.accepted} accepted signals, "
            f"{self.decisions} decisions, {self.orders} orders, {self.venue_orders} at the venue, "
            f"{self.fills} fills ({self.filled_quantity} units), positions {self.position_quantity}"
            f" units; {self.lost} lost, {self.doubled} doubled; {self.retried_posts} posts retried"
        )


def account_for(stack: Stack, services: Any, desk: Desk, symbols: list[str]) -> Figures:
    """Count every signal, decision, order, venue order, fill and position of ``symbols``."""
    figures = Figures(alerts=len(symbols))
    signals = services.signal_store.list(
        strategy_id=desk.strategy_id, sender_id=None, status=None, limit=1000
    )
    mine = [s for s in signals if s.symbol in symbols]
    accepted = [s for s in mine if s.status is SignalStatus.ACCEPTED]
    figures.accepted = len(accepted)
    figures.doubled += sum(n - 1 for n in Counter(s.symbol for s in mine).values())
    at_venue = Counter(o["order_ref"] for o in venue_orders(stack))
    fills = services.execution_store.list_fills(
        strategy_id=desk.strategy_id, account=None, limit=1000
    )
    for signal in accepted:
        stored = services.decision_store.get(signal.signal_id)
        if stored is None:
            figures.lost += 1
            continue
        figures.decisions += 1
        for order in stored.decision.orders:
            figures.orders += 1
            record = services.execution_store.order(order.id)
            references = [ref for ref in at_venue if ref.split("~", 1)[0] == order.id]
            sent = sum(at_venue[ref] for ref in references)
            figures.venue_orders += sent
            figures.doubled += max(sent - 1, 0)
            booked = [f for f in fills if f.order_id == order.id]
            figures.fills += len(booked)
            quantity = sum((f.quantity for f in booked), Decimal(0))
            figures.filled_quantity += quantity
            if record is None or record.state is not OrderState.FILLED or sent == 0:
                figures.lost += 1
            if quantity != order.quantity:
                figures.doubled += quantity > order.quantity
                figures.lost += quantity < order.quantity
    for symbol in symbols:
        held = services.execution_store.position(ACCOUNT, desk.strategy_id, symbol)
        figures.position_quantity += held.quantity if held is not None else Decimal(0)
    return figures


def all_published(services: Any, desk: Desk) -> bool:
    """No accepted signal of the desk still waits in the outbox."""
    signals = services.signal_store.list(
        strategy_id=desk.strategy_id, sender_id=None, status=SignalStatus.ACCEPTED, limit=1000
    )
    return all(s.outbox_state is not OutboxState.PENDING for s in signals)


def direct_order(desk: Desk, symbol: str, quantity: int) -> Order:
    """An entry order as Cerebro would publish it, for a marker behind the order under test."""
    order_id = unique("marker").replace("-", "_") + "_ORD"
    return builders.an_order(
        order_id,
        created_at=datetime.now(UTC),
        strategy_id=desk.strategy_id,
        account=ACCOUNT,
        symbol=symbol,
        quantity=Decimal(quantity),
        reference_price=Decimal(PRICE),
    )


def order_reaches(services: Any, order_id: str, state: OrderState, timeout: float = 60) -> Any:
    def reached() -> Any:
        record = services.execution_store.order(order_id)
        return record if record is not None and record.state is state else None

    return wait_for(reached, timeout, f"{order_id} {state.value}")


def all_orders_ended(services: Any, desk: Desk, symbols: list[str]) -> bool:
    """The bridge's marker: every order decided for these stocks has reached an end state."""
    signals = services.signal_store.list(
        strategy_id=desk.strategy_id, sender_id=None, status=SignalStatus.ACCEPTED, limit=1000
    )
    for signal in (s for s in signals if s.symbol in symbols):
        stored = services.decision_store.get(signal.signal_id)
        if stored is None:
            return False
        for order in stored.decision.orders:
            record = services.execution_store.order(order.id)
            if record is None or not record.state.ended:
                return False
    return True
