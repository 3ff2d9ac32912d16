"""Capital allocations across strategies (``portfolio_allocations``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum

from mats.errors import ValidationError

# Each strategy at most 50% of equity, all together at most 200% (2x leverage).
MAX_STRATEGY_PERCENT = Decimal(50)
MAX_TOTAL_PERCENT = Decimal(200)


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
