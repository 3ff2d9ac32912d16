"""Properties of sizing that must hold for any account, instrument and signal."""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mats.domain.cerebro.brain import decide
from mats.domain.cerebro.decisions import CerebroSettings
from mats.domain.execution.records import new_record
from mats.domain.market import AssetClass
from mats.domain.risk import GLOBAL_SCOPE, RiskSetting, RiskState
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

MONEY = st.decimals(min_value=Decimal(1000), max_value=Decimal(10_000_000), places=2)
PRICES = st.decimals(min_value=Decimal("0.5"), max_value=Decimal(100_000), places=2)
PERCENTS = st.decimals(min_value=Decimal("0.1"), max_value=Decimal(50), places=1)
LOTS = st.sampled_from([Decimal(1), Decimal("0.001"), Decimal("0.00001"), Decimal(100)])
MULTIPLIERS = st.sampled_from([Decimal(1), Decimal(5), Decimal(50)])
MARGIN_RATES = st.sampled_from([None, Decimal("0.05"), Decimal("0.25"), Decimal(1)])
SETTINGS = CerebroSettings()


@settings(max_examples=400, deadline=None)
@given(
    equity=MONEY,
    used_fraction=st.decimals(min_value=0, max_value=Decimal("0.5"), places=3),
    percent=PERCENTS,
    price=PRICES,
    lot=LOTS,
    multiplier=MULTIPLIERS,
    margin_rate=MARGIN_RATES,
    max_position=st.one_of(st.none(), st.decimals(min_value=1, max_value=10_000_000, places=0)),
    held_lots=st.integers(min_value=0, max_value=50),
    working_lots=st.lists(st.integers(min_value=1, max_value=40), max_size=3),
    others_margin=st.decimals(min_value=0, max_value=Decimal(100_000), places=2),
)
def test_entries_never_exceed_allocation_max_position_or_margin_counting_working_orders(
    equity: Decimal,
    used_fraction: Decimal,
    percent: Decimal,
    price: Decimal,
    lot: Decimal,
    multiplier: Decimal,
    margin_rate: Decimal | None,
    max_position: Decimal | None,
    held_lots: int,
    working_lots: list[int],
    others_margin: Decimal,
) -> None:
    held = lot * held_lots
    working = [lot * n for n in working_lots]
    instrument = an_instrument(lot_size=lot, multiplier=multiplier, margin_rate=margin_rate)
    account = an_account(equity=equity, margin_used=equity * used_fraction)
    strategy = a_strategy("momentum", risk_limits=RiskLimits(max_position_size=max_position))
    unit_value = price * multiplier
    margin_per_unit = unit_value * margin_rate if margin_rate is not None else unit_value
    own_orders = [
        new_record(an_order(f"w{i}_ORD", quantity=q, margin_per_unit=margin_per_unit), NOW)
        for i, q in enumerate(working)
    ]
    # Another strategy's entry on the same account, still working: it holds margin too.
    other = an_order("other_ORD", strategy_id="other", quantity=Decimal(1))
    other_orders = [new_record(replace(other, margin_per_unit=others_margin), NOW)]
    signal = a_signal(price=price)
    if held:
        signal = a_signal(
            price=price,
            intent=Intent.ADD,
            previous=Position(PositionSide.LONG, Decimal(1)),
            target=Position(PositionSide.LONG, Decimal(1000)),
        )
    inputs = decision_inputs(
        instrument=instrument,
        account=account,
        strategy=strategy,
        allocation=an_allocation(str(percent)),
        position=a_position(str(held)) if held else None,
        orders=tuple(own_orders + other_orders),
    )

    decision = decide(signal, inputs, SETTINGS, NOW)

    committed = held + sum(working, Decimal(0))
    in_flight = sum(working, Decimal(0)) * margin_per_unit + others_margin
    for order in decision.orders:
        quantity = order.quantity
        assert quantity > 0
        assert quantity % lot == 0
        assert (committed + quantity) * unit_value <= equity * percent / 100
        if max_position is not None:
            assert (committed + quantity) * unit_value <= max_position
        used = account.margin_used + in_flight + quantity * margin_per_unit
        assert used <= equity * SETTINGS.margin_limit


