"""Dead letters: the push parsed, the letter read (ids of a known contract, never the data),
recorded and counted once per message, alerted once with a severity by what it carries."""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mats.contracts import AccountUpdateV1, encode, to_message
from mats.domain.alerts import AlertSeverity
from mats.domain.dead_letters import DeadLetterCount, source_topic
from mats.errors import ValidationError
from mats.services.dead_letters import (
    DEAD_LETTER_COUNTS,
    DEAD_LETTERS,
    DeadLetterPush,
    DeadLetterService,
    parse_push,
    read_letter,
)
from tests.builders import a_fill, an_order
from tests.fakes import FakeClock, InMemoryRecords, alert_service

NOW = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)


def envelope(
    data: bytes,
    *,
    message_id: str = "17",
    topic: str = "orders",
    source: str | None = "bridge-orders",
    attempts: str = "20",
    **attributes: str,
) -> dict[str, Any]:
    """A push of the dashboard's subscription to ``{topic}-dead-letter``, as Pub/Sub sends it."""
    forwarded = dict(attributes)
    if source is not None:
        forwarded |= {
            "CloudPubSubDeadLetterSourceSubscription": source,
            "CloudPubSubDeadLetterSourceSubscriptionProject": "mats-local",
            "CloudPubSubDeadLetterSourceDeliveryCount": attempts,
            "CloudPubSubDeadLetterSourceTopicPublishTime": "2026-11-20T14:00:00.123456Z",
        }
    return {
        "message": {
            "data": base64.b64encode(data).decode(),
            "messageId": message_id,
            "publishTime": "2026-11-20T14:29:59.5Z",
            "attributes": forwarded,
        },
        "subscription": f"projects/mats-local/subscriptions/dashboard-{topic}-dead-letter",
    }


def letter_of(body: dict[str, Any]) -> Any:
    return read_letter(parse_push(body), received_at=NOW)


def test_a_dead_lettered_order_is_read_with_its_ids_and_is_critical() -> None:
    order = an_order()

    letter = letter_of(envelope(encode(to_message(order)).data))

    assert (letter.letter_id, letter.message_id) == ("orders-dead-letter__17", "17")
    assert (letter.source_subscription, letter.topic) == ("bridge-orders", "orders")
    assert letter.delivery_attempts == 20
    assert letter.published_at == datetime(2026, 11, 20, 14, 0, 0, 123456, tzinfo=UTC)
    assert letter.dead_lettered_at == datetime(2026, 11, 20, 14, 29, 59, 500000, tzinfo=UTC)
    assert (letter.schema, letter.record_id, letter.order_id) == (
        "mats.order.v1",
        order.id,
        order.id,
    )
    assert (letter.signal_id, letter.strategy_id) == (order.signal_id, order.strategy_id)
    assert letter.account == order.account
    assert letter.undecodable is None
    assert letter.severity is AlertSeverity.CRITICAL


def test_a_dead_lettered_fill_names_its_order_and_is_critical() -> None:
    fill = a_fill()

    letter = letter_of(
        envelope(encode(to_message(fill)).data, topic="fills", source="dashboard-fills")
    )

    assert (letter.schema, letter.record_id, letter.order_id) == (
        "mats.fill.v1",
        fill.id,
        fill.order_id,
    )
    assert letter.severity is AlertSeverity.CRITICAL
    message = letter.alert(NOW).message
    assert "dashboard-fills" in message
    assert "after 20 delivery attempts" in message
    assert f"mats.fill.v1 {fill.id}" in message
    assert f"order {fill.order_id}" in message
    assert "a fill may not be booked" in message
    assert "fills-dead-letter-hold" in message


