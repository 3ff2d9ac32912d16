"""MATS orders as IB contracts and orders, and IB's trades and fills read back: pure translation.

Orders carry MATS's order id in ``orderRef`` and are found again by it; nothing is keyed on IB's
orderId, which a restarted gateway can hand out again.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from datetime import UTC
from decimal import Decimal

from ib_async import (
    IB,
    ContFuture,
    Contract,
    Crypto,
    Fill,
    Forex,
    Future,
    LimitOrder,
    MarketOrder,
    Stock,
    StopLimitOrder,
    StopOrder,
    Trade,
)
from ib_async import Order as IbOrder

from mats.adapters.brokers.ib_errors import refuses_order
from mats.domain.execution.states import OrderState
from mats.domain.orders import Order
from mats.domain.trading import OrderType, Side, TimeInForce
from mats.domain.venues import VenueFill, VenueOrderReport

_STATES = {
    "PendingSubmit": OrderState.SUBMITTED,
    "ApiPending": OrderState.SUBMITTED,
    "PreSubmitted": OrderState.ACCEPTED,
    "Submitted": OrderState.ACCEPTED,
    "ApiUpdate": OrderState.ACCEPTED,
    "Filled": OrderState.FILLED,
    "Cancelled": OrderState.CANCELLED,
    "ApiCancelled": OrderState.CANCELLED,
    "Inactive": OrderState.REJECTED,
}
# Statuses of an order IB has not answered yet.
PENDING = frozenset({"PendingSubmit", "ApiPending", ""})
_TIF = {
    TimeInForce.DAY: "DAY",
    TimeInForce.GTC: "GTC",
    TimeInForce.IOC: "IOC",
    TimeInForce.FOK: "FOK",
    TimeInForce.GTD: "GTD",
}
_CONTINUOUS = re.compile(r"^(?P<root>[A-Z]+)\d*!$")


def contract_for(
    symbol: str, asset_class: str | None, currency: str, exchange: str | None
) -> Contract:
    """The contract to qualify for a MATS symbol (``ES1!`` is the continuous future)."""
    if asset_class == "FUTURE":
        continuous = _CONTINUOUS.match(symbol)
        if continuous:
            return ContFuture(continuous.group("root"), exchange or "", currency=currency)
        return Future(localSymbol=symbol, exchange=exchange or "", currency=currency)
    if asset_class == "CRYPTO":
        return Crypto(symbol.removesuffix(currency), exchange or "PAXOS", currency)
    if asset_class == "FX":
        return Forex(symbol)
    return Stock(symbol, "SMART", currency)


def ib_order(order: Order) -> IbOrder:
    """The IB order for a MATS order, under its MATS id (``orderRef``)."""
    action = "BUY" if order.side is Side.BUY else "SELL"
    quantity = float(order.quantity)
    kinds: dict[OrderType, Callable[[], IbOrder]] = {
        OrderType.MARKET: lambda: MarketOrder(action, quantity),
        OrderType.LIMIT: lambda: LimitOrder(action, quantity, float(order.limit_price or 0)),
        OrderType.STOP: lambda: StopOrder(action, quantity, float(order.stop_price or 0)),
        OrderType.STOP_LIMIT: lambda: StopLimitOrder(
            action, quantity, float(order.limit_price or 0), float(order.stop_price or 0)
        ),
    }
    placed = kinds[order.order_type]()
    placed.orderRef = order.id
    placed.tif = _TIF[order.time_in_force]
    if order.time_in_force is TimeInForce.GTD and order.expire_at is not None:
        placed.goodTillDate = order.expire_at.astimezone(UTC).strftime("%Y%m%d %H:%M:%S UTC")
    return placed


def bracket_legs(order: Order) -> list[IbOrder]:
    """Take-profit and stop-loss children, one cancelling the other (``ocaGroup``)."""
    exit_action = "SELL" if order.side is Side.BUY else "BUY"
    quantity = float(order.quantity)
    legs: list[IbOrder] = []
    group = f"OCA-{order.id}"
    if order.take_profit is not None:
        take = LimitOrder(exit_action, quantity, float(order.take_profit.price))
        take.orderRef = order.take_profit.order_id
        legs.append(take)
    if order.stop_loss is not None:
        stop = StopOrder(exit_action, quantity, float(order.stop_loss.price))
        stop.orderRef = order.stop_loss.order_id
        legs.append(stop)
    for index, leg in enumerate(legs):
        leg.tif = "GTC"
        leg.ocaGroup = group
        leg.ocaType = 1
        leg.transmit = index == len(legs) - 1  # The last child transmits the whole bracket.
    return legs


def trade_by_ref(ib: IB, order_id: str) -> Trade | None:
    """The latest trade IB knows under the MATS order id."""
    return next((t for t in reversed(ib.trades()) if t.order.orderRef == order_id), None)


def fills_by_ref(ib: IB, order_id: str) -> list[Fill]:
    return [f for f in ib.fills() if f.execution.orderRef == order_id]


def order_report(
    order_id: str, trade: Trade | None, fills: Sequence[Fill] | None = None
) -> VenueOrderReport:
    """What IB reports of an order: its trade (if IB still has it) and its fills."""
    all_fills = list(fills if fills is not None else (trade.fills if trade else []))
    venue_fills = tuple(f for f in (venue_fill(fill) for fill in all_fills) if f is not None)
    filled = sum((f.quantity for f in venue_fills), Decimal(0))
    # Fills without a trade: IB reports executions of an order it no longer lists (a restart).
    state = order_state(trade, filled) if trade is not None else OrderState.FILLED
    average = (
        sum((f.price * f.quantity for f in venue_fills), Decimal(0)) / filled if filled else None
    )
    return VenueOrderReport(
        order_id=order_id,
        state=state,
        filled_quantity=filled,
        average_price=average,
        venue_order_id=str(trade.order.permId) if trade and trade.order.permId else None,
        reason=refusal(trade),
        fills=venue_fills,
    )


def venue_fill(fill: Fill) -> VenueFill | None:
    """An execution of a MATS order (``None`` for one placed outside MATS)."""
    execution = fill.execution
    if not execution.orderRef:
        return None
    report = fill.commissionReport
    return VenueFill(
        execution_id=execution.execId,
        order_id=execution.orderRef,
        account=execution.acctNumber,
        symbol=str(fill.contract.localSymbol or fill.contract.symbol),
        side=Side.BUY if execution.side == "BOT" else Side.SELL,
        quantity=exact(execution.shares),
        price=exact(execution.price),
        at=execution.time if execution.time.tzinfo else execution.time.replace(tzinfo=UTC),
        commission=Decimal(str(report.commission)) if report and report.commission else Decimal(0),
        commission_currency=report.currency if report and report.currency else None,
        venue_order_id=str(execution.permId) if execution.permId else None,
    )


def order_state(trade: Trade, filled: Decimal) -> OrderState:
    status = trade.orderStatus.status
    if status == "Cancelled" and refusal(trade) is not None:
        return OrderState.REJECTED
    state = _STATES.get(status, OrderState.SUBMITTED)
    if state is OrderState.ACCEPTED and filled > 0:
        return OrderState.PARTIALLY_FILLED
    return state


def refusal(trade: Trade | None) -> str | None:
    """IB's words for refusing the order, if its log holds a refusal."""
    if trade is None:
        return None
    for entry in reversed(trade.log):
        if refuses_order(entry.errorCode):
            return f"IB error {entry.errorCode}: {entry.message}"
    return None


def position_symbol(contract: Contract) -> str:
    """How reconciliation keys a holding: a future by its root, a pair as base+quote."""
    if contract.secType in ("CASH", "CRYPTO"):
        return f"{contract.symbol}{contract.currency}"
    return str(contract.symbol or contract.localSymbol)


def per_unit_cost(average_cost: float, contract: Contract) -> Decimal | None:
    """IB reports a future's average cost per contract (price x multiplier); MATS per unit."""
    if not average_cost:
        return None
    multiplier = Decimal(str(contract.multiplier or 1))
    return Decimal(str(average_cost)) / multiplier


def exact(value: float) -> Decimal:
    """IB's float as the decimal it stands for (2.0 shares are 2, 190.1 is 190.1)."""
    number = Decimal(repr(float(value)))
    return number.quantize(Decimal(1)) if number == number.to_integral_value() else number


def price_or_none(value: float | None) -> Decimal | None:
    if value is None or math.isnan(value) or value <= 0:  # IB sends NaN or -1 for "none".
        return None
    return Decimal(str(value))
