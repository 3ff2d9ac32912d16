"""How the activity reads answer: a sender's signals carry their own sizing and P&L and nothing
of anyone else's, orders carry their own fills, lists leave the heavy parts out."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from mats.api.handlers.activity_views import (
    order_view,
    orders_with_fills,
    own_signals,
    signal_detail,
    signal_summary,
    signals_with_sizing,
)
from mats.contracts import encode, to_message
from mats.domain.accounting.views import SignalPnl
from mats.domain.cerebro.decisions import DecisionStatus, Reason
from mats.domain.cerebro.sizing import SignalSizing
from mats.domain.execution.records import moved, new_record
from mats.domain.execution.states import OrderState
from mats.domain.signals.records import OutboxState, SignalRecord, SignalStatus
from tests.builders import NOW, a_fill, a_signal, an_order

MINE, OTHER = "alpha-1a2b3c", "beta-9z8y7x"


def a_record(signal_id: str, sender_id: str = MINE, **overrides: Any) -> SignalRecord:
    fields: dict[str, Any] = {
        "signal_id": signal_id,
        "strategy_id": "momentum",
        "sender_id": sender_id,
        "received_at": NOW,
        "business_key": "k-" + signal_id,
        "status": SignalStatus.ACCEPTED,
        "raw_payload": '{"ticker": "AAPL", "secret": "[redacted]"}',
        "message": encode(to_message(a_signal(id=signal_id))).data.decode(),
        "source_format": "tradingview",
        "symbol": "AAPL",
        "intent": "ENTRY_LONG",
        "outbox_state": OutboxState.PUBLISHED,
    }
    fields.update(overrides)
    return SignalRecord(**fields)


def a_pnl(signal_id: str, sender_id: str = MINE) -> SignalPnl:
    return SignalPnl(
        signal_id=signal_id,
        sender_id=sender_id,
        strategy_id="momentum",
        account="IBKR_Main",
        symbol="AAPL",
        currency="USD",
        opened_quantity=Decimal(50),
        open_quantity=Decimal(50),
        realized=Decimal(0),
        commissions=Decimal("1.25"),
        unrealized=Decimal("120.50"),
        net=Decimal("119.25"),
        as_of=NOW,
    )


def a_sizing(signal_id: str, outcome: DecisionStatus = DecisionStatus.APPROVED) -> SignalSizing:
    refused = outcome is DecisionStatus.REJECTED
    return SignalSizing(
        signal_id=signal_id,
        decided_at=NOW,
        outcome=outcome,
        reasons=(Reason.NO_ALLOCATION,) if refused else (),
        quantity=Decimal(0) if refused else Decimal(50),
        notional=None if refused else Decimal(10000),
        currency=None if refused else "USD",
        allocated_capital=None if refused else Decimal(10000),
    )


def test_each_of_a_senders_signals_carries_its_own_sizing_and_pnl() -> None:
    records = [a_record("s_3"), a_record("s_2"), a_record("s_1")]
    sizings = [a_sizing("s_1"), a_sizing("s_2", DecisionStatus.REJECTED)]

    items = own_signals(records, [a_pnl("s_1")], sizings, MINE)

    assert [item["signal_id"] for item in items] == ["s_3", "s_2", "s_1"]
    undecided, refused, filled = items
    assert (undecided["sizing"], undecided["pnl"]) == (None, None)
    assert refused["sizing"]["outcome"] == "REJECTED"
    assert refused["sizing"]["reasons"] == ["NO_ALLOCATION"]
    assert refused["pnl"] is None
    assert filled["sizing"] == {
        "signal_id": "s_1",
        "decided_at": "2026-11-20T14:30:05.000000Z",
        "outcome": "APPROVED",
        "reasons": [],
        "quantity": "50",
        "notional": "10000",
        "currency": "USD",
        "allocated_capital": "10000",
    }
    assert filled["pnl"]["net"] == "119.25"


def test_a_senders_page_shows_nothing_of_another_senders_signals() -> None:
    records = [a_record("s_1"), a_record("x_1", sender_id=OTHER)]

    items = own_signals(
        records, [a_pnl("s_1"), a_pnl("x_1", OTHER)], [a_sizing("s_1"), a_sizing("x_1")], MINE
    )

    assert [item["signal_id"] for item in items] == ["s_1"]
    assert "x_1" not in repr(items)


def test_a_senders_signal_shows_what_they_sent_not_how_it_was_processed() -> None:
    (item,) = own_signals([a_record("s_1")], [], [], MINE)

    assert set(item) == {
        "signal_id",
        "received_at",
        "strategy_id",
        "symbol",
        "intent",
        "status",
        "rejection_reason",
        "rejection_detail",
        "sizing",
        "pnl",
    }


def test_a_signal_in_a_list_leaves_its_bodies_out_and_one_signal_decodes_them() -> None:
    record = a_record("s_1")

    summary = signal_summary(record, None)
    detail = signal_detail(record, None)

    assert "raw_payload" not in summary
    assert "message" not in summary
    assert summary["outbox_state"] == "PUBLISHED"
    assert detail["raw_payload"] == record.raw_payload
    assert detail["signal"]["id"] == "s_1"
    assert detail["signal"]["symbol"] == "AAPL"
    assert {k: detail[k] for k in summary} == summary


def test_a_signal_shows_its_senders_price_and_each_its_own_sizing() -> None:
    unpriced = encode(to_message(a_signal(id="s_3", price=None))).data.decode()
    records = [a_record("s_3", message=unpriced), a_record("s_2"), a_record("s_1")]
    sizings = [a_sizing("s_1"), a_sizing("s_2", DecisionStatus.REJECTED), a_sizing("x_9")]

    undecided, refused, approved = signals_with_sizing(records, sizings)

    assert [s["price"] for s in (undecided, refused, approved)] == [None, "200", "200"]
    assert undecided["sizing"] is None
    assert (refused["sizing"]["outcome"], refused["sizing"]["reasons"]) == (
        "REJECTED",
        ["NO_ALLOCATION"],
    )
    assert approved["sizing"]["signal_id"] == "s_1"
    assert approved["sizing"]["quantity"] == "50"
    assert "x_9" not in repr([undecided, refused, approved])


def test_orders_carry_only_their_own_fills_and_a_list_leaves_their_history_out() -> None:
    first = new_record(an_order("a_1_ORD"), NOW)
    second = moved(
        new_record(an_order("a_2_ORD"), NOW),
        OrderState.REJECTED,
        NOW + timedelta(seconds=1),
        "the venue refused: no permissions",
    )
    fills = [
        a_fill("e.1", order_id="a_1_ORD", quantity=Decimal(4)),
        a_fill("e.2", order_id="a_1_ORD", quantity=Decimal(6)),
        a_fill("e.3", order_id="b_9_ORD"),
    ]

    listed = orders_with_fills([first, second], fills)
    one = order_view(second, fills, history=True)

    assert [o["order_id"] for o in listed] == ["a_1_ORD", "a_2_ORD"]
    assert [f["id"] for f in listed[0]["fills"]] == ["e.1", "e.2"]
    assert listed[1]["fills"] == []
    assert all("transitions" not in o for o in listed)
    assert one["fills"] == []
    assert [(t["state"], t["note"]) for t in one["transitions"]] == [
        ("NEW", None),
        ("REJECTED", "the venue refused: no permissions"),
    ]
    assert one["reason"] == "the venue refused: no permissions"


def test_money_in_an_order_is_a_decimal_string() -> None:
    record = new_record(an_order(quantity=Decimal("0.0025")), NOW)

    shown = order_view(record, [a_fill(price=Decimal("100.05"))], history=False)

    assert shown["order"]["quantity"] == "0.0025"
    assert shown["order"]["reference_price"] == "100"
    assert shown["fills"][0]["price"] == "100.05"
    assert shown["average_price"] is None
