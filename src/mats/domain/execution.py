"""An order's life at a venue: NEW → SUBMITTED → ACCEPTED → PARTIALLY_FILLED → FILLED, or ended
early as CANCELLED, REJECTED or EXPIRED.

Venue reports arrive late, twice and out of order, so a state only ever moves forward: a report
that would move an order backwards (an ACCEPTED after the fill) or out of an ended state is
ignored, not an error. Skipping ahead (NEW straight to FILLED) is normal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from mats.domain.orders import Order


class OrderState(StrEnum):
    NEW = "NEW"
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"

    @property
    def ended(self) -> bool:
        return self in _ENDED


_ENDED = frozenset(
    {OrderState.FILLED, OrderState.CANCELLED, OrderState.REJECTED, OrderState.EXPIRED}
)
_RANK = {
    OrderState.NEW: 0,
    OrderState.SUBMITTED: 1,
    OrderState.ACCEPTED: 2,
    OrderState.PARTIALLY_FILLED: 3,
    OrderState.FILLED: 4,
    OrderState.CANCELLED: 4,
    OrderState.REJECTED: 4,
    OrderState.EXPIRED: 4,
}


@dataclass(frozen=True)
class Transition:
    """One recorded state change of an order, with what caused it."""

    state: OrderState
    at: datetime
    filled_quantity: Decimal = Decimal(0)
    note: str | None = None


def advance(
    current: OrderState,
    reported: OrderState,
    *,
    filled_before: Decimal = Decimal(0),
    filled_now: Decimal = Decimal(0),
) -> OrderState | None:
    """Return the new state if the venue's report moves the order forward, else ``None``.

    A partial fill is forward while the filled quantity grows, even from PARTIALLY_FILLED.
    """
    if current.ended:
        return None
    if reported is OrderState.PARTIALLY_FILLED and current is OrderState.PARTIALLY_FILLED:
        return reported if filled_now > filled_before else None
    if _RANK[reported] > _RANK[current]:
        return reported
    return None


@dataclass(frozen=True)
class OrderRecord:
    """An order and its execution so far (``orders/{order_id}``).

    Cerebro creates it (NEW) with the decision; the bridge moves it forward, one recorded
    transition at a time. Each send is an attempt under its own venue reference (the order id,
    then ``{id}~2``, ``{id}~3``...); only exits are sent again, with backoff (``next_retry_at``),
    until they fill or an operator cancels them (``failures`` counts the failed tries, sent or
    not, and sets the backoff). ``filled_quantity`` counts every attempt's fills;
    ``prior_filled`` is what attempts before the current one filled.
    """

    order: Order
    state: OrderState
    decided_at: datetime
    published_at: datetime | None = None
    transitions: tuple[Transition, ...] = ()
    filled_quantity: Decimal = Decimal(0)
    average_price: Decimal | None = None
    venue: str | None = None
    venue_order_id: str | None = None
    reason: str | None = None
    attempts: int = 0
    next_retry_at: datetime | None = None
    updated_at: datetime | None = None
    venue_reference: str | None = None
    prior_filled: Decimal = Decimal(0)
    failures: int = 0

    @property
    def remaining(self) -> Decimal:
        return self.order.quantity - self.filled_quantity

    @property
    def order_id(self) -> str:
        return self.order.id


def new_record(order: Order, at: datetime) -> OrderRecord:
    return OrderRecord(
        order=order,
        state=OrderState.NEW,
        decided_at=at,
        transitions=(Transition(OrderState.NEW, at),),
        updated_at=at,
    )
