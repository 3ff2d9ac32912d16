"""Exposure: what a strategy holds plus what its working orders would add if they all filled.

Limits are checked against exposure, not the ledger alone: an order decided a moment ago is
not filled yet, and a second decision that ignored it would spend the same room again. So every
order that has not ended (decided, held, submitted, accepted, partly filled, waiting to retry)
counts for its unfilled quantity, and an entry's margin counts until the account's own margin
figure (the broker's snapshot) is newer than the order's last change.

Bracket legs (``_SL`` / ``_TP``) are left out: they only protect the position their entry opened
(one cancels the other), so they neither add room nor take it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from mats.domain.cerebro.decisions import fmt
from mats.domain.execution.brackets import is_bracket_leg
from mats.domain.execution.records import OrderRecord
from mats.domain.orders import Order
from mats.domain.trading import OrderAction, OrderPurpose, Side

ZERO = Decimal(0)


@dataclass(frozen=True)
class Working:
    """One order still on its way, and how much of it has not filled yet."""

    order: Order
    unfilled: Decimal


def working_orders(records: Iterable[OrderRecord], pending: Iterable[Order] = ()) -> list[Working]:
    """Orders not yet ended (from the store) plus orders this decision has already made."""
    working = [Working(r.order, r.remaining) for r in records if not r.state.ended]
    working += [Working(order, order.quantity) for order in pending]
    return [
        w
        for w in working
        if w.order.action is OrderAction.PLACE
        and w.order.side is not None
        and w.unfilled > 0
        and not is_bracket_leg(w.order.id)
    ]


@dataclass(frozen=True)
class Exposure:
    """A strategy's position in one instrument and the quantities on their way, by side."""

    held: Decimal  # Signed, from the ledger.
    buying: Decimal = ZERO
    selling: Decimal = ZERO
    exiting: Decimal = ZERO  # Working exits on the side that closes ``held``.

    def committed(self, side: Side) -> Decimal:
        """The largest position on ``side`` reachable if every working order on it fills."""
        if side is Side.BUY:
            return max(ZERO, self.held + self.buying)
        return max(ZERO, self.selling - self.held)

    @property
    def closable(self) -> Decimal:
        """What an exit may still close: the position less the exits already on their way out."""
        return max(ZERO, abs(self.held) - self.exiting)

    def describe(self, side: Side) -> str:
        working = self.buying if side is Side.BUY else self.selling
        return f"held {fmt(self.held)}, working {side.value} {fmt(working)}"


def exposure(
    held: Decimal, working: Iterable[Working], *, strategy_id: str, symbol: str
) -> Exposure:
    """The strategy's exposure in ``symbol`` given every working order of the account."""
    own = [w for w in working if w.order.strategy_id == strategy_id and w.order.symbol == symbol]
    closing = Side.SELL if held > 0 else Side.BUY
    return Exposure(
        held=held,
        buying=sum((w.unfilled for w in own if w.order.side is Side.BUY), ZERO),
        selling=sum((w.unfilled for w in own if w.order.side is Side.SELL), ZERO),
        exiting=sum(
            (
                w.unfilled
                for w in own
                if w.order.purpose is OrderPurpose.EXIT and w.order.side is closing and held
            ),
            ZERO,
        ),
    )


@dataclass(frozen=True)
class InFlight:
    """Entries the account's snapshot does not show yet: their margin and their notional."""

    margin: Decimal = ZERO
    notional: Decimal = ZERO


def in_flight(
    records: Iterable[OrderRecord],
    *,
    snapshot_at: datetime,
    notional_per_unit: Callable[[Order], Decimal | None],
) -> InFlight | None:
    """Working entries, and entries filled since the snapshot, in the account's currency.

    ``notional_per_unit`` values one unit of an order (its margin too, when the order carries no
    estimate of its own); ``None`` when an order cannot be valued, so the total is unknown.
    """
    margin = notional = ZERO
    for record in records:
        order = record.order
        if order.purpose is not OrderPurpose.ENTRY or is_bracket_leg(order.id):
            continue
        quantity = ZERO if record.state.ended else record.remaining
        if record.updated_at is not None and record.updated_at > snapshot_at:
            quantity += record.filled_quantity
        if quantity <= 0:
            continue
        unit = notional_per_unit(order)
        if unit is None:
            return None
        per_unit = order.margin_per_unit if order.margin_per_unit is not None else unit
        margin += quantity * per_unit
        notional += quantity * unit
    return InFlight(margin, notional)
