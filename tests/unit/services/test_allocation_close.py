"""An allocation may not silently take to 0% a strategy that still holds a position or has
working orders: activating one that would is refused unless the operator allows it."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest

from mats.domain.execution.records import new_record
from mats.domain.execution.states import OrderState
from mats.domain.portfolio import DroppedStrategy, OpenPosition, WorkingOrder
from mats.domain.trading import OrderAction, Side
from mats.errors import ValidationError
from tests.builders import a_position, an_order
from tests.unit.services.test_portfolio import World


@pytest.fixture
def world(tmp_path: Path) -> World:
    """Two strategies at 30% and 20%, the first long 600 AAPL on IBKR_Main."""
    world = World(tmp_path)
    world.strategy("a")
    world.strategy("b")
    world.allocations.set_custom({"a": Decimal(30), "b": Decimal(20)}, approved_by="pm")
    world.execution.put_position(a_position("600", strategy_id="a"))
    world.clock.advance(1)
    return world


def test_leaving_out_a_strategy_that_holds_a_position_is_refused_and_changes_nothing(
    world: World,
) -> None:
    before = world.allocations.current()

    with pytest.raises(ValidationError) as raised:
        world.allocations.set_custom({"b": Decimal(20)}, approved_by="pm")

    assert raised.value.field == "allocations"
    assert raised.value.message == (
        "would drop to 0% while still trading: a (was 30%; holds long 600 AAPL on IBKR_Main). "
        "Keep a percent for it, or pass --allow-close to drop it anyway"
    )
    assert world.allocations.current() == before
    assert len(world.store.allocations) == 1


def test_setting_it_to_zero_is_dropping_it_too(world: World) -> None:
    with pytest.raises(ValidationError, match="would drop to 0% while still trading: a "):
        world.allocations.set_custom({"a": Decimal(0), "b": Decimal(20)}, approved_by="pm")


def test_allow_close_drops_it_and_says_what_it_dropped(world: World) -> None:
    activated = world.allocations.set_custom({"b": Decimal(20)}, approved_by="pm", allow_close=True)

    assert world.allocations.current() == activated.allocation
    assert activated.dropped == (
        DroppedStrategy(
            "a", Decimal(30), positions=(OpenPosition("IBKR_Main", "AAPL", Decimal(600)),)
        ),
    )


def test_working_orders_keep_a_flat_strategy_from_being_dropped(world: World) -> None:
    partly = dataclasses.replace(
        new_record(an_order("b_1_ORD", strategy_id="b", side=Side.SELL), world.clock.now()),
        state=OrderState.PARTIALLY_FILLED,
        filled_quantity=Decimal(4),
    )
    world.execution.put_order(partly)

    with pytest.raises(ValidationError) as raised:
        world.allocations.set_custom({"a": Decimal(30)}, approved_by="pm")

    assert "b (was 20%; 1 working order: b_1_ORD PARTIALLY_FILLED SELL 6 AAPL)" in str(raised.value)


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (OrderState.FILLED, OrderAction.PLACE),
        (OrderState.CANCELLED, OrderAction.PLACE),
        (OrderState.NEW, OrderAction.CANCEL_OPEN),
    ],
)
def test_ended_orders_and_cancel_instructions_are_not_working(
    world: World, state: OrderState, action: OrderAction
) -> None:
    order = an_order("b_1_ORD", strategy_id="b", action=action)
    world.execution.put_order(
        dataclasses.replace(new_record(order, world.clock.now()), state=state)
    )

    activated = world.allocations.set_custom({"a": Decimal(30)}, approved_by="pm")

    assert activated.dropped == ()


def test_a_flat_position_or_a_strategy_already_at_zero_is_not_dropped(world: World) -> None:
    world.execution.put_position(a_position("0", strategy_id="a"))
    world.allocations.set_custom({"b": Decimal(20)}, approved_by="pm")
    world.clock.advance(1)
    world.execution.put_position(a_position("-5", strategy_id="a"))

    activated = world.allocations.set_custom({"b": Decimal(25)}, approved_by="pm")

    assert activated.dropped == ()


def test_approving_a_recommendation_that_zeroes_a_held_strategy_needs_allow_close(
    world: World,
) -> None:
    proposal = world.allocations.propose({"b": Decimal(40)}, run_id="OPT_1", metrics={})

    with pytest.raises(ValidationError, match="a \\(was 30%; holds long 600 AAPL"):
        world.allocations.approve(proposal.allocation_id, approved_by="pm")
    assert world.allocations.recommendation() == proposal

    approved = world.allocations.approve(proposal.allocation_id, approved_by="pm", allow_close=True)
    assert approved.allocation.allocation_id == world.allocations.current().allocation_id
    assert [d.strategy_id for d in approved.dropped] == ["a"]


def test_several_dropped_strategies_are_each_described() -> None:
    dropped = DroppedStrategy(
        "a",
        Decimal(30),
        positions=(
            OpenPosition("IBKR_Main", "AAPL", Decimal(600)),
            OpenPosition("IBKR_Futures", "ES1!", Decimal(-2)),
        ),
        working_orders=(
            WorkingOrder("x_ORD", "NEW", "BUY", Decimal(10), "AAPL"),
            WorkingOrder("y_ORD", "ACCEPTED", "SELL", Decimal(1), "ES1!"),
        ),
    )

    assert dropped.describe() == (
        "a (was 30%; holds long 600 AAPL on IBKR_Main, short 2 ES1! on IBKR_Futures; "
        "2 working orders: x_ORD NEW BUY 10 AAPL, y_ORD ACCEPTED SELL 1 ES1!)"
    )
