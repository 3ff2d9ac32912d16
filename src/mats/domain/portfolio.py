"""Capital allocations across strategies (``portfolio_allocations``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from enum import StrEnum

from mats.domain.accounting import StrategyPosition
from mats.domain.execution.records import OrderRecord
from mats.domain.trading import OrderAction
from mats.errors import ValidationError

# Each strategy at most 50% of equity, all together at most 200% (2x leverage).
MAX_STRATEGY_PERCENT = Decimal(50)
MAX_TOTAL_PERCENT = Decimal(200)
CENT = Decimal("0.01")


class AllocationStatus(StrEnum):
    ACTIVE = "ACTIVE"
    PENDING_APPROVAL = "PENDING_APPROVAL"
    ARCHIVED = "ARCHIVED"
    REJECTED = "REJECTED"


@dataclass(frozen=True)
class Allocation:
    """Percent of account equity each strategy may use; ids are ``ALLOC_{YYYYMMDD}_{HHMMSS}``.

    ``source`` is ``optimizer`` (a nightly recommendation, with its ``run_id``) or ``manual``
    (an operator's edit, with the allocation it was ``based_on``).
    """

    allocation_id: str
    allocations: dict[str, Decimal]
    status: AllocationStatus
    created_at: datetime
    activated_at: datetime | None = None
    approved_by: str | None = None
    source: str = "manual"
    notes: str | None = None
    metrics: dict[str, Decimal] = field(default_factory=dict)
    run_id: str | None = None
    based_on: str | None = None
    rejected_by: str | None = None
    rejection_reason: str | None = None

    def percent_for(self, strategy_id: str) -> Decimal:
        return self.allocations.get(strategy_id, Decimal(0))

    @property
    def total_percent(self) -> Decimal:
        return sum(self.allocations.values(), Decimal(0))

    def capital_for(self, strategy_id: str, equity: Decimal) -> Decimal:
        """The capital the strategy's entries are sized against (Cerebro's step
        ``allocated_capital``: fund equity x its percent), to the cent."""
        return (equity * self.percent_for(strategy_id) / 100).quantize(CENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class AllocationChange:
    """One strategy's line of a recommendation beside the allocation in force, in percent of
    equity; ``change`` is in percentage points."""

    strategy_id: str
    current: Decimal
    recommended: Decimal
    change: Decimal


def changes(recommended: Allocation, current: Allocation | None) -> list[AllocationChange]:
    """Every strategy either allocation names, by id: what it has, what it would have."""
    named = set(recommended.allocations) | set(current.allocations if current else ())
    lines = []
    for strategy_id in sorted(named):
        now = current.percent_for(strategy_id) if current else Decimal(0)
        then = recommended.percent_for(strategy_id)
        lines.append(AllocationChange(strategy_id, now, then, then - now))
    return lines


def validate_allocations(allocations: dict[str, Decimal]) -> dict[str, Decimal]:
    """Check the caps: each 0-50%, all together at most 200%."""
    for strategy_id, percent in allocations.items():
        if not percent.is_finite() or percent < 0:
            raise ValidationError(strategy_id, "allocation must be a non-negative percent")
        if percent > MAX_STRATEGY_PERCENT:
            raise ValidationError(
                strategy_id, f"allocation {percent}% is above the {MAX_STRATEGY_PERCENT}% cap"
            )
    total = sum(allocations.values(), Decimal(0))
    if total > MAX_TOTAL_PERCENT:
        raise ValidationError(
            "allocations", f"total {total}% is above the {MAX_TOTAL_PERCENT}% cap"
        )
    return allocations


@dataclass(frozen=True)
class OpenPosition:
    account: str
    symbol: str
    quantity: Decimal

    def describe(self) -> str:
        side = "long" if self.quantity > 0 else "short"
        return f"{side} {abs(self.quantity)} {self.symbol} on {self.account}"


@dataclass(frozen=True)
class WorkingOrder:
    order_id: str
    state: str
    side: str
    remaining: Decimal
    symbol: str

    def describe(self) -> str:
        return f"{self.order_id} {self.state} {self.side} {self.remaining} {self.symbol}"


@dataclass(frozen=True)
class DroppedStrategy:
    """A strategy an allocation takes to 0% while it still holds a position or has working
    orders: from then on Cerebro refuses its entries (NO_ALLOCATION), while its exits and its
    working orders go on."""

    strategy_id: str
    percent: Decimal
    positions: tuple[OpenPosition, ...] = ()
    working_orders: tuple[WorkingOrder, ...] = ()

    def describe(self) -> str:
        parts = [f"was {self.percent}%"]
        if self.positions:
            parts.append("holds " + ", ".join(p.describe() for p in self.positions))
        if self.working_orders:
            count = len(self.working_orders)
            listed = ", ".join(o.describe() for o in self.working_orders)
            parts.append(f"{count} working order{'s' if count > 1 else ''}: {listed}")
        return f"{self.strategy_id} ({'; '.join(parts)})"


def dropped_while_trading(
    current: Mapping[str, Decimal],
    proposed: Mapping[str, Decimal],
    positions: Sequence[StrategyPosition],
    orders: Sequence[OrderRecord],
) -> tuple[DroppedStrategy, ...]:
    """Return the strategies ``proposed`` takes to 0% from ``current`` that still trade.

    A strategy still trades while the ledger holds a position of it, or while an order it
    placed has not ended (it can still fill). One already at 0% is not dropped by this change.
    """
    dropped = []
    for strategy_id, percent in sorted(current.items()):
        if percent <= 0 or proposed.get(strategy_id, Decimal(0)) > 0:
            continue
        held = open_positions(strategy_id, positions)
        working = working_orders(strategy_id, orders)
        if held or working:
            dropped.append(DroppedStrategy(strategy_id, percent, held, working))
    return tuple(dropped)


def open_positions(
    strategy_id: str, positions: Sequence[StrategyPosition]
) -> tuple[OpenPosition, ...]:
    """The strategy's positions that are not flat."""
    return tuple(
        OpenPosition(p.account, p.symbol, p.quantity)
        for p in positions
        if p.strategy_id == strategy_id and p.quantity != 0
    )


