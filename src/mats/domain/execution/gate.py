"""The execution-time risk gate: the last word on an order just before it reaches a venue.

Cerebro checked the risk state when it decided; minutes (or a retry) later the fund or the
strategy may be HALTED or REDUCING, and the position an exit was sized for may be gone. So just
before anything is sent, this pure function looks again:

- HALTED sends nothing: an entry is refused (``TRADING_HALTED``); an exit is held, alerted, and
  sent once the halt is lifted.
- REDUCING refuses entries (``REDUCING_ONLY``); exits go.
- An exit never closes more than the strategy still holds, less the other exits on their way:
  it is trimmed to that, or refused (``NO_POSITION``) when nothing is left, so it can never open
  a position the other way.

Cancels are never stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from mats.domain.execution.brackets import is_bracket_leg
from mats.domain.execution.records import OrderRecord
from mats.domain.risk import RiskState
from mats.domain.trading import OrderAction, OrderPurpose, Side


class Verdict(StrEnum):
    SEND = "SEND"
    REFUSE = "REFUSE"
    HOLD = "HOLD"


@dataclass(frozen=True)
class GateDecision:
    verdict: Verdict
    quantity: Decimal  # What may be sent now (for SEND).
    code: str | None = None  # TRADING_HALTED, REDUCING_ONLY, NO_POSITION; TRIMMED on a send.
    detail: str | None = None

    @property
    def reason(self) -> str:
        return f"{self.code}: {self.detail}" if self.code else ""


def gate(
    record: OrderRecord,
    *,
    risk: RiskState,
    held: Decimal,
    working: tuple[OrderRecord, ...],
) -> GateDecision:
    """Decide whether what is left of ``record`` may be sent now.

    ``held`` is the strategy's ledger position in the order's instrument (signed); ``working``
    the strategy's other orders on it that have not ended.
    """
    order, remaining = record.order, record.remaining
    if order.action is OrderAction.CANCEL_OPEN:
        return GateDecision(Verdict.SEND, remaining)
    entry = order.purpose is OrderPurpose.ENTRY
    if risk is RiskState.HALTED:
        detail = "trading is HALTED"
        if entry:
            return GateDecision(Verdict.REFUSE, Decimal(0), "TRADING_HALTED", detail)
        return GateDecision(Verdict.HOLD, Decimal(0), "TRADING_HALTED", f"{detail}: held")
    if entry:
        if risk is RiskState.REDUCING:
            detail = "the strategy may only reduce: entries are refused"
            return GateDecision(Verdict.REFUSE, Decimal(0), "REDUCING_ONLY", detail)
        return GateDecision(Verdict.SEND, remaining)
    return _exit(record, held, working)


def _exit(record: OrderRecord, held: Decimal, working: tuple[OrderRecord, ...]) -> GateDecision:
    order, remaining = record.order, record.remaining
    closing = Side.SELL if held > 0 else Side.BUY
    if held == 0 or order.side is not closing:
        detail = f"the strategy holds {held}: this exit would open a position, not close one"
        return GateDecision(Verdict.REFUSE, Decimal(0), "NO_POSITION", detail)
    if is_bracket_leg(order.id):
        # A leg rests at the venue beside its sibling; it only needs to fit the position.
        closable = abs(held)
    else:
        others = sum(
            (
                other.remaining
                for other in working
                if other.order_id != record.order_id
                and not other.state.ended
                and not is_bracket_leg(other.order_id)
                and other.order.purpose is OrderPurpose.EXIT
                and other.order.side is closing
                and (other.attempts > 0 or other.held_reason is not None)
            ),
            Decimal(0),
        )
        closable = abs(held) - others
    if closable <= 0:
        detail = f"exits already on their way close the whole position of {held}"
        return GateDecision(Verdict.REFUSE, Decimal(0), "NO_POSITION", detail)
    if closable < remaining:
        detail = f"the strategy holds {held}"
        return GateDecision(Verdict.SEND, closable, "TRIMMED", detail)
    return GateDecision(Verdict.SEND, remaining)
