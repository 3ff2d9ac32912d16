"""A decision's sizing, as a sender's page shows it: outcome, coded reasons, quantity, notional
and the capital the entry was sized against — read from real decisions of the brain."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from mats.domain.cerebro.brain import decide
from mats.domain.cerebro.decisions import CerebroSettings, Decision, DecisionStatus, Reason
from mats.domain.cerebro.sizing import sizing_of
from mats.domain.orders import Order
from mats.domain.strategies import RiskLimits
from mats.domain.trading import Intent, OrderAction, PositionSide, Side
from mats.domain.trading import Position as SenderPosition
from tests.builders import NOW, a_position, a_signal, a_strategy, an_instrument, decision_inputs


def run(signal: object = None, **inputs: object) -> Decision:
    return decide(signal or a_signal(), decision_inputs(**inputs), CerebroSettings(), NOW)


def test_an_approved_entry_shows_its_quantity_notional_and_allocated_capital() -> None:
    # 10% of the fund's 100,000 USD buys 50 AAPL at 200.
    sizing = sizing_of(run())

    assert sizing.outcome is DecisionStatus.APPROVED
    assert sizing.reasons == ()
    assert sizing.quantity == Decimal(50)
    assert sizing.notional == Decimal(10000)
    assert sizing.currency == "USD"
    assert sizing.allocated_capital == Decimal(10000)
    assert sizing.decided_at == NOW


def test_the_notional_counts_the_instruments_multiplier() -> None:
    future = an_instrument("AAPL", multiplier=Decimal(5))

    sizing = sizing_of(run(instrument=future))

    # 10,000 of capital at 200 x 5 a contract is 10 contracts, worth 10,000.
    assert sizing.quantity == Decimal(10)
    assert sizing.notional == Decimal(10) * 200 * 5


def test_a_scaled_entry_says_why_and_keeps_the_capital_it_was_sized_against() -> None:
    # $6,000 of AAPL at 200 a share is 30 shares.
    limited = a_strategy("momentum", risk_limits=RiskLimits(max_position_size=Decimal(6000)))

    sizing = sizing_of(run(strategy=limited))

    assert sizing.outcome is DecisionStatus.SCALED
    assert sizing.reasons == (Reason.MAX_POSITION_CAPPED,)
    assert (sizing.quantity, sizing.notional) == (Decimal(30), Decimal(6000))
    assert sizing.allocated_capital == Decimal(10000)


def test_a_refusal_before_sizing_has_its_reason_and_nothing_ordered() -> None:
    sizing = sizing_of(run(allocation=None))

    assert sizing.outcome is DecisionStatus.REJECTED
    assert sizing.reasons == (Reason.NO_ALLOCATION,)
    assert sizing.quantity == Decimal(0)
    assert (sizing.notional, sizing.currency, sizing.allocated_capital) == (None, None, None)


def test_an_exit_is_not_sized_against_capital() -> None:
    exit_signal = a_signal(
        intent=Intent.EXIT,
        side=Side.SELL,
        previous=SenderPosition(PositionSide.LONG, Decimal(10)),
        target=SenderPosition(PositionSide.FLAT, Decimal(0)),
    )

    sizing = sizing_of(run(signal=exit_signal, position=a_position("12")))

    assert sizing.outcome is DecisionStatus.APPROVED
    assert (sizing.quantity, sizing.notional) == (Decimal(12), Decimal(2400))
    assert sizing.allocated_capital is None


def test_a_reversal_counts_both_legs() -> None:
    reverse = a_signal(
        intent=Intent.REVERSE,
        side=Side.SELL,
        previous=SenderPosition(PositionSide.LONG, Decimal(10)),
        target=SenderPosition(PositionSide.SHORT, Decimal(10)),
    )

    decision = run(signal=reverse, position=a_position("12"))
    sizing = sizing_of(decision)

    assert len(decision.orders) == 2
    assert sizing.quantity == sum((order.quantity for order in decision.orders), Decimal(0))
    assert sizing.allocated_capital is not None


def test_an_order_sized_without_a_price_leaves_the_notional_unknown() -> None:
    decision = run()
    unpriced = dataclasses.replace(decision.orders[0], reference_price=None)

    sizing = sizing_of(dataclasses.replace(decision, orders=(unpriced,)))

    assert sizing.quantity == Decimal(50)
    assert sizing.notional is None


def test_a_cancel_instruction_is_not_a_quantity_ordered() -> None:
    decision = run()
    cancel: Order = dataclasses.replace(
        decision.orders[0], action=OrderAction.CANCEL_OPEN, side=None, quantity=Decimal(0)
    )

    sizing = sizing_of(dataclasses.replace(decision, orders=(cancel, *decision.orders)))

    assert (sizing.quantity, sizing.notional) == (Decimal(50), Decimal(10000))
