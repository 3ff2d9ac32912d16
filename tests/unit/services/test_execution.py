"""The bridge's execution: sent once, fills booked once, persistent exits, brackets, alerts."""

from __future__ import annotations

import dataclasses
import random
from datetime import timedelta
from decimal import Decimal

import pytest

from mats.domain.execution.states import OrderState
from mats.domain.trading import BracketLeg, OrderAction, OrderPurpose, OrderType, Side, TradingMode
from mats.domain.venues import VenueOrderReport, VenueStatus
from mats.errors import NotFoundError, TemporaryError
from mats.services.execution.router import VenueUnavailableError
from tests.unit.services.execution_world import NOW, a_world, an_exit, an_order


def test_the_same_order_delivered_three_times_is_placed_once_and_booked_once() -> None:
    world = a_world()

    for _ in range(3):
        record = world.submission.handle_order(an_order())

    assert len(world.venue.placed) == 1
    assert record.state is OrderState.FILLED
    assert world.position() == Decimal(10)
    assert len(world.store.fills) == 1
    (fill,) = world.published_fills()
    assert fill.order_id == "trend_20261120_143000_1_ORD"
    assert fill.purpose is OrderPurpose.ENTRY
    states = [t.state for t in world.store.orders[record.order_id].transitions]
    assert states == [OrderState.NEW, OrderState.SUBMITTED, OrderState.FILLED]


def test_paper_mode_orders_go_to_the_paper_venue_only() -> None:
    world = a_world()

    world.submission.handle_order(an_order(trading_mode=TradingMode.PAPER))

    assert world.venue.placed == []
    assert len(world.paper.placed) == 1
    position = world.store.position("IBKR_Main", "trend", "AAPL")
    assert position is not None
    assert position.source == "paper"  # Reconciliation leaves paper positions out.


def test_an_answer_lost_after_the_venue_filled_is_found_by_looking_up_never_sent_twice() -> None:
    world = a_world()
    world.venue.script = ["timeout-after-fill"]

    with pytest.raises(TemporaryError):
        world.submission.handle_order(an_order())
    record = world.submission.handle_order(an_order())  # Pub/Sub delivers it again.

    assert len(world.venue.placed) == 1
    assert record.state is OrderState.FILLED
    assert world.position() == Decimal(10)


def test_an_order_that_never_reached_the_venue_is_sent_after_the_claim_lapses() -> None:
    world = a_world()
    world.venue.script = ["lost"]

    with pytest.raises(TemporaryError):
        world.submission.handle_order(an_order())
    with pytest.raises(TemporaryError, match="being sent"):
        world.submission.handle_order(an_order())  # Inside the lease: maybe still on its way.
    world.clock.advance(61)
    record = world.submission.handle_order(an_order())

    assert [o.id for o in world.venue.placed] == ["trend_20261120_143000_1_ORD~2"]
    assert record.state is OrderState.FILLED


def test_an_entry_is_held_while_the_venue_pauses_and_sent_as_soon_as_it_resumes() -> None:
    world = a_world()
    world.venue.status_now = VenueStatus(False, False, "IB lost connectivity (1100)")

    with pytest.raises(VenueUnavailableError, match="1100"):
        world.submission.handle_order(an_order())
    assert world.venue.placed == []
    world.venue.status_now = VenueStatus(True, True)
    record = world.submission.handle_order(an_order())

    assert record.state is OrderState.FILLED
    assert len(world.venue.placed) == 1


def test_a_stale_entry_is_refused_not_sent() -> None:
    world = a_world()
    world.clock.advance(301)

    record = world.submission.handle_order(an_order())

    assert record.state is OrderState.REJECTED
    assert "too late" in (record.reason or "")
    assert world.venue.placed == []
    assert [a.kind for a in world.notifier.sent] == ["ENTRY_REJECTED"]


def test_a_refused_entry_is_rejected_with_the_venues_reason_and_an_alert() -> None:
    world = a_world()
    world.venue.script = ["reject"]

    record = world.submission.handle_order(an_order())

    assert record.state is OrderState.REJECTED
    assert record.reason == "insufficient margin"
    assert world.alerts.alerts["trend_20261120_143000_1_ORD_REJECTED"].kind == "ENTRY_REJECTED"


