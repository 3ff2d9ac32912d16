"""Every order carries the mid of the quote Cerebro decided on: shortfall's decision price."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from mats.domain.cerebro.brain import decide
from mats.domain.cerebro.decisions import CerebroSettings, Decision
from mats.domain.market import Quote
from mats.domain.trading import Intent, Position, PositionSide, Side
from tests.builders import NOW, a_position, a_signal, decision_inputs

SETTINGS = CerebroSettings()


def a_quote(**prices: str) -> Quote:
    fields: dict[str, Any] = {"symbol": "AAPL", "as_of": NOW - timedelta(seconds=2)}
    fields.update({name: Decimal(value) for name, value in prices.items() if name != "as_of"})
    return Quote(**fields)


def run(signal: Any = None, **inputs: Any) -> Decision:
    return decide(signal or a_signal(), decision_inputs(**inputs), SETTINGS, NOW)


def mid_step(decision: Decision) -> tuple[str, str | None]:
    step = next(s for s in decision.steps if s.name == "decision_mid")
    return step.detail, step.value


def test_the_mid_is_halfway_between_bid_and_ask() -> None:
    decision = run(quote=a_quote(bid="199.9", ask="200.1", last="205"))

    assert decision.orders[0].decision_mid == Decimal(200)
    assert mid_step(decision) == ("(bid + ask) / 2 of the fresh quote (manual)", "200")


def test_without_both_sides_the_mid_is_the_last_price() -> None:
    decision = run(quote=a_quote(bid="199.9", last="200.05"))

    assert decision.orders[0].decision_mid == Decimal("200.05")
    assert mid_step(decision)[0] == "last of the fresh quote (manual)"


def test_a_stale_quote_gives_no_decision_mid() -> None:
    stale = Quote("AAPL", NOW - timedelta(minutes=5), last=Decimal(200))

    decision = run(quote=stale)

    assert decision.orders[0].decision_mid is None
    assert mid_step(decision) == ("not recorded: no fresh quote", None)


def test_exits_and_both_legs_of_a_reverse_carry_it_too() -> None:
    reverse = a_signal(
        intent=Intent.REVERSE,
        side=Side.SELL,
        previous=Position(PositionSide.LONG, Decimal(10)),
        target=Position(PositionSide.SHORT, Decimal(10)),
    )

    decision = run(reverse, position=a_position("10"), quote=a_quote(bid="200", ask="200.2"))

    assert len(decision.orders) == 2
    assert {order.decision_mid for order in decision.orders} == {Decimal("200.1")}


def test_a_cancel_has_no_decision_mid() -> None:
    cancel = a_signal(intent=Intent.CANCEL, side=None, previous=None, target=None)

    decision = run(cancel, quote=a_quote(bid="200", ask="200.2"))

    assert decision.orders[0].decision_mid is None
    assert all(s.name != "decision_mid" for s in decision.steps)
