"""Dead letters on the local stack: a message a real subscription gives up on reaches the dashboard
through ``dashboard-orders-dead-letter``, is recorded and counted once, alerted once, shown by
``mats dlq`` (and its other name, ``mats dead-letters``), and still kept in
``orders-dead-letter-hold`` for replay; ``mats dlq replay`` publishes it to its topic again."""

from __future__ import annotations

import base64
import dataclasses
import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from mats.adapters.pubsub import PubSubAdmin
from mats.contracts import EncodedMessage, encode, to_message
from mats.domain.accounting.views import HealthView
from mats.domain.dead_letters import DeadLetter
from tests.builders import an_order
from tests.conftest import Stack, unique
from tests.integration.accounting.test_dashboard_function import post
from tests.integration.trading import mats, telegram_messages, until

SOURCE = "CloudPubSubDeadLetterSourceSubscription"
HOLD = "orders-dead-letter-hold"


@dataclass(frozen=True)
class Poisoned:
    """A subscription that refuses every delivery and dead-letters to ``orders-dead-letter``
    after 5 attempts (on a topic of its own, so no bridge takes the order)."""

    topic: str
    subscription: str


@pytest.fixture
def poisoned(stack: Stack) -> Iterator[Poisoned]:
    admin = PubSubAdmin(stack.info["project_id"])
    found = Poisoned(unique("orders-poison"), unique("poisoned-orders"))
    admin.ensure_topic(found.topic)
    admin.ensure_subscription(
        found.subscription,
        topic=found.topic,
        # The dashboard has no such route: 404, a nack, every time.
        push_endpoint=stack.info["function_urls"]["dashboard"] + "/pubsub/refused",
        ack_deadline_seconds=10,
        min_backoff_seconds=0.1,
        max_backoff_seconds=0.2,
        dead_letter_topic="orders-dead-letter",
        max_delivery_attempts=5,
    )
    try:
        yield found
    finally:
        admin.delete_subscription(found.subscription)


