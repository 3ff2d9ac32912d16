"""The execution-time risk gate: a halt stops what was already decided, exits are held and sent
when it is lifted, REDUCING refuses entries, and an exit never opens a position."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from mats.domain.accounting import StrategyPosition
from mats.domain.execution.gate import Verdict, gate
from mats.domain.execution.records import new_record
from mats.domain.execution.states import OrderState
from mats.domain.risk import GLOBAL_SCOPE, RiskSetting, RiskState, strategy_scope
from mats.domain.trading import OrderAction, OrderPurpose, Side
from tests.unit.services.execution_world import NOW, World, a_world, an_exit, an_order


def halt(world: World, scope: str = GLOBAL_SCOPE, state: RiskState = RiskState.HALTED) -> None:
    world.store.risk[scope] = RiskSetting(scope, state, NOW, "test", "ops")


def hold(world: World, quantity: str) -> None:
    world.store.put_position(StrategyPosition("IBKR_Main", "trend", "AAPL", Decimal(quantity), NOW))


def test_an_entry_decided_before_a_halt_is_refused_with_the_reason_and_never_sent() -> None:
    world = a_world()
    halt(world)

    record = world.submission.handle_order(an_order())

    assert record.state is OrderState.REJECTED
    assert record.reason == "TRADING_HALTED: trading is HALTED"
    assert record.transitions[-1].note == "TRADING_HALTED: trading is HALTED"
    assert world.venue.placed == []


def test_a_strategy_halt_stops_its_entries_too() -> None:
    world = a_world()
    halt(world, strategy_scope("trend"))

    assert world.submission.handle_order(an_order()).state is OrderState.REJECTED
    assert world.venue.placed == []


def test_a_halted_exit_is_held_alerted_once_and_sent_when_the_halt_is_lifted() -> None:
    world = a_world()
    hold(world, "10")
    halt(world)

    held = world.submission.handle_order(an_exit())
    world.submission.handle_order(an_exit())  # A redelivery while held changes nothing.
    for _ in range(3):
        world.bridge.poll_orders()
    placed_while_halted = list(world.venue.placed)
    halt(world, state=RiskState.ACTIVE)
    world.bridge.poll_orders()

    assert held.held_reason == "TRADING_HALTED: trading is HALTED: held"
    assert placed_while_halted == []
    assert [a.kind for a in world.notifier.sent if a.kind.startswith("EXIT")] == ["EXIT_HELD"]
    assert [o.quantity for o in world.venue.placed] == [Decimal(10)]
    final = world.store.orders[an_exit().id]
    assert final.state is OrderState.FILLED
    notes = [t.note or "" for t in final.transitions]
    assert any(n.startswith("held:") for n in notes)
    assert any(n.startswith("released:") for n in notes)
    assert world.position() == Decimal(0)


def test_a_failed_exit_is_not_retried_while_halted() -> None:
    world = a_world()
    hold(world, "10")
    world.venue.script = ["reject"]
    world.submission.handle_order(an_exit())
    halt(world)

    world.clock.advance(3600)
    world.bridge.poll_orders()

    assert world.venue.placed == []
    assert world.store.orders[an_exit().id].held_reason is not None


def test_reducing_refuses_entries_and_sends_exits() -> None:
    world = a_world()
    hold(world, "10")
    halt(world, strategy_scope("trend"), RiskState.REDUCING)

    entry = world.submission.handle_order(an_order(id="trend_e_ORD"))
    exit_ = world.submission.handle_order(an_exit())

    assert (entry.state, entry.reason) == (
        OrderState.REJECTED,
        "REDUCING_ONLY: the strategy may only reduce: entries are refused",
    )
    assert exit_.state is OrderState.FILLED


def test_an_exit_larger_than_the_position_left_is_trimmed_to_it() -> None:
    world = a_world()
    hold(world, "4")  # A stop-loss closed six of the ten in the meantime.

    record = world.submission.handle_order(an_exit(quantity=Decimal(10)))

    assert [o.quantity for o in world.venue.placed] == [Decimal(4)]
    assert record.state is OrderState.FILLED
    assert any("trimmed from 10 to 4" in (t.note or "") for t in record.transitions)
    assert world.position() == Decimal(0)


def test_an_exit_with_nothing_left_to_close_ends_without_opening_the_other_way() -> None:
    world = a_world()

    record = world.submission.handle_order(an_exit())

    assert record.state is OrderState.CANCELLED
    assert (record.reason or "").startswith("NO_POSITION")
    assert world.venue.placed == []


def test_a_cancel_open_ends_done_and_spares_the_orders_of_its_own_signal() -> None:
    world = a_world()
    world.venue.script = ["rest", "rest"]
    earlier = an_order(id="trend_a_ORD", signal_id="trend_a")
    same_signal = an_order(id="trend_b_ORD", signal_id="trend_b")
    world.submission.handle_order(earlier)
    world.submission.handle_order(same_signal)

    done = world.submission.handle_order(
        an_order(
            id="trend_b_ORD_CANCEL",
            signal_id="trend_b",
            action=OrderAction.CANCEL_OPEN,
            side=None,
            quantity=Decimal(0),
            purpose=OrderPurpose.EXIT,
        )
    )

    assert done.state is OrderState.DONE
    assert world.store.orders["trend_a_ORD"].state is OrderState.CANCELLED
    assert world.store.orders["trend_b_ORD"].state is not OrderState.CANCELLED


def test_a_fill_larger_than_ordered_raises_a_critical_alert() -> None:
    world = a_world()
    world.venue.script = ["rest"]
    record = world.submission.handle_order(an_order())
    world.venue.fill(record.order_id, Decimal(15))

    world.bridge.poll_orders()

    assert ("OVERFILLED", "CRITICAL") in [(a.kind, a.severity.value) for a in world.notifier.sent]


def test_the_gate_sends_cancels_whatever_the_risk_state() -> None:
    cancel = new_record(
        an_order(action=OrderAction.CANCEL_OPEN, side=None, quantity=Decimal(0)), NOW
    )

    decided = gate(cancel, risk=RiskState.HALTED, held=Decimal(0), working=())

    assert decided.verdict is Verdict.SEND


def test_the_gate_counts_exits_already_sent_but_not_bracket_legs() -> None:
    exit_ = new_record(an_exit(quantity=Decimal(10)), NOW)
    sent = dataclasses.replace(
        new_record(an_exit(id="trend_other_ORD", quantity=Decimal(6)), NOW), attempts=1
    )
    leg = dataclasses.replace(
        new_record(an_exit(id="trend_e_ORD_SL", quantity=Decimal(10)), NOW), attempts=1
    )

    decided = gate(exit_, risk=RiskState.ACTIVE, held=Decimal(10), working=(exit_, sent, leg))

    assert (decided.verdict, decided.quantity, decided.code) == (
        Verdict.SEND,
        Decimal(4),
        "TRIMMED",
    )


def test_the_gate_refuses_an_exit_on_the_wrong_side_of_the_position() -> None:
    buy_to_close = new_record(an_exit(side=Side.BUY), NOW)

    decided = gate(buy_to_close, risk=RiskState.ACTIVE, held=Decimal(10), working=())

    assert (decided.verdict, decided.code) == (Verdict.REFUSE, "NO_POSITION")
