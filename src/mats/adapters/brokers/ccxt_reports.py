"""ccxt's unified order and trade structures read into MATS's venue reports.

ccxt parses every number the exchange sends as a string into a float. Each one is read back
through its shortest repr (``Decimal(repr(x))``), which gives back the exchange's own decimal for
the up to 15 significant digits exchanges send, so no binary rounding reaches MATS.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from mats.domain.execution.states import OrderState
from mats.domain.trading import Side
from mats.domain.venues import VenueFill, VenueOrderReport

_ENDED_STATES = {
    "closed": OrderState.FILLED,
    "canceled": OrderState.CANCELLED,
    "cancelled": OrderState.CANCELLED,
    "expired": OrderState.EXPIRED,
    "rejected": OrderState.REJECTED,
}
_WORKING_STATUSES = frozenset({"open", "canceling"})
_SIDES = {"buy": Side.BUY, "sell": Side.SELL}


@dataclass(frozen=True)
class OrderContext:
    """What a report needs beyond the ccxt structure: MATS's names for the order and market."""

    order_id: str
    account: str
    symbol: str
    market_id: str
    side: Side | None
    at: datetime


def decimal_or_none(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def decimal(value: object) -> Decimal:
    found = decimal_or_none(value)
    return found if found is not None else Decimal(0)


def from_millis(value: object) -> datetime | None:
    if value is None:
        return None
    millis = int(str(value))
    return datetime.fromtimestamp(millis // 1000, UTC).replace(microsecond=millis % 1000 * 1000)


def to_millis(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def side_of(value: object) -> Side | None:
    return _SIDES.get(str(value).lower()) if value is not None else None


def order_state(order: Mapping[str, Any]) -> OrderState:
    """Map ccxt's status (open/closed/canceled/expired/rejected) and fill to MATS's state."""
    status = order.get("status")
    if status in _ENDED_STATES:
        return _ENDED_STATES[status]
    if status in _WORKING_STATUSES:
        filled = decimal(order.get("filled"))
        return OrderState.PARTIALLY_FILLED if filled > 0 else OrderState.ACCEPTED
    # The venue answered with the order but no status we know: it has at least seen it.
    return OrderState.SUBMITTED


def execution_id(market_id: str, trade_id: object) -> str:
    """Binance numbers trades per market, so the market id keeps ids unique per account."""
    return f"{market_id}-{trade_id}"


def to_fill(trade: Mapping[str, Any], context: OrderContext) -> VenueFill:
    side = side_of(trade.get("side")) or context.side
    if side is None:
        raise ValueError(f"trade {trade.get('id')} of {context.order_id} has no side")
    fee = trade.get("fee") or {}
    venue_order_id = trade.get("order")
    return VenueFill(
        execution_id=execution_id(context.market_id, trade.get("id")),
        order_id=context.order_id,
        account=context.account,
        symbol=context.symbol,
        side=side,
        quantity=decimal(trade.get("amount")),
        price=decimal(trade.get("price")),
        at=from_millis(trade.get("timestamp")) or context.at,
        commission=decimal(fee.get("cost")),
        commission_currency=fee.get("currency"),
        venue_order_id=str(venue_order_id) if venue_order_id is not None else None,
    )


def to_report(
    order: Mapping[str, Any],
    context: OrderContext,
    trades: Sequence[Mapping[str, Any]] = (),
    reason: str | None = None,
) -> VenueOrderReport:
    """Read a ccxt order (with the trades known for it) into a ``VenueOrderReport``."""
    venue_order_id = str(order["id"]) if order.get("id") is not None else None
    at = from_millis(order.get("lastTradeTimestamp")) or from_millis(order.get("timestamp"))
    fill_context = OrderContext(
        order_id=context.order_id,
        account=context.account,
        symbol=context.symbol,
        market_id=context.market_id,
        side=side_of(order.get("side")) or context.side,
        at=at or context.at,
    )
    fills = tuple(
        to_fill({**trade, "order": trade.get("order") or venue_order_id}, fill_context)
        for trade in trades
    )
    filled = decimal(order.get("filled"))
    return VenueOrderReport(
        order_id=context.order_id,
        state=order_state(order),
        filled_quantity=filled,
        average_price=decimal_or_none(order.get("average")) if filled > 0 else None,
        venue_order_id=venue_order_id,
        reason=reason,
        fills=fills,
    )