def test_a_refused_exit_raises_hell_and_is_retried_with_backoff_until_it_fills() -> None:
    world = a_world()
    world.submission.handle_order(an_order())
    world.venue.script = ["reject", "reject"]

    record = world.submission.handle_order(an_exit())
    assert record.next_retry_at == NOW + timedelta(seconds=2)
    world.clock.advance(1)
    world.bridge.poll_orders()
    assert len(world.venue.placed) == 1  # Not due yet.
    world.clock.advance(1)
    world.bridge.poll_orders()  # Attempt 2: refused again; next in 4 s.
    world.clock.advance(4)
    world.bridge.poll_orders()  # Attempt 3 fills.

    record = world.store.orders[an_exit().id]
    assert record.state is OrderState.FILLED
    assert record.attempts == 3
    assert world.venue.placed[-1].id == "trend_20261120_143500_2_ORD~3"
    assert world.position() == 0
    failures = [a for a in world.notifier.sent if a.kind == "EXIT_FAILED"]
    assert [a.severity.value for a in failures] == ["CRITICAL", "CRITICAL"]
    assert "failed (2 so far): insufficient margin; retrying in 4 s" in failures[1].message


def test_an_exit_partly_filled_then_cancelled_by_the_venue_is_retried_for_the_rest() -> None:
    world = a_world()
    world.submission.handle_order(an_order())
    world.venue.script = ["partial-then-cancel"]

    world.submission.handle_order(an_exit())
    world.clock.advance(2)
    world.bridge.poll_orders()

    record = world.store.orders[an_exit().id]
    assert [o.quantity for o in world.venue.placed[1:]] == [Decimal(10), Decimal(5)]
    assert record.state is OrderState.FILLED
    assert record.filled_quantity == Decimal(10)
    assert world.position() == 0


def test_an_operator_cancel_stops_an_exits_retries() -> None:
    world = a_world()
    world.submission.handle_order(an_order())
    world.venue.script = ["reject"]
    world.submission.handle_order(an_exit())

    record = world.submission.cancel(an_exit().id, by="ops@fund.example")
    world.clock.advance(60)
    world.bridge.poll_orders()

    assert record.state is OrderState.CANCELLED
    assert record.reason == "cancelled by ops@fund.example"
    assert len(world.venue.placed) == 1  # The entry; the refused exit never became an order.


def test_cancelling_an_unknown_order_is_an_error() -> None:
    with pytest.raises(NotFoundError, match="does not exist"):
        a_world().submission.cancel("nope", by="ops")


def test_a_venue_without_brackets_gets_the_legs_after_the_fill_and_one_cancels_the_other() -> None:
    world = a_world()
    order = an_order(
        take_profit=BracketLeg("trend_20261120_143000_1_ORD_TP", Decimal(110)),
        stop_loss=BracketLeg("trend_20261120_143000_1_ORD_SL", Decimal(95)),
    )
    world.venue.script = ["fill", "rest", "rest"]

    world.submission.handle_order(order)
    placed = {o.id: o for o in world.venue.placed}
    take, stop = placed["trend_20261120_143000_1_ORD_TP"], placed["trend_20261120_143000_1_ORD_SL"]
    assert (take.order_type, take.limit_price, take.side) == (OrderType.LIMIT, 110, Side.SELL)
    assert (stop.order_type, stop.stop_price, stop.quantity) == (OrderType.STOP, 95, 10)
    assert take.purpose is OrderPurpose.EXIT

    world.venue.fill(take.id, Decimal(10))
    world.submission.on_venue_event(take.id)

    assert world.store.orders[stop.id].state is OrderState.CANCELLED
    assert world.venue.cancelled == [stop.id]
    assert world.position() == 0


def test_a_venue_holding_brackets_gets_one_order_and_the_legs_fills_book_as_exits() -> None:
    world = a_world(native_brackets=True)
    leg_id = "trend_20261120_143000_1_ORD_TP"
    order = an_order(take_profit=BracketLeg(leg_id, Decimal(110)))

    world.submission.handle_order(order)
    assert len(world.venue.placed) == 1
    # The venue fills the leg it holds (IB sends its execution under the leg's orderRef).
    leg = dataclasses.replace(order, id=leg_id, side=Side.SELL, purpose=OrderPurpose.EXIT)
    world.venue.placed.append(leg)
    world.venue.orders[leg_id] = VenueOrderReport(leg_id, OrderState.ACCEPTED)
    world.venue.fill(leg_id, Decimal(10))
    world.submission.on_venue_event(leg_id)

    record = world.store.orders[leg_id]
    assert record.state is OrderState.FILLED
    assert record.order.purpose is OrderPurpose.EXIT
    assert world.position() == 0


