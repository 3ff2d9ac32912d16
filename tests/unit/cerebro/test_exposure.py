"""Limits count exposure (the ledger plus working orders, as if filled), in the base currency."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal
from typing import Any

from mats.domain.cerebro.brain import decide
from mats.domain.cerebro.decisions import CerebroSettings, Decision, DecisionStatus, Reason
from mats.domain.execution.records import OrderRecord, new_record
from mats.domain.execution.states import OrderState
from mats.domain.market import FxRate
from mats.domain.strategies import RiskLimits
from mats.domain.trading import Intent, OrderPurpose, Position, PositionSide, Side
from tests.builders import (
    NOW,
    a_position,
    a_signal,
    a_strategy,
    an_account,
    an_allocation,
    an_instrument,
    an_order,
    decision_inputs,
)

SETTINGS = CerebroSettings()


def run(signal: Any = None, **inputs: Any) -> Decision:
    return decide(signal or a_signal(), decision_inputs(**inputs), SETTINGS, NOW)


def working(order_id: str, quantity: str, **overrides: Any) -> OrderRecord:
    """An order of the strategy still working at the venue (nothing filled yet)."""
    record = new_record(an_order(order_id, quantity=Decimal(quantity), **overrides), NOW)
    return dataclasses.replace(record, state=OrderState.ACCEPTED)


def exit_signal() -> Any:
    return a_signal(
        intent=Intent.EXIT,
        side=Side.SELL,
        previous=Position(PositionSide.LONG, Decimal(10)),
        target=Position(PositionSide.FLAT, Decimal(0)),
    )


def test_a_working_entry_counts_against_the_allocation_as_if_filled() -> None:
    # 10% of 100,000 at 200 a share buys 50; 30 are already on their way.
    decision = run(orders=(working("earlier_ORD", "30"),))

    assert [o.quantity for o in decision.orders] == [Decimal(20)]


def test_a_repeated_entry_finds_the_allocation_already_on_its_way_and_is_refused() -> None:
    decision = run(orders=(working("earlier_ORD", "50"),))

    assert decision.status is DecisionStatus.REJECTED
    assert decision.reasons == (Reason.ALLOCATION_REACHED,)
    assert decision.orders == ()


def test_partly_filled_orders_count_only_what_is_left_beside_the_ledger() -> None:
    partly = dataclasses.replace(
        working("earlier_ORD", "30"), state=OrderState.PARTIALLY_FILLED, filled_quantity=Decimal(10)
    )

    add = a_signal(
        intent=Intent.ADD,
        previous=Position(PositionSide.LONG, Decimal(1)),
        target=Position(PositionSide.LONG, Decimal(100)),
    )

    decision = run(signal=add, orders=(partly,), position=a_position("10"))

    # 10 held + 20 left working = 30 committed; 20 more fit in the 50.
    assert [o.quantity for o in decision.orders] == [Decimal(20)]


def test_ended_orders_and_other_strategies_and_bracket_legs_do_not_count() -> None:
    filled = dataclasses.replace(working("filled_ORD", "30"), state=OrderState.FILLED)
    other = working("other_ORD", "30", strategy_id="other")
    leg = working("earlier_ORD_SL", "30", purpose=OrderPurpose.EXIT, side=Side.SELL)

    decision = run(orders=(filled, other, leg))

    assert [o.quantity for o in decision.orders] == [Decimal(50)]


def test_max_position_size_is_money_in_the_base_currency() -> None:
    # A $50,000 cap at $300 a share gives at most 166 shares.
    capped = a_strategy("momentum", risk_limits=RiskLimits(max_position_size=Decimal(50_000)))

    decision = run(
        signal=a_signal(price=Decimal(300)),
        strategy=capped,
        account=an_account(equity=Decimal(1_000_000)),
        allocation=an_allocation("50"),
        instrument=an_instrument(margin_rate=Decimal("0.01")),
    )

    assert [o.quantity for o in decision.orders] == [Decimal(166)]
    assert decision.reasons == (Reason.MAX_POSITION_CAPPED,)
    check = next(c for c in decision.checks if c.name == "max_position_size")
    assert (check.value, check.threshold, check.note) == (
        "499800",
        "50000",
        "(0 + 1666) x 300 USD",
    )


def test_max_position_size_converts_the_instruments_currency_to_the_base_currency() -> None:
    # 10,000 USD cap; a EUR stock at 100 EUR, 1 EUR = 1.25 USD: 125 USD a share, 80 shares.
    capped = a_strategy("momentum", risk_limits=RiskLimits(max_position_size=Decimal(10_000)))
    euro = an_instrument(currency="EUR")
    rate = FxRate("EUR", "USD", Decimal("1.25"), NOW - timedelta(minutes=1))

    decision = run(
        signal=a_signal(price=Decimal(100)),
        strategy=capped,
        instrument=euro,
        fx=rate,
        allocation=an_allocation("50"),
    )

    assert [o.quantity for o in decision.orders] == [Decimal(80)]
    assert decision.input("fx EURUSD") is not None


def test_the_money_cap_counts_working_orders_too() -> None:
    capped = a_strategy("momentum", risk_limits=RiskLimits(max_position_size=Decimal(6_000)))

    decision = run(strategy=capped, orders=(working("earlier_ORD", "25"),))

    # 30 shares of 200 fit the cap; 25 are on their way.
    assert [o.quantity for o in decision.orders] == [Decimal(5)]


def test_a_position_already_above_its_money_cap_raises_a_critical_alert() -> None:
    capped = a_strategy("momentum", risk_limits=RiskLimits(max_position_size=Decimal(6_000)))

    decision = run(
        signal=a_signal(
            intent=Intent.ADD,
            previous=Position(PositionSide.LONG, Decimal(1)),
            target=Position(PositionSide.LONG, Decimal(2)),
        ),
        strategy=capped,
        position=a_position("40"),
    )

    assert decision.orders == ()
    assert Reason.LIMIT_BREACHED in decision.reasons
    assert [(a.kind, a.severity.value) for a in decision.alerts] == [("LIMIT_BREACHED", "CRITICAL")]


def test_margin_counts_every_working_entry_on_the_account_whatever_the_strategy() -> None:
    # Full-notional margin: 40,000 of the 100,000 equity may be used; another strategy's
    # working entry already ties up 35,000.
    other = working("other_ORD", "1", strategy_id="other", margin_per_unit=Decimal(35_000))

    decision = run(instrument=an_instrument(margin_rate=Decimal(1)), orders=(other,))

    # 5,000 left at 200 a share, less the 0.1% cost allowance on what is traded: 24 shares.
    assert [o.quantity for o in decision.orders] == [Decimal(24)]
    assert Reason.MARGIN_SCALED in decision.reasons
    check = next(c for c in decision.checks if c.name == "margin_utilisation")
    assert "35000 in flight" in check.note


def test_an_entry_filled_after_the_accounts_snapshot_still_counts_its_margin() -> None:
    filled = dataclasses.replace(
        working("other_ORD", "1", strategy_id="other", margin_per_unit=Decimal(35_000)),
        state=OrderState.FILLED,
        filled_quantity=Decimal(1),
        updated_at=NOW,
    )
    snapshot = an_account(updated_at=NOW - timedelta(seconds=5))

    decision = run(
        instrument=an_instrument(margin_rate=Decimal(1)), orders=(filled,), account=snapshot
    )

    assert [o.quantity for o in decision.orders] == [Decimal(24)]


def test_an_entry_filled_before_the_accounts_snapshot_is_in_the_brokers_margin() -> None:
    filled = dataclasses.replace(
        working("other_ORD", "1", strategy_id="other", margin_per_unit=Decimal(35_000)),
        state=OrderState.FILLED,
        filled_quantity=Decimal(1),
        updated_at=NOW - timedelta(seconds=10),
    )
    snapshot = an_account(updated_at=NOW - timedelta(seconds=5))

    decision = run(
        instrument=an_instrument(margin_rate=Decimal(1)), orders=(filled,), account=snapshot
    )

    assert [o.quantity for o in decision.orders] == [Decimal(50)]


def test_an_entry_records_its_margin_per_unit_for_later_decisions() -> None:
    decision = run()

    assert decision.orders[0].margin_per_unit == Decimal(50)  # 25% of 200


def test_two_exits_at_once_close_the_position_once() -> None:
    on_its_way = working("earlier_ORD", "10", purpose=OrderPurpose.EXIT, side=Side.SELL)

    decision = run(signal=exit_signal(), position=a_position("10"), orders=(on_its_way,))

    assert decision.status is DecisionStatus.IGNORED
    assert decision.reasons == (Reason.ALREADY_EXITING,)


def test_an_exit_closes_only_what_no_exit_on_its_way_closes_already() -> None:
    on_its_way = working("earlier_ORD", "4", purpose=OrderPurpose.EXIT, side=Side.SELL)

    decision = run(signal=exit_signal(), position=a_position("10"), orders=(on_its_way,))

    assert [(o.side, o.quantity) for o in decision.orders] == [(Side.SELL, Decimal(6))]


def test_a_reverse_sizes_its_entry_leg_knowing_its_own_exit_leg() -> None:
    reverse = a_signal(
        intent=Intent.REVERSE,
        side=Side.SELL,
        previous=Position(PositionSide.LONG, Decimal(1)),
        target=Position(PositionSide.SHORT, Decimal(1)),
    )

    decision = run(signal=reverse, position=a_position("30"))

    assert [(o.purpose, o.side, o.quantity) for o in decision.orders] == [
        (OrderPurpose.EXIT, Side.SELL, Decimal(30)),
        (OrderPurpose.ENTRY, Side.SELL, Decimal(50)),
    ]


def test_daily_loss_is_valued_in_the_base_currency() -> None:
    limited = a_strategy("momentum", risk_limits=RiskLimits(max_daily_loss=Decimal(1_000)))
    loss_in_euros = a_position(
        "0", symbol="SAP", currency="EUR", pnl_today=Decimal(-900), pnl_date=NOW.date()
    )
    rate = FxRate("EUR", "USD", Decimal("1.25"), NOW - timedelta(minutes=1))

    decision = run(strategy=limited, positions=(loss_in_euros,), fx=rate)

    # 900 EUR is 1,125 USD: over the 1,000 USD limit.
    assert Reason.DAILY_LOSS_LIMIT in decision.reasons
    assert decision.orders == ()


def test_a_daily_loss_that_cannot_be_valued_holds_entries_back() -> None:
    limited = a_strategy("momentum", risk_limits=RiskLimits(max_daily_loss=Decimal(1_000)))
    loss_in_euros = a_position(
        "0", symbol="SAP", currency="EUR", pnl_today=Decimal(-1), pnl_date=NOW.date()
    )

    decision = run(strategy=limited, positions=(loss_in_euros,))

    assert Reason.FX_RATE_MISSING in decision.reasons
    assert decision.orders == ()
    assert decision.risk_change is None


def test_a_decision_claims_the_next_sequence_of_its_account() -> None:
    assert run(sequence=41).sequence == 42
