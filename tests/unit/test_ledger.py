"""The per-strategy ledger and the order state machine."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mats.domain.accounting import LedgerFill, StrategyPosition, apply_fill
from mats.domain.execution.states import OrderState, advance
from mats.domain.trading import Side

AT = datetime(2026, 11, 20, 15, tzinfo=UTC)


def fill(side: Side, quantity: str, price: str, **extra: object) -> LedgerFill:
    return LedgerFill(
        f"exec-{side}-{quantity}-{price}", side, Decimal(quantity), Decimal(price), AT, **extra
    )  # type: ignore[arg-type]


def book(position: StrategyPosition | None, *fills: LedgerFill) -> StrategyPosition:
    for item in fills:
        position = apply_fill(position, item, account="A", strategy_id="s", symbol="ES")
    assert position is not None
    return position


def test_adding_averages_the_cost_and_reducing_keeps_it() -> None:
    position = book(
        None, fill(Side.BUY, "2", "100"), fill(Side.BUY, "2", "110"), fill(Side.SELL, "1", "120")
    )

    assert position.quantity == 3
    assert position.average_cost == Decimal(105)
    assert position.realized_pnl == Decimal(15)


def test_a_flip_closes_then_opens_the_rest_at_the_fill_price() -> None:
    position = book(None, fill(Side.SELL, "2", "50"), fill(Side.BUY, "5", "40"))

    assert position.quantity == 3
    assert position.average_cost == Decimal(40)
    assert position.realized_pnl == Decimal(20)


def test_futures_pnl_uses_the_multiplier_and_commission_is_a_cost() -> None:
    position = book(
        None,
        fill(Side.BUY, "1", "5000", multiplier=Decimal(50), commission=Decimal("2.25")),
        fill(Side.SELL, "1", "5004.25", multiplier=Decimal(50), commission=Decimal("2.25")),
    )

    assert position.quantity == 0
    assert position.average_cost is None
    assert position.realized_pnl == Decimal("208.00")
    assert position.pnl_today == Decimal("208.00")


@settings(max_examples=300, deadline=None)
@given(
    quantity=st.decimals(min_value=Decimal("0.001"), max_value=Decimal(10_000), places=3),
    opened=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100_000), places=2),
    closed=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100_000), places=2),
    fees=st.decimals(min_value=Decimal(0), max_value=Decimal(50), places=2),
    long=st.booleans(),
)
def test_realized_pnl_of_open_then_close_is_price_change_times_quantity_less_fees(
    quantity: Decimal, opened: Decimal, closed: Decimal, fees: Decimal, long: bool
) -> None:
    entry, exit_ = (Side.BUY, Side.SELL) if long else (Side.SELL, Side.BUY)
    position = book(
        None,
        LedgerFill("1", entry, quantity, opened, AT, commission=fees),
        LedgerFill("2", exit_, quantity, closed, AT, commission=fees),
    )

    change = (closed - opened) if long else (opened - closed)
    assert position.quantity == 0
    assert position.realized_pnl == change * quantity - 2 * fees


@pytest.mark.parametrize(
    ("current", "reported", "expected"),
    [
        (OrderState.NEW, OrderState.FILLED, OrderState.FILLED),
        (OrderState.SUBMITTED, OrderState.ACCEPTED, OrderState.ACCEPTED),
        (OrderState.FILLED, OrderState.ACCEPTED, None),
        (OrderState.CANCELLED, OrderState.FILLED, None),
        (OrderState.ACCEPTED, OrderState.SUBMITTED, None),
        (OrderState.PARTIALLY_FILLED, OrderState.CANCELLED, OrderState.CANCELLED),
    ],
)
def test_order_states_only_move_forward(
    current: OrderState, reported: OrderState, expected: OrderState | None
) -> None:
    assert advance(current, reported) is expected


def test_partial_fills_advance_while_the_filled_quantity_grows() -> None:
    partial = OrderState.PARTIALLY_FILLED

    assert advance(partial, partial, filled_before=Decimal(1), filled_now=Decimal(2)) is partial
    assert advance(partial, partial, filled_before=Decimal(2), filled_now=Decimal(2)) is None
