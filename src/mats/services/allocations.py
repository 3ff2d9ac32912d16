"""The allocation workflow: recommend, approve, reject, edit and approve, review.

Exactly one allocation is ACTIVE at any time: activation appends to a log whose entries are
created once each, so two approvals racing for the same place cannot both win, and the newest
entry names the ACTIVE allocation. Statuses on the allocation documents follow in one batch.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from mats.domain.portfolio import (
    Activation,
    Allocation,
    AllocationStatus,
    DroppedStrategy,
    allocation_id,
    dropped_while_trading,
    validate_allocations,
)
from mats.errors import ConflictError, NotFoundError, ValidationError
from mats.ports import Clock, PortfolioStore, PositionStore, StrategyStore, WorkingOrderStore


@dataclass(frozen=True)
class Activated:
    """The allocation made ACTIVE, the ones it archived, and the strategies it took to 0%
    while they still traded (only ever non-empty when the caller allowed it)."""

    allocation: Allocation
    archived: tuple[str, ...]
    dropped: tuple[DroppedStrategy, ...] = ()


class AllocationService:
    def __init__(
        self,
        store: PortfolioStore,
        strategies: StrategyStore,
        *,
        positions: PositionStore,
        orders: WorkingOrderStore,
        clock: Clock,
    ) -> None:
        self._store = store
        self._strategies = strategies
        self._positions = positions
        self._orders = orders
        self._clock = clock

    def current(self) -> Allocation | None:
        """The ACTIVE allocation (the one the newest activation names)."""
        head = self._store.head()
        return self._store.get_allocation(head.allocation_id) if head else None

    def recommendation(self) -> Allocation | None:
        """The newest allocation awaiting approval."""
        pending = self._store.allocations_with_status(AllocationStatus.PENDING_APPROVAL)
        return pending[0] if pending else None

    def get(self, allocation_id: str) -> Allocation:
        allocation = self._store.get_allocation(allocation_id)
        if allocation is None:
            raise NotFoundError(f"allocation {allocation_id!r} does not exist")
        return allocation

    def history(self, *, limit: int, before: str | None = None) -> Sequence[Allocation]:
        return self._store.list_allocations(limit=limit, before=before)

    def propose(
        self,
        percents: dict[str, Decimal],
        *,
        run_id: str,
        metrics: dict[str, Decimal],
        notes: str | None = None,
    ) -> Allocation:
        """Store an optimiser recommendation as PENDING_APPROVAL."""
        validate_allocations(percents)
        now = self._clock.now()
        return self._create(
            Allocation(
                allocation_id=allocation_id(now),
                allocations=percents,
                status=AllocationStatus.PENDING_APPROVAL,
                created_at=now,
                source="optimizer",
                run_id=run_id,
                metrics=metrics,
                notes=notes,
            )
        )

    def approve(
        self, allocation_id: str, *, approved_by: str, allow_close: bool = False
    ) -> Activated:
        """Make a recommendation ACTIVE; the previous ACTIVE one is archived in the same step.

        Refused when it takes to 0% a strategy that still trades, unless ``allow_close``.
        """
        allocation = self.get(allocation_id)
        current = self._store.head()
        if current is not None and current.allocation_id == allocation_id:
            return Activated(allocation, ())
        if allocation.status is not AllocationStatus.PENDING_APPROVAL:
            raise ConflictError(
                f"allocation {allocation_id} is {allocation.status.value}; only a "
                "PENDING_APPROVAL one can be approved (edit it into a new one instead)"
            )
        validate_allocations(allocation.allocations)
        dropped = self._dropped(allocation.allocations, allow_close=allow_close)
        return self._activate(allocation, approved_by, dropped)

    def reject(self, allocation_id: str, *, rejected_by: str, reason: str | None) -> Allocation:
        allocation = self.get(allocation_id)
        if allocation.status is not AllocationStatus.PENDING_APPROVAL:
            raise ConflictError(
                f"allocation {allocation_id} is {allocation.status.value}; only a "
                "PENDING_APPROVAL one can be rejected"
            )
        rejected = dataclasses.replace(
            allocation,
            status=AllocationStatus.REJECTED,
            rejected_by=rejected_by,
            rejection_reason=reason,
        )
        self._store.put_allocation(rejected)
        return rejected

    def set_custom(
        self,
        percents: dict[str, Decimal],
        *,
        approved_by: str,
        notes: str | None = None,
        based_on: str | None = None,
        allow_close: bool = False,
        expected_current: str | None = None,
    ) -> Activated:
        """Edit and approve: store these percentages as a new allocation and make it ACTIVE.

        Strategies left out get 0%; refused when that drops one that still trades, unless
        ``allow_close``. With ``expected_current`` (the ACTIVE allocation the edit started
        from), refused with ``ConflictError`` if another has been made ACTIVE since.
        """
        if not percents:
            raise ValidationError("allocations", "give at least one STRATEGY=PERCENT")
        for strategy_id in percents:
            if self._strategies.get(strategy_id) is None:
                raise ValidationError(strategy_id, f"strategy {strategy_id!r} does not exist")
        if based_on is not None:
            self.get(based_on)
        validate_allocations(percents)
        if expected_current is not None:
            self._require_current(expected_current)
        dropped = self._dropped(percents, allow_close=allow_close)
        now = self._clock.now()
        allocation = self._create(
            Allocation(
                allocation_id=allocation_id(now),
                allocations=percents,
                status=AllocationStatus.PENDING_APPROVAL,
                created_at=now,
                source="manual",
                notes=notes,
                based_on=based_on,
            )
        )
        return self._activate(allocation, approved_by, dropped)

    def _require_current(self, expected: str) -> None:
        head = self._store.head()
        if head is None or head.allocation_id != expected:
            active = head.allocation_id if head else "none"
            raise ConflictError(
                f"the ACTIVE allocation is {active}, not {expected}: another was made ACTIVE "
                "after this edit began; review it and edit again"
            )

    def _dropped(
        self, percents: Mapping[str, Decimal], *, allow_close: bool
    ) -> tuple[DroppedStrategy, ...]:
        """The strategies ``percents`` take to 0% from the ACTIVE allocation while they still
        hold a position or have working orders; refused unless ``allow_close``."""
        head = self._store.head()
        current = head.allocations if head else {}
        leaving = sorted(s for s, p in current.items() if p > 0 and not percents.get(s))
        if not leaving:
            return ()
        positions = [
            position
            for strategy_id in leaving
            for position in self._positions.list_positions(account=None, strategy_id=strategy_id)
        ]
        orders = [r for r in self._orders.active_orders() if r.order.strategy_id in leaving]
        dropped = dropped_while_trading(current, percents, positions, orders)
        # 0% stops a strategy's entries but leaves its position and working orders to its exit
        # signals alone: the operator must see that and say so.
        if dropped and not allow_close:
            them = "them" if len(dropped) > 1 else "it"
            raise ValidationError(
                "allocations",
                "would drop to 0% while still trading: "
                + "; ".join(d.describe() for d in dropped)
                + f". Keep a percent for {them}, or pass --allow-close to drop {them} anyway",
            )
        return dropped

    def _create(self, allocation: Allocation) -> Allocation:
        """Store a new allocation under ``ALLOC_{YYYYMMDD}_{HHMMSS}``, suffixed if that is taken."""
        base = allocation.allocation_id
        for attempt in range(1, 100):
            candidate = dataclasses.replace(
                allocation, allocation_id=base if attempt == 1 else f"{base}_{attempt}"
            )
            try:
                self._store.create_allocation(candidate)
            except ConflictError:
                continue
            return candidate
        raise ConflictError(f"no free allocation id after {base}; retry")

    def _activate(
        self, allocation: Allocation, approved_by: str, dropped: tuple[DroppedStrategy, ...]
    ) -> Activated:
        now = self._clock.now()
        head = self._store.head()
        self._store.append_activation(
            Activation(
                sequence=head.sequence + 1 if head else 1,
                allocation_id=allocation.allocation_id,
                allocations=allocation.allocations,
                activated_at=now,
                approved_by=approved_by,
                previous_allocation_id=head.allocation_id if head else None,
            )
        )
        active = dataclasses.replace(
            allocation, status=AllocationStatus.ACTIVE, activated_at=now, approved_by=approved_by
        )
        # Archive every other ACTIVE one, including any a crash left behind.
        previous = [
            dataclasses.replace(old, status=AllocationStatus.ARCHIVED)
            for old in self._store.allocations_with_status(AllocationStatus.ACTIVE)
            if old.allocation_id != allocation.allocation_id
        ]
        self._store.put_allocations([active, *previous])
        return Activated(active, tuple(old.allocation_id for old in previous), dropped)