def pulled(stack: Stack, subscription: str) -> list[dict[str, Any]]:
    """The messages a pull subscription holds now (leased, not acknowledged)."""
    project = stack.info["project_id"]
    request = urllib.request.Request(
        f"http://{stack.info['pubsub_emulator_host']}/v1/projects/{project}/subscriptions/"
        f"{subscription}:pull",
        data=json.dumps({"maxMessages": 100}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        received = json.loads(answer.read()).get("receivedMessages", [])
    return [item["message"] for item in received]


def held(stack: Stack, subscription: str, hold: str = HOLD) -> dict[str, Any] | None:
    """The message dead-lettered from ``subscription`` as the hold keeps it (leased, not
    acknowledged: it stays there for replay)."""
    for message in pulled(stack, hold):
        if message.get("attributes", {}).get(SOURCE) == subscription:
            return message
    return None


def test_a_dead_lettered_order_is_recorded_counted_and_alerted_once_and_listed(
    stack: Stack, services: Any, poisoned: Poisoned
) -> None:
    order = an_order(unique("poison") + "_ORD")
    encoded = dataclasses.replace(encode(to_message(order)), topic=poisoned.topic)

    services.publisher.publish(encoded, timeout=10)

    (letter,) = until(
        lambda: services.dead_letters.recent(subscription=poisoned.subscription),
        60,
        "the dead letter recorded",
    )
    assert isinstance(letter, DeadLetter)
    assert (letter.topic, letter.dead_letter_topic) == ("orders", "orders-dead-letter")
    assert (letter.delivery_attempts, letter.data_bytes) == (5, len(encoded.data))
    assert (letter.schema, letter.record_id, letter.signal_id) == (
        "mats.order.v1",
        order.id,
        order.signal_id,
    )
    assert letter.published_at is not None
    assert letter.published_at <= letter.received_at

    # Redelivered: the very message the hold kept, pushed twice more as its subscription would.
    message = until(lambda: held(stack, poisoned.subscription), 30, "the message in the hold")
    assert message["messageId"] == letter.message_id
    push = {
        "message": message,
        "subscription": f"projects/{stack.info['project_id']}/subscriptions/"
        "dashboard-orders-dead-letter",
    }
    route = stack.info["function_urls"]["dashboard"] + "/pubsub/dead-letters"
    answers = [post(route, push) for _ in range(2)]

    assert answers == [(200, {**answers[0][1], "status": "unchanged"})] * 2
    assert answers[0][1]["letter_id"] == letter.letter_id
    assert services.dead_letters.recent(subscription=poisoned.subscription) == [letter]
    health = services.records.get("health", "current", HealthView)
    counts = {c.subscription: c for c in health.dead_letters}
    assert counts[poisoned.subscription].count == 1
    assert counts[poisoned.subscription].last_message_id == letter.message_id
    alerts = [a for a in services.alerts.list(limit=500) if a.alert_id.startswith(letter.letter_id)]
    assert [(a.kind, a.severity) for a in alerts] == [("DEAD_LETTER", "CRITICAL")]
    assert poisoned.subscription in alerts[0].message
    assert "after 5 delivery attempts" in alerts[0].message
    assert order.id in alerts[0].message
    assert len([text for text in telegram_messages(stack) if order.id in text]) == 1

    listed = mats(stack, "dlq", "list", "--subscription", poisoned.subscription)
    assert [(x["message_id"], x["record_id"], x["delivery_attempts"]) for x in listed] == [
        (letter.message_id, order.id, 5)
    ]
    assert mats(stack, "dead-letters", "list", "--subscription", poisoned.subscription) == listed
    every = mats(stack, "dead-letters", "counts")
    assert {"subscription": poisoned.subscription, "count": 1} in [
        {"subscription": c["subscription"], "count": c["count"]} for c in every
    ]


def test_a_malformed_dead_letter_push_is_acknowledged_and_a_bad_request_refused(
    stack: Stack,
) -> None:
    route = stack.info["function_urls"]["dashboard"] + "/pubsub/dead-letters"

    ignored = post(route, {"message": {"messageId": "a/b", "data": "e30="}})
    refused = post(route, [])  # type: ignore[arg-type]

    assert ignored == (
        200,
        {
            "status": "ignored",
            "field": "message.messageId",
            "error": "expected a Pub/Sub message id",
        },
    )
    assert (refused[0], refused[1]["field"]) == (400, "body")


def test_mats_dlq_replay_publishes_a_held_dead_letter_to_its_topic_again(
    stack: Stack, services: Any
) -> None:
    # On the alerts topic, which no MATS function takes: the replayed message harms nothing.
    admin = PubSubAdmin(stack.info["project_id"])
    source, refusing, watch = unique("alerts-poison"), unique("refused-alerts"), unique("watch")
    admin.ensure_topic(source)
    admin.ensure_subscription(watch, topic="alerts")
    admin.ensure_subscription(
        refusing,
        topic=source,
        push_endpoint=stack.info["function_urls"]["dashboard"] + "/pubsub/refused",
        ack_deadline_seconds=10,
        min_backoff_seconds=0.1,
        max_backoff_seconds=0.2,
        dead_letter_topic="alerts-dead-letter",
        max_delivery_attempts=5,
    )
    body = json.dumps({"schema": "test.replay.v1", "id": unique("replayed")}).encode()
    try:
        services.publisher.publish(
            EncodedMessage(source, body, {"strategy_id": "trend-es"}, ""), timeout=10
        )
        (letter,) = until(
            lambda: mats(stack, "dlq", "list", "--subscription", refusing),
            60,
            "the dead letter listed",
        )

        replayed = mats(stack, "dlq", "replay", "alerts", "--limit", "100")

        assert letter["message_id"] in [r["message_id"] for r in replayed]
        again = until(
            lambda: [m for m in pulled(stack, watch) if base64.b64decode(m["data"]) == body],
            30,
            "the replayed message on alerts",
        )
        assert [m["attributes"] for m in again] == [{"strategy_id": "trend-es"}]
        assert held(stack, refusing, "alerts-dead-letter-hold") is None, "it left the hold"
    finally:
        admin.delete_subscription(refusing)
        admin.delete_subscription(watch)
