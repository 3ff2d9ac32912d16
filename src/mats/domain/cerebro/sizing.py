"""A decision's sizing as its signal's sender may see it: the outcome and its coded reasons, what
was ordered and what it was worth, and the capital the entry was sized against.

Nothing else of the flight recorder goes out: its inputs and steps hold the fund's equity, its
margin, every account and the other strategies' working orders, and its prose (the summary, a
step's detail) may quote them. The reasons are codes, never prose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from mats.domain.cerebro.decisions import Decision, DecisionStatus, Reason
from mats.domain.trading import OrderAction

# The step that records the capital an entry is sized against: fund equity x the allocation.
ALLOCATED_CAPITAL = "allocated_capital"


@dataclass(frozen=True)
class SignalSizing:
    """What Cerebro did with one signal.

    ``quantity`` is what its orders placed (every leg: a reversal's exit and entry), ``notional``
    the same at the prices it was sized at, in the instrument's ``currency`` (``None`` with no
    order placed, or an order sized without a price). ``allocated_capital`` is the capital an
    entry was sized against, in the fund's base currency (``None`` for exits and for signals
    refused before sizing). ``reasons`` say why it was refused, scaled or left alone.
    """

    signal_id: str
    decided_at: datetime
    outcome: DecisionStatus
    reasons: tuple[Reason, ...]
    quantity: Decimal
    notional: Decimal | None
    currency: str | None
    allocated_capital: Decimal | None


def sizing_of(decision: Decision) -> SignalSizing:
    """Reduce a decision to its sizing."""
    placed = [order for order in decision.orders if order.action is OrderAction.PLACE]
    quantity = sum((order.quantity for order in placed), Decimal(0))
    priced = [(o.quantity, o.reference_price, o.multiplier) for o in placed if o.reference_price]
    notional: Decimal | None = None
    if placed and len(priced) == len(placed):
        notional = sum((q * price * m for q, price, m in priced), Decimal(0))
    capital = next((step.value for step in decision.steps if step.name == ALLOCATED_CAPITAL), None)
    return SignalSizing(
        signal_id=decision.signal_id,
        decided_at=decision.decided_at,
        outcome=decision.status,
        reasons=decision.reasons,
        quantity=quantity,
        notional=notional,
        currency=placed[0].currency if placed else None,
        allocated_capital=Decimal(capital) if capital is not None else None,
    )
