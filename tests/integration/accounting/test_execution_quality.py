"""Each filled order's implementation shortfall from its four prices, and its groups' aggregates."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from mats.adapters.firestore.documents import SIGNALS, to_document
from mats.contracts import encode, to_message
from mats.domain.execution.records import new_record
from mats.domain.signals.records import OutboxState, SignalRecord, SignalStatus
from mats.domain.trading import Side
from mats.services.accounting.quality import OrderShortfall
from tests.builders import a_signal, an_order
from tests.integration.accounting.conftest import Books

D = Decimal
ALERT = datetime(2026, 1, 2, 14, 30, tzinfo=UTC)


def test_a_buy_filled_in_two_is_measured_against_its_four_prices(books: Books) -> None:
    signal = a_signal(id="q1", price=D("100.00"), signal_time=ALERT, sender_id="snd-q")
    received = ALERT + timedelta(milliseconds=400)
    record = SignalRecord(
        signal_id="q1",
        strategy_id=signal.strategy_id,
        sender_id="snd-q",
        received_at=received,
        business_key="q1",
        status=SignalStatus.ACCEPTED,
        raw_payload="{}",
        message=encode(to_message(signal)).data.decode(),
        source_format="native",
        symbol="AAPL",
        intent="ENTRY_LONG",
        outbox_state=OutboxState.PUBLISHED,
    )
    books.services.firestore.collection(SIGNALS).document("q1").set(to_document(record))
    decided = received + timedelta(milliseconds=100)
    order = an_order("q1_ORD", quantity=D(10), decision_mid=D("100.10"), created_at=decided)
    submitted = decided + timedelta(milliseconds=50)
    books.services.execution_store.put_order(
        replace(new_record(order, decided), submitted_at=submitted, arrival_mid=D("100.20"))
    )
    books.clock.current = ALERT + timedelta(seconds=5)
    first = submitted + timedelta(milliseconds=150)
    for execution, quantity, price, at in [
        ("q-e1", "6", "100.30", first),
        ("q-e2", "4", "100.40", first + timedelta(milliseconds=20)),
    ]:
        fill = books.fill(
            execution,
            signal_id="q1",
            strategy_id=signal.strategy_id,
            account="IBKR_Main",
            symbol="AAPL",
            side=Side.BUY,
            quantity=quantity,
            price=price,
            at=at,
            commission="0.50",
        )
        books.accounting.on_fill(fill, message_id=execution)

    stored = books.services.records.get("shortfall_orders", "q1_ORD", OrderShortfall)
    measured = stored.shortfall
    # VWAP (6 x 100.30 + 4 x 100.40) / 10 = 100.34. A buy: positive = cost.
    # signal -> decision (100.10 - 100.00) / 100.00 = 10 bp; decision -> arrival
    # (100.20 - 100.10) / 100.10 = 9.9900 bp; execution (100.34 - 100.20) / 100.20 = 13.9721 bp;
    # total (100.34 - 100.00) / 100.00 = 34 bp; fees 1.00 / 1,003.40 = 9.9661 bp.
    assert measured.signal_to_decision == D("10.0000")
    assert measured.decision_to_arrival == D("9.9900")
    assert measured.execution == D("13.9721")
    assert measured.total == D("34.0000")
    assert measured.fees_bps == D("9.9661")
    latency = measured.latencies_ms
    assert (latency.alert_to_webhook, latency.webhook_to_decision) == (400, 100)
    assert (latency.decision_to_submit, latency.submit_to_first_fill) == (50, 150)
    by_sender = books.accounting.quality.summary("sender", "snd-q")
    assert by_sender.orders == 1
    assert by_sender.weighted_mean_bps == D("34.0000")