@settings(max_examples=300, deadline=None)
@given(
    held=st.decimals(min_value=Decimal("-500"), max_value=Decimal(500), places=3),
    risk=st.sampled_from([RiskState.ACTIVE, RiskState.REDUCING]),
    allocated=st.booleans(),
    intent=st.sampled_from([Intent.EXIT, Intent.REDUCE]),
    sizes=st.tuples(st.integers(1, 20), st.integers(0, 20)),
)
def test_exits_always_produce_an_order_when_a_position_exists_and_trading_is_not_halted(
    held: Decimal, risk: RiskState, allocated: bool, intent: Intent, sizes: tuple[int, int]
) -> None:
    assume(held != 0)
    side = PositionSide.LONG if held > 0 else PositionSide.SHORT
    before, after = sizes
    target = (
        Position(side, Decimal(after))
        if intent is Intent.REDUCE and after
        else Position(PositionSide.FLAT, Decimal(0))
    )
    signal = a_signal(
        intent=intent,
        side=None,
        previous=Position(side, Decimal(max(before, after + 1))),
        target=target,
        price=None,
    )
    crypto = an_instrument(asset_class=AssetClass.CRYPTO, lot_size=Decimal("0.001"))
    inputs = decision_inputs(
        instrument=crypto,
        position=a_position(str(held)),
        allocation=an_allocation() if allocated else None,
        risk_global=RiskSetting(GLOBAL_SCOPE, risk, NOW),
    )

    decision = decide(signal, inputs, SETTINGS, NOW)

    [order] = decision.orders
    assert order.purpose is OrderPurpose.EXIT
    assert order.side is (Side.SELL if held > 0 else Side.BUY)
    assert 0 < order.quantity <= abs(held)


@settings(max_examples=300, deadline=None)
@given(
    held=st.integers(min_value=1, max_value=400), price=PRICES, percent=PERCENTS, long=st.booleans()
)
def test_reverse_equals_exit_then_entry(
    held: int, price: Decimal, percent: Decimal, long: bool
) -> None:
    ours, theirs = (
        (PositionSide.LONG, PositionSide.SHORT) if long else (PositionSide.SHORT, PositionSide.LONG)
    )
    quantity = Decimal(held) if long else Decimal(-held)
    new_side = Side.SELL if long else Side.BUY
    common = {"price": price, "side": new_side}
    reverse = a_signal(
        intent=Intent.REVERSE,
        previous=Position(ours, Decimal(1)),
        target=Position(theirs, Decimal(1)),
        **common,
    )
    exit_ = a_signal(
        intent=Intent.EXIT,
        previous=Position(ours, Decimal(1)),
        target=Position(PositionSide.FLAT, Decimal(0)),
        **common,
    )
    entry = a_signal(
        intent=Intent.ENTRY_SHORT if long else Intent.ENTRY_LONG,
        previous=Position(PositionSide.FLAT, Decimal(0)),
        target=Position(theirs, Decimal(1)),
        **common,
    )
    allocation = an_allocation(str(percent))
    positioned = decision_inputs(position=a_position(str(quantity)), allocation=allocation)
    flat = decision_inputs(allocation=allocation)

    reversed_orders = decide(reverse, positioned, SETTINGS, NOW).orders
    exit_orders = decide(exit_, positioned, SETTINGS, NOW).orders
    entry_orders = decide(entry, flat, SETTINGS, NOW).orders

    def comparable(order: object) -> object:
        return dataclasses.replace(order, id="", stop_loss=None, take_profit=None)  # type: ignore[type-var]

    assert [comparable(o) for o in reversed_orders] == [
        comparable(o) for o in exit_orders + entry_orders
    ]
    assert reversed_orders[0].id.endswith("_ORD_EXIT")