def test_a_fill_whose_publish_failed_is_published_by_the_sweep_and_never_booked_twice() -> None:
    world = a_world()
    world.publisher.failing = True
    world.submission.handle_order(an_order())
    assert world.published_fills() == []

    world.publisher.failing = False
    world.bridge.poll_orders()
    world.bridge.poll_orders()

    assert len(world.published_fills()) == 1
    assert world.position() == Decimal(10)


def test_recovery_books_executions_the_bridge_missed_and_none_twice() -> None:
    world = a_world()
    world.venue.script = ["rest"]
    world.submission.handle_order(an_order())
    world.venue.fill(an_order().id, Decimal(4))  # While the bridge was not listening.
    world.venue.fill(an_order().id, Decimal(6))

    booked = world.submission.recover("IB", NOW - timedelta(days=1))
    again = world.submission.recover("IB", NOW - timedelta(days=1))

    assert (booked, again) == (2, 0)
    assert world.position() == Decimal(10)
    assert world.store.orders[an_order().id].state is OrderState.FILLED


def test_accounts_are_stored_published_and_margin_near_the_limit_alerts_once() -> None:
    world = a_world()

    world.accounts_out.publish()
    world.accounts_out.publish()

    assert world.accounts.accounts["IBKR_Main"].equity == Decimal(100_000)
    updates = [m for m in world.publisher.messages if m.topic == "account-updates"]
    assert len(updates) == 2
    assert [a.kind for a in world.notifier.sent] == ["MARGIN_NEAR_LIMIT"]
    assert "36.0%" in world.notifier.sent[0].message


def test_a_live_fill_publishes_its_accounts_update_on_the_next_poll() -> None:
    world = a_world()
    world.submission.handle_order(an_order())
    world.submission.handle_order(an_order(id="paper_ORD", trading_mode=TradingMode.PAPER))

    world.bridge.poll_orders()
    world.bridge.poll_orders()

    updates = [m for m in world.publisher.messages if m.topic == "account-updates"]
    assert len(updates) == 1
    assert updates[0].attributes["account"] == "IBKR_Main"


def test_a_venue_down_longer_than_allowed_raises_one_critical_alert() -> None:
    world = a_world()
    world.venue.status_now = VenueStatus(
        False, False, "disconnected", disconnected_since=NOW - timedelta(seconds=30)
    )
    world.venues.check()
    assert world.notifier.sent == []

    world.clock.advance(31)
    world.venues.check()
    world.venues.check()

    assert [(a.kind, a.severity.value) for a in world.notifier.sent] == [
        ("BROKER_DISCONNECTED", "CRITICAL")
    ]


def test_a_cancel_open_instruction_cancels_the_strategys_working_orders_in_the_symbol() -> None:
    world = a_world()
    world.venue.script = ["rest"]
    world.submission.handle_order(an_order(order_type=OrderType.LIMIT, limit_price=Decimal(90)))

    record = world.submission.handle_order(
        an_exit(id="trend_X_ORD", action=OrderAction.CANCEL_OPEN, side=None, quantity=Decimal(0))
    )

    assert world.store.orders[an_order().id].state is OrderState.CANCELLED
    assert record.state.ended
    assert world.venue.cancelled == [an_order().id]


def test_venue_fills_reported_three_times_in_any_order_are_booked_once_each() -> None:
    world = a_world()
    world.venue.script = ["rest"]
    record = world.submission.handle_order(an_order(quantity=Decimal(9)))
    for quantity in ("2", "3", "4"):
        world.venue.fill(record.order_id, Decimal(quantity))
    fills = list(world.venue.orders[record.order_id].fills)
    reports = [f for f in fills for _ in range(3)]
    random.Random(7).shuffle(reports)  # noqa: S311 - a test's order, not a secret

    booked = [world.booking.book(an_order(quantity=Decimal(9)), f, "IB") for f in reports]

    assert booked.count(True) == 3
    assert world.position() == Decimal(9)
    assert sorted(f.quantity for f in world.published_fills()) == [2, 3, 4]