def working_orders(strategy_id: str, orders: Sequence[OrderRecord]) -> tuple[WorkingOrder, ...]:
    """The orders the strategy placed that have not ended (they can still fill)."""
    return tuple(
        WorkingOrder(
            r.order_id,
            r.state.value,
            r.order.side.value if r.order.side else "-",
            r.remaining,
            r.order.symbol,
        )
        for r in orders
        if r.order.strategy_id == strategy_id
        and r.order.action is OrderAction.PLACE
        and not r.state.ended
    )


def allocation_id(at: datetime) -> str:
    return f"ALLOC_{at:%Y%m%d_%H%M%S}"


@dataclass(frozen=True)
class Activation:
    """One entry of the activation log: ``sequence`` n made ``allocation_id`` the ACTIVE one.

    The log is append-only and each entry is created exactly once, so the entry with the highest
    sequence names the one ACTIVE allocation even while statuses are being updated.
    """

    sequence: int
    allocation_id: str
    allocations: dict[str, Decimal]
    activated_at: datetime
    approved_by: str
    previous_allocation_id: str | None = None

    def allocation(self) -> Allocation:
        """The ACTIVE allocation this activation names."""
        return Allocation(
            allocation_id=self.allocation_id,
            allocations=self.allocations,
            status=AllocationStatus.ACTIVE,
            created_at=self.activated_at,
            activated_at=self.activated_at,
            approved_by=self.approved_by,
        )


def activation_id(sequence: int) -> str:
    return f"{sequence:010d}"


def percents_from_weights(weights: dict[str, float]) -> dict[str, Decimal]:
    """Turn optimiser weights (0.2534...) into percents rounded down to 0.01 (25.34)."""
    return {
        strategy_id: (Decimal(str(weight)) * 100).quantize(Decimal("0.01"), rounding=ROUND_FLOOR)
        for strategy_id, weight in weights.items()
        if weight > 0
    }
