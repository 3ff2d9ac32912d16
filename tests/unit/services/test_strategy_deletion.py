"""Deleting a strategy is refused while it could still trade, and an edit that started before
someone else's change is refused rather than undoing it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest

from mats.domain.execution.records import moved, new_record
from mats.domain.execution.states import OrderState
from mats.domain.portfolio import Activation
from mats.domain.trading import OrderAction
from mats.errors import ConflictError, NotFoundError
from mats.services.registry import StrategyChanges, StrategyService
from tests.builders import a_position, a_strategy, an_order
from tests.fakes import (
    FakeClock,
    InMemoryAccountStore,
    InMemoryExecutionStore,
    InMemoryPortfolio,
    InMemorySenderStore,
    InMemoryStrategyStore,
)

STRATEGY = "momentum"


@dataclass
class Registry:
    clock: FakeClock
    store: InMemoryStrategyStore
    portfolio: InMemoryPortfolio
    execution: InMemoryExecutionStore
    service: StrategyService

    def allocate(self, percent: str, strategy_id: str = STRATEGY) -> None:
        sequence = max(self.portfolio.activations, default=0) + 1
        self.portfolio.append_activation(
            Activation(
                sequence=sequence,
                allocation_id=f"ALLOC_{sequence}",
                allocations={strategy_id: Decimal(percent)},
                activated_at=self.clock.now(),
                approved_by="pm",
            )
        )


@pytest.fixture
def registry() -> Registry:
    clock = FakeClock()
    store = InMemoryStrategyStore()
    portfolio = InMemoryPortfolio()
    execution = InMemoryExecutionStore()
    service = StrategyService(
        store,
        InMemorySenderStore(),
        InMemoryAccountStore("IBKR_Main"),
        clock,
        allocations=portfolio,
        positions=execution,
        orders=execution,
    )
    store.create(a_strategy(STRATEGY, created_at=clock.now(), updated_at=clock.now()))
    return Registry(clock, store, portfolio, execution, service)


def test_delete_removes_a_strategy_that_cannot_trade_and_returns_it(registry: Registry) -> None:
    before = registry.store.get(STRATEGY)

    deleted = registry.service.delete(STRATEGY)

    assert deleted == before
    assert registry.store.get(STRATEGY) is None


def test_delete_of_an_unknown_strategy_is_not_found(registry: Registry) -> None:
    with pytest.raises(NotFoundError):
        registry.service.delete("nobody")


def test_delete_is_refused_while_the_active_allocation_gives_it_a_percent(
    registry: Registry,
) -> None:
    registry.allocate("12.5")

    with pytest.raises(ConflictError) as refused:
        registry.service.delete(STRATEGY)

    assert "has 12.5% in the ACTIVE allocation ALLOC_1" in str(refused.value)
    assert registry.store.get(STRATEGY) is not None


def test_delete_is_allowed_once_the_active_allocation_gives_it_zero(registry: Registry) -> None:
    registry.allocate("10")
    registry.allocate("0")

    registry.service.delete(STRATEGY)

    assert registry.store.get(STRATEGY) is None


def test_delete_is_refused_while_it_holds_a_position_and_allowed_once_flat(
    registry: Registry,
) -> None:
    registry.execution.put_position(a_position("-3", strategy_id=STRATEGY, symbol="ES"))

    with pytest.raises(ConflictError, match="holds short 3 ES on IBKR_Main"):
        registry.service.delete(STRATEGY)
    registry.execution.put_position(a_position("0", strategy_id=STRATEGY, symbol="ES"))
    registry.service.delete(STRATEGY)

    assert registry.store.get(STRATEGY) is None


def test_delete_is_refused_while_an_order_is_working_and_allowed_once_it_ended(
    registry: Registry,
) -> None:
    order = an_order("momentum_20261120_143000_1_ORD", strategy_id=STRATEGY)
    working = new_record(order, registry.clock.now())
    registry.execution.put_order(working)

    with pytest.raises(ConflictError, match="has 1 working order: momentum_20261120_143000_1_ORD"):
        registry.service.delete(STRATEGY)
    registry.execution.put_order(moved(working, OrderState.CANCELLED, registry.clock.now(), "x"))
    registry.service.delete(STRATEGY)

    assert registry.store.get(STRATEGY) is None


def test_a_cancel_instruction_is_not_a_working_order(registry: Registry) -> None:
    cancel = an_order("momentum_1_CXL", strategy_id=STRATEGY, action=OrderAction.CANCEL_OPEN)
    registry.execution.put_order(new_record(cancel, registry.clock.now()))

    registry.service.delete(STRATEGY)

    assert registry.store.get(STRATEGY) is None


def test_a_refusal_names_every_reason_at_once(registry: Registry) -> None:
    registry.allocate("5")
    registry.execution.put_position(a_position("600", strategy_id=STRATEGY))
    registry.execution.put_order(new_record(an_order(strategy_id=STRATEGY), registry.clock.now()))

    with pytest.raises(ConflictError) as refused:
        registry.service.delete(STRATEGY)

    message = str(refused.value)
    assert message.startswith("strategy 'momentum' cannot be deleted while it has 5% in the ACTIVE")
    assert "; holds long 600 AAPL on IBKR_Main; has 1 working order: " in message


def test_an_update_from_the_current_version_is_applied(registry: Registry) -> None:
    seen = registry.service.get(STRATEGY).updated_at
    registry.clock.advance(60)

    updated = registry.service.update(
        STRATEGY, StrategyChanges(notes="reviewed"), expected_updated_at=seen
    )

    assert updated.notes == "reviewed"
    assert updated.updated_at == seen + timedelta(seconds=60)


def test_an_update_from_a_version_changed_since_is_refused_and_changes_nothing(
    registry: Registry,
) -> None:
    seen = registry.service.get(STRATEGY).updated_at
    registry.clock.advance(60)
    registry.service.update(STRATEGY, StrategyChanges(notes="someone else's change"))
    stored = registry.store.get(STRATEGY)

    with pytest.raises(ConflictError, match="after this edit began; reload it"):
        registry.service.update(STRATEGY, StrategyChanges(notes="mine"), expected_updated_at=seen)

    assert registry.store.get(STRATEGY) == stored
