"""An ``Order`` checked against the capability table and turned into ccxt's ``create_order``.

``check`` refuses what the exchange cannot take before anything is sent (and before markets are
loaded); ``build`` then formats the amount and prices with the exchange's own precision helpers.
The helpers take and return strings, so a Decimal reaches ccxt as the exact decimal string. An
amount or price that the market's step or tick would change is refused rather than rounded:
Cerebro already rounded it to the instrument, so a difference means the instrument data is stale.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Any

import ccxt  # type: ignore[import-untyped]

from mats.adapters.brokers.ccxt_capabilities import CCXT_ORDER_TYPES, ExchangeCapabilities
from mats.adapters.brokers.ccxt_errors import describe
from mats.domain.orders import Order
from mats.domain.trading import OrderAction, OrderType, Side
from mats.domain.venues import OrderRejectedError

_NEEDS_LIMIT_PRICE = frozenset({OrderType.LIMIT, OrderType.STOP_LIMIT})
_NEEDS_STOP_PRICE = frozenset({OrderType.STOP, OrderType.STOP_LIMIT})


@dataclass(frozen=True)
class CreateRequest:
    """The arguments of one ``exchange.create_order`` call."""

    symbol: str
    type: str
    side: str
    amount: str
    price: str | None
    params: dict[str, Any] = field(default_factory=dict)


def check(order: Order, exchange_id: str, capabilities: ExchangeCapabilities) -> None:
    """Raise ``OrderRejectedError`` if the exchange cannot take the order as it is."""
    reason = _refusal(order, exchange_id, capabilities)
    if reason is not None:
        raise OrderRejectedError(order.id, reason)


def _refusal(order: Order, exchange_id: str, capabilities: ExchangeCapabilities) -> str | None:
    if order.action is not OrderAction.PLACE:
        return f"{order.action.value} is not an order to place: cancel working orders one by one"
    if order.side is None or order.quantity <= 0:
        return "an order to place needs a side and a positive quantity"
    accepted = capabilities.time_in_force.get(order.order_type)
    if accepted is None:
        supported = ", ".join(sorted(t.value for t in capabilities.order_types))
        return f"{exchange_id} takes no {order.order_type.value} orders (supported: {supported})"
    if order.time_in_force not in accepted:
        supported = ", ".join(sorted(t.value for t in accepted))
        return (
            f"{exchange_id} takes no {order.time_in_force.value} {order.order_type.value} orders "
            f"(time in force supported: {supported})"
        )
    if order.order_type in _NEEDS_LIMIT_PRICE and order.limit_price is None:
        return f"a {order.order_type.value} order needs a limit price"
    if order.order_type in _NEEDS_STOP_PRICE and order.stop_price is None:
        return f"a {order.order_type.value} order needs a stop price"
    return None


def client_order_id(reference: str, capabilities: ExchangeCapabilities) -> str:
    """The exchange's client order id for a MATS order reference.

    The reference itself when the exchange takes it; otherwise (too long, or characters the
    exchange refuses) a stable digest of it, so the order is still found again by reference.
    """
    if capabilities.client_order_id_pattern.fullmatch(reference):
        return reference
    return "mats-" + hashlib.sha256(reference.encode()).hexdigest()[:27]


def build(
    order: Order,
    market: dict[str, Any],
    exchange: Any,
    capabilities: ExchangeCapabilities,
) -> CreateRequest:
    """Return the ``create_order`` arguments for a checked order on a loaded market."""
    symbol: str = market["symbol"]
    amount = _formatted(order, "quantity", order.quantity, exchange.amount_to_precision, symbol)
    params: dict[str, Any] = {"clientOrderId": client_order_id(order.id, capabilities)}
    code = capabilities.time_in_force[order.order_type][order.time_in_force]
    if code is not None:
        params["timeInForce"] = code
    price = None
    if order.order_type in _NEEDS_LIMIT_PRICE and order.limit_price is not None:
        price = _formatted(
            order, "limit price", order.limit_price, exchange.price_to_precision, symbol
        )
    if order.order_type in _NEEDS_STOP_PRICE and order.stop_price is not None:
        params["triggerPrice"] = _formatted(
            order, "stop price", order.stop_price, exchange.price_to_precision, symbol
        )
    return CreateRequest(
        symbol=symbol,
        type=CCXT_ORDER_TYPES[order.order_type],
        side="buy" if order.side is Side.BUY else "sell",
        amount=amount,
        price=price,
        params=params,
    )


def _formatted(order: Order, name: str, value: Decimal, helper: Any, symbol: str) -> str:
    try:
        # ccxt's precision helpers change the thread's decimal context (they trap Underflow):
        # keep that inside the call, away from every other Decimal of the process.
        with localcontext():
            text = str(helper(symbol, str(value)))
    except ccxt.BaseError as error:
        raise OrderRejectedError(order.id, f"{name} {value}: {describe(error)}") from error
    if Decimal(text) != value:
        raise OrderRejectedError(
            order.id, f"{name} {value} does not fit {symbol}'s precision (it would be {text})"
        )
    return text
