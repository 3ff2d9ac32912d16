"""An order's life at a venue: NEW → SUBMITTED → ACCEPTED → PARTIALLY_FILLED → FILLED, or ended
early as CANCELLED, REJECTED or EXPIRED; a CANCEL_OPEN instruction ends DONE once carried out.

Venue reports arrive late, twice and out of order, so a state only ever moves forward: a report
that would move an order backwards (an ACCEPTED after the fill) or out of an ended state is
ignored, not an error. Skipping ahead (NEW straight to FILLED) is normal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class OrderState(StrEnum):
    NEW = "NEW"
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    DONE = "DONE"  # An instruction (CANCEL_OPEN) carried out; never a venue order.

    @property
    def ended(self) -> bool:
        return self in _ENDED


_ENDED = frozenset(
    {
        OrderState.FILLED,
        OrderState.CANCELLED,
        OrderState.REJECTED,
        OrderState.EXPIRED,
        OrderState.DONE,
    }
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
    OrderState.DONE: 4,
}


@dataclass(frozen=True)
class Transition:
    """One recorded state change of an order (or a note in its history), with its cause."""

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


def total_state(reported: OrderState, filled: Decimal, quantity: Decimal) -> OrderState:
    """The whole order's state when an attempt reports on what was left of it."""
    if reported is OrderState.FILLED and filled < quantity:
        return OrderState.PARTIALLY_FILLED
    return reported
