"""What the allocation pages show beside the percents: each strategy's capital at the fund's
equity (as Cerebro sizes an entry) and a recommendation's change against the allocation in force."""

from datetime import UTC, datetime
from decimal import Decimal

from mats.domain.portfolio import Allocation, AllocationChange, AllocationStatus, changes

AT = datetime(2026, 12, 3, tzinfo=UTC)


def an_allocation(status: AllocationStatus, **percents: str) -> Allocation:
    return Allocation(
        allocation_id=f"ALLOC_{status.value}",
        allocations={name: Decimal(p) for name, p in percents.items()},
        status=status,
        created_at=AT,
    )


def test_capital_is_equity_times_the_percent_to_the_cent_half_up() -> None:
    allocation = an_allocation(AllocationStatus.ACTIVE, trend="12.5", carry="33.333")

    assert allocation.capital_for("trend", Decimal("100000.04")) == Decimal("12500.01")
    # 33.333% of 1,000.15 is 333.38299...: rounded to 333.38.
    assert allocation.capital_for("carry", Decimal("1000.15")) == Decimal("333.38")
    assert allocation.capital_for("unknown", Decimal("1000")) == Decimal("0.00")


def test_a_recommendation_names_every_strategy_of_either_allocation() -> None:
    current = an_allocation(AllocationStatus.ACTIVE, trend="30", carry="20")
    recommended = an_allocation(AllocationStatus.PENDING_APPROVAL, trend="45.5", mean="10")

    assert changes(recommended, current) == [
        AllocationChange("carry", Decimal(20), Decimal(0), Decimal(-20)),
        AllocationChange("mean", Decimal(0), Decimal(10), Decimal(10)),
        AllocationChange("trend", Decimal(30), Decimal("45.5"), Decimal("15.5")),
    ]


def test_with_nothing_in_force_every_line_starts_from_zero() -> None:
    recommended = an_allocation(AllocationStatus.PENDING_APPROVAL, trend="25")

    assert changes(recommended, None) == [
        AllocationChange("trend", Decimal(0), Decimal(25), Decimal(25))
    ]
