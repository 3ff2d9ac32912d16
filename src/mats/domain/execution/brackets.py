"""A bracket's stop-loss and take-profit legs: orders of their own, ids ``{entry}_SL`` / ``_TP``.

Legs only protect the position their entry opened and cancel each other (one fills, the other
goes), so limits never count them as exposure.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from mats.domain.orders import Order
from mats.domain.trading import OrderPurpose, OrderType, Side, TimeInForce

STOP_LOSS, TAKE_PROFIT = "_SL", "_TP"


def is_bracket_leg(order_id: str) -> bool:
    return order_id.endswith((STOP_LOSS, TAKE_PROFIT))


def sibling_of(leg_id: str) -> str | None:
    """The other leg of the same bracket (``None`` for an order that is not a leg)."""
    for suffix, other in ((STOP_LOSS, TAKE_PROFIT), (TAKE_PROFIT, STOP_LOSS)):
        if leg_id.endswith(suffix):
            return leg_id.removesuffix(suffix) + other
    return None


def leg_orders(parent: Order, quantity: Decimal) -> list[Order]:
    """A bracket's take-profit (limit) and stop-loss (stop) as GTC exit orders of their own."""
    exit_order = dataclasses.replace(
        parent,
        purpose=OrderPurpose.EXIT,
        side=Side.SELL if parent.side is Side.BUY else Side.BUY,
        quantity=quantity,
        time_in_force=TimeInForce.GTC,
        expire_at=None,
        limit_price=None,
        stop_price=None,
        stop_loss=None,
        take_profit=None,
        margin_per_unit=None,
    )
    legs = []
    if parent.take_profit is not None:
        take = parent.take_profit
        legs.append(
            dataclasses.replace(
                exit_order, id=take.order_id, order_type=OrderType.LIMIT, limit_price=take.price
            )
        )
    if parent.stop_loss is not None:
        stop = parent.stop_loss
        legs.append(
            dataclasses.replace(
                exit_order, id=stop.order_id, order_type=OrderType.STOP, stop_price=stop.price
            )
        )
    return legs
