"""The history's orders: each alert's order, sent, executed and booked as the bridge does it.

The history makes no Cerebro decision (its signals say so): an alert's order is what the alert
asks for, as MATS orders it: ``{signal_id}_ORD``, at market, for the whole change of position,
decided at the alert's time. The bridge's part is played with the bridge's own pieces. The
record moves as ``OrderSubmission`` moves one (``attempted``, then ``progress`` for each venue
report): NEW, SUBMITTED under its own id and ACCEPTED by the venue at the alert's time (the
history has no finer clock), PARTIALLY_FILLED at a partial fill, FILLED at its last execution,
at the average price the venue reports. Each execution is booked by ``FillBooking`` into
``fills`` and ``positions``, and the ``mats.fill.v1`` it publishes goes straight to the
accounting's ``on_fill``, as the dashboard's push hands it over.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from mats.contracts import EncodedMessage, decode_as
from mats.domain.execution import records as rec
from mats.domain.execution.states import OrderState
from mats.domain.orders import Fill, Order
from mats.domain.trading import OrderAction, OrderPurpose, TradingMode
from mats.domain.venues import VenueFill, VenueOrderReport
from mats.localstack.demo_history.market import Execution, Trade
from mats.localstack.demo_history.scenario import BROKERS, INSTRUMENTS
from mats.ports import Clock, ExecutionStore
from mats.services.accounting.service import AccountingService
from mats.services.execution.booking import FillBooking
from mats.services.execution.messages import MessageOut


def history_order(trade: Trade, signal_id: str) -> Order:
    """The order an alert of the history asks for (no sizing: the alert's own quantity)."""
    strategy, spec = trade.strategy, INSTRUMENTS[trade.strategy.symbol]
    return Order(
        id=f"{signal_id}_ORD",
        created_at=trade.at,
        signal_id=signal_id,
        strategy_id=strategy.strategy_id,
        account=spec.account,
        broker=BROKERS[spec.account],
        trading_mode=TradingMode.LIVE,
        symbol=spec.symbol,
        currency=spec.currency,
        purpose=OrderPurpose.EXIT if trade.target == 0 else OrderPurpose.ENTRY,
        action=OrderAction.PLACE,
        quantity=abs(trade.target - trade.previous),
        side=trade.side,
        multiplier=spec.multiplier,
        tick_size=spec.tick,
    )


def execution_id(execution: Execution, number: int) -> str:
    """The venue's id of the history's ``number``-th execution."""
    return f"DEMO.{execution.at:%Y%m%d}.{number:05d}.01"


def venue_fill(trade: Trade, order: Order, execution: Execution, execution_id: str) -> VenueFill:
    """One execution of the trade's ``order`` as the venue reports it, with its commission."""
    spec = INSTRUMENTS[order.symbol]
    return VenueFill(
        execution_id=execution_id,
        order_id=order.id,
        account=order.account,
        symbol=order.symbol,
        side=trade.side,
        quantity=execution.quantity,
        price=execution.price,
        at=execution.at,
        commission=spec.commission(execution.quantity, execution.price),
        commission_currency=spec.currency,
    )


def venue_report(order: Order, fills: Sequence[VenueFill]) -> VenueOrderReport:
    """What the venue reports of ``order`` once it executed ``fills`` (all of them so far):
    filled so far, at their quantity-weighted average price, as IB's report reckons it."""
    filled = sum((fill.quantity for fill in fills), Decimal(0))
    average = sum((fill.price * fill.quantity for fill in fills), Decimal(0)) / filled
    state = OrderState.FILLED if filled >= order.quantity else OrderState.PARTIALLY_FILLED
    return VenueOrderReport(
        order_id=order.id,
        state=state,
        filled_quantity=filled,
        average_price=average,
        fills=tuple(fills),
    )


class HistoryBridge:
    """The bridge in the history: sends each order and applies what its venue reports."""

    def __init__(self, store: ExecutionStore, accounting: AccountingService, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        # Delivered in process, so nothing waits for a publish.
        out = MessageOut(_ToAccounting(accounting), timeout_seconds=0)
        self._booking = FillBooking(store=store, out=out, clock=clock)

    def send(self, order: Order) -> None:
        """Record the order, sent (attempt 1, under its own id) and taken by its venue."""
        now = self._clock.now()
        record, _ = rec.attempted(rec.new_record(order, now), order.broker, now)
        self._store.put_order(record)
        self.apply(VenueOrderReport(order_id=order.id, state=OrderState.ACCEPTED))

    def apply(self, report: VenueOrderReport) -> None:
        """Book the report's new fills, then move the order forward (``OrderSubmission``'s
        way with a report, without the failures the history never has)."""
        record = self._store.order(report.order_id)
        if record is None or record.venue is None:
            raise LookupError(f"the history never sent order {report.order_id}")
        for fill in report.fills:
            self._booking.book(record.order, fill, record.venue)
        step = rec.progress(record, report)
        if step is None or not step.changed:
            return
        if step.state is not None:
            now = self._clock.now()
            self._store.put_order(rec.moved(step.record, step.state, now, report.reason))
        else:
            self._store.put_order(step.record)


class _ToAccounting:
    """The ``fills`` topic in the history: its one subscriber is the accounting, which keeps
    each fill as a backfill's fact (``refresh=False``: the day's strike refreshes the views)."""

    def __init__(self, accounting: AccountingService) -> None:
        self._accounting = accounting

    def publish(self, message: EncodedMessage, *, timeout: float) -> str:
        fill = decode_as(message.data, Fill)
        message_id = f"history-{fill.id}"
        self._accounting.on_fill(fill, message_id=message_id, refresh=False)
        return message_id
