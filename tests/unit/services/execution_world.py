"""A scriptable venue and the bridge's execution services over in-memory fakes."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from mats.contracts import FillV1, decode, from_message
from mats.domain.accounting import AccountState
from mats.domain.execution.states import OrderState
from mats.domain.market import FxRate
from mats.domain.orders import Fill, Order
from mats.domain.trading import OrderPurpose, Side
from mats.domain.venues import (
    OrderRejectedError,
    VenueAccount,
    VenueFill,
    VenueOrderReport,
    VenueRate,
    VenueStatus,
)
from mats.errors import TemporaryError
from mats.services.bridge import Bridge, assemble_bridge
from mats.services.execution.accounts import AccountPublisher
from mats.services.execution.booking import FillBooking
from mats.services.execution.router import VenueRouter
from mats.services.execution.submission import OrderSubmission
from mats.services.execution.venues import VenueWatch
from tests import builders
from tests.fakes import (
    FakeClock,
    FakePublisher,
    InMemoryAlertStore,
    InMemoryExecutionStore,
    RecordingNotifier,
    alert_service,
)

NOW = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)


class FakeVenue:
    """A scriptable venue: each placed reference fills, rests, is refused or times out."""

    def __init__(self, clock: FakeClock, *, native_brackets: bool = False) -> None:
        self.native_brackets = native_brackets
        self.clock = clock
        self.orders: dict[str, VenueOrderReport] = {}
        self.placed: list[Order] = []
        self.cancelled: list[str] = []
        self.script: list[str] = []  # outcomes for the next places; default "fill"
        self.status_now = VenueStatus(connected=True, accepting_orders=True)
        self.price = Decimal(100)
        self.fx_rates: tuple[VenueRate, ...] = ()  # The account's ExchangeRate values.
        self._executions = itertools.count(1)

    def place(self, order: Order) -> VenueOrderReport:
        outcome = self.script.pop(0) if self.script else "fill"
        if outcome == "reject":
            raise OrderRejectedError(order.id, "insufficient margin")
        if outcome == "lost":
            raise TemporaryError("timed out before the venue saw it")
        self.placed.append(order)
        self.orders[order.id] = VenueOrderReport(order.id, OrderState.ACCEPTED)
        if outcome in ("fill", "timeout-after-fill"):
            self.fill(order.id, order.quantity, side=order.side)
        elif outcome == "partial-then-cancel":
            self.fill(order.id, order.quantity / 2, side=order.side)
            report = self.orders[order.id]
            self.orders[order.id] = dataclasses.replace(
                report, state=OrderState.CANCELLED, reason="IOC remainder cancelled"
            )
        if outcome == "timeout-after-fill":
            raise TemporaryError("the answer was lost")
        return self.orders[order.id]

    def fill(self, reference: str, quantity: Decimal, *, side: Side | None = None) -> None:
        report = self.orders[reference]
        order = next(o for o in self.placed if o.id == reference)
        fill = VenueFill(
            execution_id=f"E{next(self._executions)}",
            order_id=reference,
            account=order.account,
            symbol=order.symbol,
            side=side or order.side or Side.BUY,
            quantity=quantity,
            price=self.price,
            at=self.clock.now(),
            commission=Decimal(1),
            commission_currency="USD",
        )
        filled = report.filled_quantity + quantity
        self.orders[reference] = dataclasses.replace(
            report,
            state=OrderState.FILLED if filled >= order.quantity else OrderState.PARTIALLY_FILLED,
            filled_quantity=filled,
            average_price=self.price,
            fills=(*report.fills, fill),
        )

    def lookup(self, order_id: str, *, symbol: str | None = None) -> VenueOrderReport | None:
        return self.orders.get(order_id)

    def cancel(self, order_id: str, *, symbol: str | None = None) -> VenueOrderReport | None:
        self.cancelled.append(order_id)
        report = self.orders.get(order_id)
        if report is None or report.state.ended:
            return report
        self.orders[order_id] = dataclasses.replace(report, state=OrderState.CANCELLED)
        return self.orders[order_id]

    def executions(self, since: datetime) -> Sequence[VenueFill]:
        return [f for report in self.orders.values() for f in report.fills if f.at >= since]

    def account(self, account: str) -> VenueAccount:
        return VenueAccount(
            account=account,
            currency="USD",
            equity=Decimal(100_000),
            cash=Decimal(60_000),
            margin_used=Decimal(36_000),
            as_of=self.clock.now(),
            fx_rates=self.fx_rates,
        )

    def status(self) -> VenueStatus:
        return self.status_now


class Accounts:
    def __init__(self) -> None:
        self.accounts: dict[str, AccountState] = {}

    def put_account(self, account: AccountState) -> None:
        self.accounts[account.account] = account

    def list_accounts(self) -> Sequence[AccountState]:
        return list(self.accounts.values())


class NoInstruments:
    """Market data with no instruments; keeps the FX rates stored (``failing``: refuses them)."""

    def __init__(self) -> None:
        self.fx: list[FxRate] = []
        self.failing = False

    def list_instruments(self) -> list[object]:
        return []

    def put_quote(self, quote: object) -> None:
        raise AssertionError("no quotes in these tests")

    def put_fx_rate(self, rate: FxRate) -> None:
        if self.failing:
            raise TemporaryError("Firestore is unavailable")
        self.fx.append(rate)


@dataclasses.dataclass
class World:
    bridge: Bridge
    submission: OrderSubmission
    booking: FillBooking
    accounts_out: AccountPublisher
    venues: VenueWatch
    venue: FakeVenue
    paper: FakeVenue
    store: InMemoryExecutionStore
    publisher: FakePublisher
    alerts: InMemoryAlertStore
    notifier: RecordingNotifier
    clock: FakeClock
    accounts: Accounts
    market: NoInstruments

    def position(self, strategy_id: str = "trend") -> Decimal:
        found = self.store.position("IBKR_Main", strategy_id, "AAPL")
        return found.quantity if found else Decimal(0)

    def published_fills(self) -> list[Fill]:
        decoded = [decode(m.data) for m in self.publisher.messages]
        return [from_message(m) for m in decoded if isinstance(m, FillV1)]


def a_world(*, native_brackets: bool = False, fx_feeds: Mapping[str, Any] | None = None) -> World:
    clock = FakeClock(NOW)
    venue = FakeVenue(clock, native_brackets=native_brackets)
    paper = FakeVenue(clock)
    store, publisher = InMemoryExecutionStore(), FakePublisher()
    raising, alerts, notifier = alert_service(clock)
    accounts = Accounts()
    market = NoInstruments()
    router = VenueRouter(paper, {"IB": venue}, {"IBKR_Main": "IB"})
    bridge = assemble_bridge(
        store=store,
        router=router,
        publisher=publisher,
        alerts=raising,
        accounts=accounts,
        positions=store,
        market=market,  # type: ignore[arg-type]
        clock=clock,
        fx_feeds=fx_feeds,
    )
    return World(
        bridge,
        bridge.submission,
        bridge.booking,
        bridge.accounts,
        bridge.venues,
        venue,
        paper,
        store,
        publisher,
        alerts,
        notifier,
        clock,
        accounts,
        market,
    )


def an_order(**overrides: Any) -> Order:
    fields: dict[str, Any] = {"strategy_id": "trend", "created_at": NOW}
    return builders.an_order("trend_20261120_143000_1_ORD", **{**fields, **overrides})


def an_exit(**overrides: object) -> Order:
    fields: dict[str, object] = {
        "id": "trend_20261120_143500_2_ORD",
        "signal_id": "trend_20261120_143500_2",
        "purpose": OrderPurpose.EXIT,
        "side": Side.SELL,
    }
    fields.update(overrides)
    return an_order(**fields)
