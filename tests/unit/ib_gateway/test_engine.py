"""The simulated broker's order lifecycle, driven directly with a fake clock and scheduler."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mats.localstack.ib_gateway.catalog import Catalog, ContractFields
from mats.localstack.ib_gateway.engine import Engine
from mats.localstack.ib_gateway.events import (
    Event,
    Identity,
    OrderError,
    OrderUpdate,
    PositionChanged,
    WhatIfResult,
)
from mats.localstack.ib_gateway.ledger import Ledger
from mats.localstack.ib_gateway.model import ExecutionFilter, OrderTicket, Settings
from mats.localstack.ib_gateway.prices import PriceBook

NOW = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
CLIENT = 7
AAPL = ContractFields(symbol="AAPL", sec_type="STK", exchange="SMART", currency="USD")


class Harness:
    """An engine wired to fakes: a settable clock, a manual scheduler, an event list."""

    def __init__(self, accounts: tuple[str, ...] = ("DU1",)) -> None:
        self.now = NOW
        self.events: list[Event] = []
        self.scheduled: list[Callable[[], None]] = []
        self.settings = Settings()
        self.prices = PriceBook(100.0)
        self.ledger = Ledger(list(accounts), 1_000_000.0, self.settings, self.prices.price_of)
        self.engine = Engine(
            catalog=Catalog(NOW.date()),
            ledger=self.ledger,
            prices=self.prices,
            settings=self.settings,
            clock=lambda: self.now,
            schedule=lambda _delay, callback: self.scheduled.append(callback),
            emit=self.events.append,
            identity=Identity(perm_id_base=5000, exec_id_token="0000abcd"),
        )

    def place(self, order_id: int, **changes: Any) -> None:
        ticket = OrderTicket(
            order_id=order_id, contract=AAPL, action="BUY", quantity=10, order_type="MKT"
        )
        self.engine.place(changes.pop("client_id", CLIENT), replace(ticket, **changes))

    def move(self, symbol: str, price: float) -> None:
        self.engine.prices_changed(self.prices.update({symbol: price}))

    def statuses(self, order_id: int) -> list[str]:
        return [
            event.snapshot.status.value
            for event in self.events
            if isinstance(event, OrderUpdate) and event.order.order_id == order_id
        ]

    def status(self, order_id: int) -> str:
        return self.statuses(order_id)[-1]

    def errors(self) -> list[tuple[int, int]]:
        return [(e.order_id, e.code) for e in self.events if isinstance(e, OrderError)]


@pytest.fixture
def harness() -> Harness:
    return Harness()


def test_market_order_is_announced_then_filled(harness: Harness) -> None:
    harness.place(1, order_ref="sig-1")
    updates = [event for event in harness.events if isinstance(event, OrderUpdate)]
    assert [(u.snapshot.status.value, u.announce) for u in updates] == [
        ("Submitted", True),
        ("Filled", True),
    ]
    execution = updates[1].execution
    assert execution is not None
    assert (execution.exec_id, execution.order_ref, execution.perm_id) == (
        "0000abcd.00000001.01.01",
        "sig-1",
        5001,
    )
    assert (execution.shares, execution.price, execution.commission) == (10, 100.0, 0.05)
    assert any(isinstance(event, PositionChanged) for event in harness.events)
    assert harness.engine.next_valid_id == 2


def test_bracket_children_wait_for_the_parent_and_cancel_each_other(harness: Harness) -> None:
    harness.place(1, order_type="LMT", limit_price=99.0, transmit=False)
    harness.place(
        2, action="SELL", order_type="LMT", limit_price=110.0, parent_id=1, transmit=False
    )
    assert harness.events == []
    harness.place(3, action="SELL", order_type="STP", aux_price=95.0, parent_id=1)
    assert [harness.status(n) for n in (1, 2, 3)] == ["Submitted", "PreSubmitted", "PreSubmitted"]
    harness.move("AAPL", 98.0)
    assert [harness.status(n) for n in (1, 2, 3)] == ["Filled", "Submitted", "Submitted"]
    harness.move("AAPL", 111.0)
    assert [harness.status(n) for n in (1, 2, 3)] == ["Filled", "Filled", "Cancelled"]
    assert [e.price for e in harness.engine.executions] == [99.0, 110.0]


def test_cancelling_the_parent_cancels_its_children(harness: Harness) -> None:
    harness.place(1, order_type="LMT", limit_price=90.0, transmit=False)
    harness.place(2, action="SELL", order_type="STP", aux_price=80.0, parent_id=1)
    harness.engine.cancel(CLIENT, 1)
    assert [harness.status(n) for n in (1, 2)] == ["Cancelled", "Cancelled"]
    assert harness.errors() == [(1, 202)]


def test_ioc_fills_what_it_can_and_cancels_the_rest(harness: Harness) -> None:
    harness.place(1, order_type="LMT", limit_price=90.0, tif="IOC")
    assert harness.statuses(1) == ["Submitted", "Cancelled"]
    harness.settings.hold_remainder = True
    harness.place(2, tif="IOC")
    assert harness.statuses(2) == ["Submitted", "Submitted", "Cancelled"]
    assert harness.engine.executions[-1].shares == 5


def test_gtd_orders_expire_at_their_time(harness: Harness) -> None:
    good_till = (NOW + timedelta(minutes=1)).strftime("%Y%m%d-%H:%M:%S")
    harness.place(1, order_type="LMT", limit_price=90.0, tif="GTD", good_till_date=good_till)
    harness.engine.expire(NOW + timedelta(seconds=30))
    assert harness.status(1) == "Submitted"
    harness.engine.expire(NOW + timedelta(seconds=61))
    assert harness.status(1) == "Cancelled"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"tif": "GTD", "good_till_date": "20260105-14:00:00"}, 201),
        ({"tif": "GTD", "good_till_date": "someday"}, 201),
        ({"tif": "OPG"}, 201),
        ({"order_type": "TRAIL"}, 201),
        ({"order_type": "LMT"}, 201),
        ({"quantity": 0}, 201),
        ({"action": "SSHORT"}, 201),
        ({"order_type": "LMT", "limit_price": 100.001}, 110),
        ({"parent_id": 99}, 201),
        ({"unsupported": "Algo orders are not simulated"}, 201),
        ({"contract": ContractFields(symbol="ZZ", sec_type="FUT")}, 200),
        ({"account": "DU9"}, 201),
    ],
)
def test_orders_tws_would_refuse_are_refused(
    harness: Harness, changes: dict[str, Any], code: int
) -> None:
    harness.place(1, **changes)
    assert harness.errors() == [(1, code)]
    assert harness.engine.executions == []


def test_an_order_without_account_needs_one_when_several_are_managed() -> None:
    harness = Harness(accounts=("DU1", "DU2"))
    harness.place(1)
    harness.place(2, account="DU2")
    assert harness.errors() == [(1, 436)]
    assert harness.engine.executions[0].account == "DU2"


def test_reject_next_refuses_one_order_with_the_reason(harness: Harness) -> None:
    harness.engine.reject_next("Insufficient margin")
    harness.place(1, order_ref="sig-r")
    harness.place(2)
    [error] = [event for event in harness.events if isinstance(event, OrderError)]
    assert (error.order_id, error.code) == (1, 201)
    assert error.message == "Order rejected - reason:Insufficient margin"
    assert '"Insufficient margin"' in error.advanced
    assert harness.engine.orders[0].reject_reason == "Insufficient margin"
    assert harness.status(2) == "Filled"
    assert harness.engine.completed_orders() == [harness.engine.orders[1]]


def test_cancel_and_reuse_of_unknown_or_finished_ids_are_errors(harness: Harness) -> None:
    harness.place(1)
    harness.place(2, order_type="LMT", limit_price=90.0)
    harness.engine.cancel(CLIENT, 2)
    harness.engine.cancel(CLIENT, 1)
    harness.engine.cancel(CLIENT, 9)
    harness.place(1)
    harness.place(2)
    assert harness.errors() == [(2, 202), (1, 10148), (9, 10147), (1, 104), (2, 103)]


def test_restart_forgets_finished_ids_but_keeps_working_orders(harness: Harness) -> None:
    harness.place(1, order_ref="filled-before")
    harness.place(2, order_type="LMT", limit_price=90.0, order_ref="working")
    harness.place(3, order_type="LMT", limit_price=90.0, transmit=False)
    harness.engine.restart(next_valid_id=1)
    assert harness.engine.next_valid_id == 1
    harness.place(1, order_ref="after-restart")
    assert [e.order_ref for e in harness.engine.executions] == ["filled-before", "after-restart"]
    # The reissued id of a still-working order silently modifies it, as at IB.
    harness.place(2, order_type="LMT", limit_price=101.0, order_ref="working-modified")
    assert harness.engine.executions[-1].order_ref == "working-modified"
    assert [o.status.value for o in harness.engine.open_orders()] == []
    assert harness.engine.orders[2].status.value == "Cancelled"


def test_modification_reprices_a_working_order(harness: Harness) -> None:
    harness.place(1, order_type="LMT", limit_price=90.0)
    harness.place(1, order_type="LMT", limit_price=95.0)
    assert harness.statuses(1) == ["Submitted", "Submitted"]
    assert harness.engine.open_orders(CLIENT)[0].limit_price == 95.0
    harness.place(1, order_type="LMT", limit_price=101.0)
    assert harness.status(1) == "Filled"


def test_fill_delay_defers_matching_to_the_scheduler(harness: Harness) -> None:
    harness.settings.fill_delay = 0.2
    harness.place(1)
    assert harness.statuses(1) == ["Submitted"]
    [callback] = harness.scheduled
    callback()
    assert harness.status(1) == "Filled"


def test_held_remainder_fills_only_when_asked(harness: Harness) -> None:
    harness.settings.hold_remainder = True
    harness.settings.partial_slices = 4
    harness.place(1, quantity=8, order_ref="held")
    assert [e.shares for e in harness.engine.executions] == [2]
    harness.move("AAPL", 101.0)
    assert len(harness.engine.executions) == 1
    harness.engine.fill_held(order_ref="held", quantity=3)
    harness.engine.fill_held(order_ref="held")
    assert [e.cumulative_quantity for e in harness.engine.executions] == [2, 5, 8]
    assert harness.status(1) == "Filled"
    with pytest.raises(LookupError):
        harness.engine.fill_held(order_ref="held")


def test_what_if_prices_the_order_without_placing_it(harness: Harness) -> None:
    harness.place(1, what_if=True)
    [result] = harness.events
    assert isinstance(result, WhatIfResult)
    assert result.impact.initial_change == pytest.approx(0.25 * 10 * 100)
    assert harness.engine.orders == []


def test_execution_filters_select_by_client_side_symbol_and_time(harness: Harness) -> None:
    harness.place(1)
    harness.now = NOW + timedelta(hours=1)
    harness.place(2, action="SELL", client_id=8)
    engine = harness.engine
    assert len(engine.executions_matching(ExecutionFilter())) == 2
    assert [e.order_id for e in engine.executions_matching(ExecutionFilter(client_id=8))] == [2]
    assert [e.order_id for e in engine.executions_matching(ExecutionFilter(side="BUY"))] == [1]
    later = ExecutionFilter(time=NOW + timedelta(minutes=30))
    assert [e.order_id for e in engine.executions_matching(later)] == [2]
    assert engine.executions_matching(ExecutionFilter(symbol="MSFT")) == []