def test_an_account_update_is_a_warning() -> None:
    update = AccountUpdateV1(
        id="IBKR_Main@2026-11-20T14:00:00Z",
        created_at=NOW,
        account="IBKR_Main",
        broker="ib",
        currency="USD",
        equity=Decimal(1000),
        cash=Decimal(1000),
        margin_used=Decimal(0),
        as_of=NOW,
    )
    body = envelope(
        encode(update).data, topic="account-updates", source="dashboard-account-updates"
    )

    letter = letter_of(body)

    assert (letter.schema, letter.account) == ("mats.account.v1", "IBKR_Main")
    assert letter.severity is AlertSeverity.WARNING


@pytest.mark.parametrize(
    ("data", "claimed"),
    [
        (b"", None),
        (b"\xff\xfe not even text", None),
        (
            b'{"schema": "mats.backtest_job.v1", "id": "X", "created_at": "HOLD-THIS-VALUE"}',
            "mats.backtest_job.v1",
        ),
        (b"[" * 100_000, None),
        (b'{"schema": "nobody.v9"}', "nobody.v9"),
    ],
)
def test_junk_is_recorded_as_undecodable_without_its_data(data: bytes, claimed: str | None) -> None:
    letter = letter_of(envelope(data, topic="alerts", source="someone-alerts"))

    assert letter.undecodable
    assert (letter.schema, letter.record_id, letter.data_bytes) == (claimed, None, len(data))
    assert letter.severity is AlertSeverity.WARNING
    assert "HOLD-THIS-VALUE" not in repr(letter) + letter.alert(NOW).message
    assert f"undecodable data ({len(data)} bytes" in letter.alert(NOW).message


def test_junk_from_the_orders_topic_or_claiming_to_be_an_order_is_still_critical() -> None:
    broken_order = b'{"schema": "mats.order.v1", "id": "X"}'

    assert letter_of(envelope(b"junk")).severity is AlertSeverity.CRITICAL
    claimed = letter_of(envelope(broken_order, topic="alerts", source="someone-alerts"))
    assert (claimed.schema, claimed.severity) == ("mats.order.v1", AlertSeverity.CRITICAL)
    assert "claiming mats.order.v1" in claimed.alert(NOW).message


def test_a_letter_without_its_source_attributes_is_kept_as_unknown() -> None:
    letter = letter_of(envelope(b"{}", source=None))

    assert (letter.source_subscription, letter.delivery_attempts, letter.published_at) == (
        "unknown",
        None,
        None,
    )
    assert "after an unknown number of delivery attempts" in letter.alert(NOW).message


def test_a_push_from_a_subscription_not_named_for_a_dead_letter_topic_has_no_topic() -> None:
    body = envelope(b"{}") | {"subscription": "projects/p/subscriptions/somebody-else"}

    letter = letter_of(body)

    assert (letter.topic, letter.dead_letter_topic, letter.letter_id) == (
        "unknown",
        "unknown",
        "unknown__17",
    )
    assert source_topic("orders-dead-letter") == "orders"
    assert source_topic("-dead-letter") == "unknown"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda body: body.pop("message"), "message"),
        (lambda body: body.update(message="x"), "message"),
        (lambda body: body["message"].pop("messageId"), "message.messageId"),
        (lambda body: body["message"].update(messageId="a/b"), "message.messageId"),
        (lambda body: body["message"].update(messageId=17), "message.messageId"),
        (lambda body: body["message"].update(attributes={"a": 1}), "message.attributes"),
        (lambda body: body["message"].update(attributes=["a"]), "message.attributes"),
        (lambda body: body["message"].update(data="not base64!"), "message.data"),
        (lambda body: body["message"].update(data=5), "message.data"),
    ],
)
def test_a_malformed_push_names_its_field(change: Any, field: str) -> None:
    body = envelope(b"{}")
    change(body)

    with pytest.raises(ValidationError) as raised:
        parse_push(body)

    assert raised.value.field == field


def test_a_push_without_data_or_times_is_still_a_push() -> None:
    push = parse_push({"message": {"messageId": "9"}})

    assert push == DeadLetterPush("9", None, {}, None, b"")


