"""The simulated broker: order lifecycle, matching against the price feed, executions.

The engine knows nothing of sockets. Everything a client should hear about is handed to the
``emit`` callback as an event the moment it happens, with a snapshot of the order's state.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Callable
from datetime import datetime

from mats.localstack.ib_gateway.book import OrderBook
from mats.localstack.ib_gateway.catalog import Catalog, Instrument
from mats.localstack.ib_gateway.events import (
    Event,
    Identity,
    MarginImpact,
    OrderError,
    OrderUpdate,
    PositionChanged,
    WhatIfResult,
)
from mats.localstack.ib_gateway.ledger import Ledger
from mats.localstack.ib_gateway.matching import decide, slices
from mats.localstack.ib_gateway.model import (
    QUANTITY_EPSILON,
    Execution,
    ExecutionFilter,
    OrderSnapshot,
    OrderStatus,
    OrderTicket,
    Settings,
    SimOrder,
)
from mats.localstack.ib_gateway.orders import (
    REJECTED,
    Refusal,
    apply_modification,
    build_order,
    refusal,
)
from mats.localstack.ib_gateway.prices import PriceBook

_log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Schedule = Callable[[float, Callable[[], None]], object]


class Engine:
    """Accept, match, fill and cancel orders; keep the day's executions."""

    def __init__(
        self,
        *,
        catalog: Catalog,
        ledger: Ledger,
        prices: PriceBook,
        settings: Settings,
        clock: Clock,
        schedule: Schedule,
        emit: Callable[[Event], None],
        identity: Identity,
        next_valid_id: int = 1,
    ) -> None:
        self._catalog = catalog
        self._ledger = ledger
        self._prices = prices
        self._settings = settings
        self._clock = clock
        self._schedule = schedule
        self._emit = emit
        self._identity = identity
        self._next_valid_id = next_valid_id
        self._next_perm_id = identity.perm_id_base
        self._exec_sequence = 0
        self._book = OrderBook()
        self._executions: list[Execution] = []
        self._rejections: deque[str] = deque()

    @property
    def next_valid_id(self) -> int:
        """Return the order id ``nextValidId`` announces."""
        return self._next_valid_id

    @property
    def orders(self) -> list[SimOrder]:
        """Return every order of the day, in placement order."""
        return self._book.orders

    @property
    def executions(self) -> list[Execution]:
        """Return every execution of the day, oldest first."""
        return list(self._executions)

    def restore_executions(self, executions: list[Execution]) -> None:
        """Take back the day's executions a previous run of the gateway kept."""
        self._executions = list(executions)

    def place(self, client_id: int, ticket: OrderTicket) -> None:
        """Handle ``placeOrder``: a new order, or a modification if the id is already working."""
        existing = self._book.get(client_id, ticket.order_id)
        if existing is not None and not ticket.what_if:
            self._modify(existing, ticket)
            return
        instrument = self._catalog.resolve_one(ticket.contract)
        if instrument is None:
            message = "No security definition has been found for the request"
            self._emit(OrderError(client_id, ticket.order_id, 200, message))
            return
        account = self._account_for(client_id, ticket)
        if account is None:
            return
        if ticket.what_if:
            self._what_if(client_id, ticket, instrument, account)
            return
        found = refusal(ticket, instrument, self._clock())
        if (
            found is None
            and ticket.parent_id
            and self._book.get(client_id, ticket.parent_id) is None
        ):
            found = Refusal(REJECTED, f"Parent order {ticket.parent_id} not found")
        if found is None and self._rejections:
            found = Refusal(REJECTED, self._rejections.popleft())
        try:
            order = build_order(
                ticket,
                instrument,
                client_id=client_id,
                perm_id=self._take_perm_id(),
                account=account,
            )
        except ValueError:
            # Only a refused ticket (an unparsable good-till date) cannot become an order.
            order = None
        if order is None or found is not None:
            self._refuse(client_id, ticket.order_id, order, found or Refusal(REJECTED, "invalid"))
            return
        parent = self._book.parent(order)
        order.parent_perm_id = parent.perm_id if parent is not None else 0
        self._register(order)
        if ticket.transmit:
            self._transmit_group(order)

    def cancel(self, client_id: int, order_id: int) -> None:
        """Handle ``cancelOrder``."""
        order = self._book.get(client_id, order_id)
        if order is None:
            message = f"OrderId {order_id} that needs to be cancelled is not found."
            self._emit(OrderError(client_id, order_id, 10147, message))
        elif order.status.done:
            message = (
                f"OrderId {order_id} that needs to be cancelled cannot be cancelled, "
                f"state: {order.status.value}."
            )
            self._emit(OrderError(client_id, order_id, 10148, message))
        else:
            self._cancel(order, by_client=True, reason="Cancelled by client")

    def cancel_all(self) -> None:
        """Handle ``reqGlobalCancel``: cancel every working order of every client."""
        for order in self._book.orders:
            self._cancel(order, by_client=True, reason="Global cancel")

    def prices_changed(self, keys: set[str]) -> None:
        """Re-match working orders on instruments whose price moved."""
        for order in self._book.orders:
            if order.instrument.price_key in keys:
                self._evaluate(order)

    def expire(self, now: datetime) -> None:
        """Cancel GTD orders whose good-till time has passed."""
        for order in self._book.orders:
            expired = order.good_till is not None and order.good_till <= now
            if expired and not order.status.done:
                self._cancel(order, by_client=False, reason="Good till date expired")

    def fill_held(
        self, *, order_ref: str = "", perm_id: int = 0, quantity: float | None = None
    ) -> list[SimOrder]:
        """Fill held remainders (partial-fill hold mode) of the matching working orders."""
        held = [
            order
            for order in self._book.orders
            if order.holding
            and not order.status.done
            and ((order_ref and order.order_ref == order_ref) or order.perm_id == perm_id)
        ]
        if not held:
            raise LookupError("no working order with a held remainder matches")
        for order in held:
            price = decide(order, self._prices.price_of(order.instrument)).fill_price
            if price is None:
                raise ValueError(f"order {order.perm_id} is not marketable at the current price")
            amount = min(quantity or order.remaining, order.remaining)
            order.holding = order.remaining - amount > QUANTITY_EPSILON
            self._execute(order, amount, price)
        return held

    def reject_next(self, reason: str) -> None:
        """Make the next new order fail with error 201 and ``reason``."""
        self._rejections.append(reason)

    def restart(self, next_valid_id: int) -> None:
        """Simulate a gateway restart: forget finished order ids and roll the id counter back."""
        self._book.forget_finished()
        self._next_valid_id = next_valid_id

    def reset(self, next_valid_id: int) -> None:
        """Forget every order, execution and pending rejection (ids keep increasing)."""
        self._book.clear()
        self._executions.clear()
        self._rejections.clear()
        self._next_valid_id = next_valid_id

    def open_orders(self, client_id: int | None = None) -> list[SimOrder]:
        """Return working orders, of one client or of all."""
        return self._book.open_orders(client_id)

    def completed_orders(self) -> list[SimOrder]:
        """Return the day's filled and cancelled orders (not rejected ones)."""
        return self._book.completed()

    def executions_matching(self, query: ExecutionFilter) -> list[Execution]:
        """Return the day's executions that pass a ``reqExecutions`` filter."""
        return [execution for execution in self._executions if query.matches(execution)]

    def _account_for(self, client_id: int, ticket: OrderTicket) -> str | None:
        if ticket.account:
            if self._ledger.has(ticket.account):
                return ticket.account
            found = Refusal(REJECTED, f"Account {ticket.account} is not managed by this gateway")
            self._emit(OrderError(client_id, ticket.order_id, found.code, found.message))
            return None
        codes = self._ledger.codes
        if len(codes) == 1:
            return codes[0]
        message = "You must specify an allocation (either a single account, group, or profile)."
        self._emit(OrderError(client_id, ticket.order_id, 436, message))
        return None

    def _take_perm_id(self) -> int:
        self._next_perm_id += 1
        return self._next_perm_id

    def _register(self, order: SimOrder) -> None:
        self._book.add(order)
        self._next_valid_id = max(self._next_valid_id, order.order_id + 1)
        _log.info(
            "order placed",
            extra={
                "event": "order_placed",
                "order_ref": order.order_ref,
                "order_id": order.order_id,
                "perm_id": order.perm_id,
                "client_id": order.client_id,
                "account": order.account,
                "symbol": order.instrument.local_symbol,
                "action": order.action,
                "quantity": order.quantity,
                "order_type": order.order_type,
                "limit_price": order.limit_price,
                "stop_price": order.stop_price,
                "tif": order.tif,
                "parent_id": order.parent_id,
                "transmit": order.transmit,
            },
        )

    def _refuse(
        self, client_id: int, order_id: int, order: SimOrder | None, found: Refusal
    ) -> None:
        if order is not None:
            self._register(order)
            order.status = OrderStatus.CANCELLED
            order.reject_reason = found.reason
            order.completed_time = _completed_time(self._clock())
            order.completed_status = "Rejected"
        advanced = json.dumps({"code": found.code, "reason": found.reason})
        self._emit(OrderError(client_id, order_id, found.code, found.message, advanced))
        _log.warning(
            "order rejected",
            extra={
                "event": "order_rejected",
                "order_ref": order.order_ref if order else "",
                "order_id": order_id,
                "client_id": client_id,
                "code": found.code,
                "reason": found.reason,
            },
        )

    def _modify(self, order: SimOrder, ticket: OrderTicket) -> None:
        if order.status.done:
            code, message = (
                (104, "Can't modify a filled order.")
                if order.status == OrderStatus.FILLED
                else (103, "Duplicate order id")
            )
            self._emit(OrderError(order.client_id, order.order_id, code, message))
            return
        found = refusal(ticket, order.instrument, self._clock())
        if found is None and ticket.quantity < order.filled:
            found = Refusal(REJECTED, "The new quantity is below the filled quantity")
        if found is not None:
            # A refused modification leaves the working order as it was.
            self._emit(OrderError(order.client_id, order.order_id, found.code, found.message))
            return
        apply_modification(order, ticket)
        _log.info(
            "order modified",
            extra={
                "event": "order_modified",
                "order_ref": order.order_ref,
                "perm_id": order.perm_id,
                "quantity": order.quantity,
                "limit_price": order.limit_price,
                "stop_price": order.stop_price,
            },
        )
        if not order.transmitted:
            if ticket.transmit:
                self._transmit_group(order)
            return
        self._emit(OrderUpdate(order, OrderSnapshot.of(order), announce=True))
        self._evaluate_soon(order)

    def _what_if(
        self, client_id: int, ticket: OrderTicket, instrument: Instrument, account: str
    ) -> None:
        found = refusal(ticket, instrument, self._clock())
        if found is not None:
            self._emit(OrderError(client_id, ticket.order_id, found.code, found.message))
            return
        order = build_order(ticket, instrument, client_id=client_id, perm_id=0, account=account)
        values = self._ledger.values(account)
        notional = ticket.quantity * self._prices.price_of(instrument) * instrument.multiplier
        commission = self._settings.commission(instrument, ticket.quantity)
        impact = MarginImpact(
            initial_before=values["InitMarginReq"],
            maintenance_before=values["MaintMarginReq"],
            equity_before=values["EquityWithLoanValue"],
            initial_change=self._settings.initial_margin_rate * notional,
            maintenance_change=self._settings.maintenance_margin_rate * notional,
            equity_change=-commission,
            commission=commission,
        )
        self._emit(WhatIfResult(order, impact))

    def _transmit_group(self, order: SimOrder) -> None:
        """Transmit an order with its bracket: the root and every untransmitted descendant."""
        root = self._book.root(order)
        members = [root, *self._book.descendants(root)]
        waiting = [member for member in members if not member.transmitted]
        for member in waiting:
            member.transmitted = True
            self._activate(member)
        for member in waiting:
            self._evaluate_soon(member)

    def _activate(self, order: SimOrder) -> None:
        parent = self._book.parent(order)
        if parent is not None and parent.status == OrderStatus.CANCELLED:
            self._cancel(order, by_client=False, reason="Parent order cancelled")
            return
        if parent is not None and parent.status != OrderStatus.FILLED:
            # Bracket children wait, visible but inactive, until their parent fills.
            order.status = OrderStatus.PRE_SUBMITTED
        else:
            order.status = OrderStatus.SUBMITTED
        self._emit(OrderUpdate(order, OrderSnapshot.of(order), announce=True))

    def _evaluate_soon(self, order: SimOrder) -> None:
        if self._settings.fill_delay > 0:
            self._schedule(self._settings.fill_delay, lambda: self._evaluate(order))
        else:
            self._evaluate(order)

    def _evaluate(self, order: SimOrder) -> None:
        if (
            not self._book.is_current(order)
            or order.status != OrderStatus.SUBMITTED
            or order.holding
        ):
            return
        decision = decide(order, self._prices.price_of(order.instrument))
        order.triggered = decision.triggered
        if decision.fill_price is None:
            if order.tif == "IOC":
                self._cancel(order, by_client=False, reason="Immediate or cancel not filled")
            else:
                order.resting = True
            return
        if self._settings.hold_fills:
            order.holding = True  # Working and marketable, but filled only by POST /fill.
            return
        hold = self._settings.hold_remainder
        count = max(self._settings.partial_slices, 2) if hold else self._settings.partial_slices
        parts = slices(order.remaining, count, order.instrument.size_increment)
        if hold and len(parts) > 1:
            parts = parts[:1]
            order.holding = True
        for amount in parts:
            if order.status.done:
                break
            self._execute(order, amount, decision.fill_price)
        if order.tif == "IOC" and not order.status.done:
            self._cancel(order, by_client=False, reason="Immediate or cancel remainder")

    def _execute(self, order: SimOrder, quantity: float, price: float) -> None:
        instrument = order.instrument
        commission = self._settings.commission(instrument, quantity)
        realized = self._ledger.apply(
            order.account,
            instrument,
            buy=order.is_buy,
            quantity=quantity,
            price=price,
            commission=commission,
        )
        order.filled += quantity
        order.filled_notional += quantity * price
        order.last_fill_price = price
        now = self._clock()
        if order.quantity - order.filled <= QUANTITY_EPSILON:
            order.filled = order.quantity
            order.status = OrderStatus.FILLED
            order.holding = False
            order.completed_time = _completed_time(now)
            order.completed_status = "Filled Size: " + _quantity_text(order.quantity)
        self._exec_sequence += 1
        execution = Execution(
            exec_id=f"{self._identity.exec_id_token}.{self._exec_sequence:08x}.01.01",
            time=now.replace(microsecond=0),
            account=order.account,
            instrument=instrument,
            order_id=order.order_id,
            client_id=order.client_id,
            perm_id=order.perm_id,
            side="BOT" if order.is_buy else "SLD",
            shares=quantity,
            price=price,
            cumulative_quantity=order.filled,
            average_price=order.average_fill_price,
            order_ref=order.order_ref,
            commission=commission,
            commission_currency=self._settings.commission_currency,
            realized_pnl=realized,
        )
        self._executions.append(execution)
        _log.info("order filled", extra={"event": "fill", **execution.to_json()})
        done = order.status == OrderStatus.FILLED
        self._emit(OrderUpdate(order, OrderSnapshot.of(order), execution, announce=done))
        holding = next(
            held
            for held in self._ledger.holdings(order.account)
            if held.instrument.con_id == instrument.con_id
        )
        self._emit(PositionChanged(order.account, holding))
        self._cancel_oca_siblings(order)
        if done:
            self._release_children(order)

    def _cancel(self, order: SimOrder, *, by_client: bool, reason: str) -> None:
        if order.status.done:
            return
        order.status = OrderStatus.CANCELLED
        order.holding = False
        order.completed_time = _completed_time(self._clock())
        order.completed_status = reason
        _log.info(
            "order cancelled",
            extra={
                "event": "order_cancelled",
                "order_ref": order.order_ref,
                "perm_id": order.perm_id,
                "order_id": order.order_id,
                "client_id": order.client_id,
                "reason": reason,
                "filled": order.filled,
            },
        )
        self._emit(OrderUpdate(order, OrderSnapshot.of(order)))
        if by_client:
            message = "Order Canceled - reason:"
            self._emit(OrderError(order.client_id, order.order_id, 202, message))
        for child in self._book.children(order):
            self._cancel(child, by_client=False, reason="Parent order cancelled")

    def _cancel_oca_siblings(self, order: SimOrder) -> None:
        for other in self._book.oca_siblings(order):
            self._cancel(other, by_client=False, reason=f"OCA group of {order.perm_id}")

    def _release_children(self, parent: SimOrder) -> None:
        for child in self._book.children(parent):
            if child.transmitted and child.status == OrderStatus.PRE_SUBMITTED:
                child.status = OrderStatus.SUBMITTED
                self._emit(OrderUpdate(child, OrderSnapshot.of(child), announce=True))
                self._evaluate_soon(child)


def _completed_time(moment: datetime) -> str:
    return moment.strftime("%Y%m%d %H:%M:%S UTC")


def _quantity_text(quantity: float) -> str:
    value = float(quantity)
    return str(int(value)) if value.is_integer() else repr(value)