def service() -> tuple[DeadLetterService, InMemoryRecords, Any, Any, FakeClock]:
    clock = FakeClock(NOW)
    alerts, alert_store, notifier = alert_service(clock)
    records = InMemoryRecords()
    return DeadLetterService(records, alerts, clock), records, alert_store, notifier, clock


def test_a_redelivered_push_is_recorded_counted_and_alerted_once() -> None:
    letters, records, alert_store, notifier, clock = service()
    body = envelope(encode(to_message(an_order())).data)

    first, new = letters.take(parse_push(body))
    clock.advance(30)
    again, repeated = letters.take(parse_push(body))

    assert (new, repeated) == (True, False)
    assert again == first  # The stored letter, received at its first push.
    assert letters.counts() == [DeadLetterCount("bridge-orders", 1, NOW, "17")]
    assert len(records.collections[DEAD_LETTERS]) == 1
    (alert,) = alert_store.alerts.values()
    assert (alert.alert_id, alert.severity) == ("orders-dead-letter__17_DEAD_LETTER", "CRITICAL")
    assert [a.alert_id for a in notifier.sent] == [alert.alert_id]


def test_a_letter_recorded_before_a_crash_is_alerted_on_its_redelivery() -> None:
    letters, records, alert_store, _, _ = service()
    body = envelope(b"junk")
    letter = read_letter(parse_push(body), received_at=NOW)
    records.put(DEAD_LETTERS, letter.letter_id, letter)  # Recorded; the process died there.

    _, new = letters.take(parse_push(body))

    assert not new
    assert [a.alert_id for a in alert_store.alerts.values()] == [f"{letter.letter_id}_DEAD_LETTER"]


def test_letters_are_listed_newest_first_per_subscription_within_the_limit() -> None:
    letters, _, _, _, clock = service()
    for number, source in enumerate(["bridge-orders", "dashboard-fills", "bridge-orders"]):
        letters.take(parse_push(envelope(b"x", message_id=str(number), source=source)))
        clock.advance(1)

    assert [x.message_id for x in letters.recent()] == ["2", "1", "0"]
    assert [x.message_id for x in letters.recent(subscription="bridge-orders")] == ["2", "0"]
    assert [x.message_id for x in letters.recent(limit=1)] == ["2"]
    assert letters.counts() == [
        DeadLetterCount("bridge-orders", 2, NOW + timedelta(seconds=2), "2"),
        DeadLetterCount("dashboard-fills", 1, NOW + timedelta(seconds=1), "1"),
    ]
    with pytest.raises(ValidationError) as raised:
        letters.recent(limit=501)
    assert raised.value.field == "limit"


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["bridge-orders", "cerebro-signals"]), st.integers(0, 6)),
        min_size=1,
        max_size=30,
    ),
    st.randoms(use_true_random=False),
)
def test_counts_are_the_distinct_messages_whatever_the_redeliveries_and_their_order(
    pushes: list[tuple[str, int]], shuffle: random.Random
) -> None:
    letters, _, alert_store, _, clock = service()
    # A message id belongs to one source: ids are unique on the dead-letter topic.
    pushes = [(source, number * 2 + (source == "cerebro-signals")) for source, number in pushes]
    shuffle.shuffle(pushes)

    for source, number in pushes:
        letters.take(parse_push(envelope(b"x", message_id=str(number), source=source)))
        clock.advance(1)

    distinct = {source: {n for s, n in pushes if s == source} for source, _ in pushes}
    assert {c.subscription: c.count for c in letters.counts()} == {
        source: len(numbers) for source, numbers in distinct.items()
    }
    assert len(alert_store.alerts) == len(set(pushes))


def test_the_counter_is_kept_where_the_health_view_reads_it() -> None:
    letters, records, _, _, _ = service()
    letters.take(parse_push(envelope(b"x")))

    assert list(records.collections[DEAD_LETTER_COUNTS]) == ["bridge-orders"]
