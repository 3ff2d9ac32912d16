"""Push delivery over real HTTP: the Eventarc request, acks, redelivery, backoff, dead letters."""

from __future__ import annotations

import base64
import itertools
from typing import Any

import pytest

pytestmark = pytest.mark.integration

FAST_RETRY = {"minimumBackoff": "0.050s", "maximumBackoff": "0.200s"}


def push_subscription(api: Any, receiver: Any, **settings: Any) -> None:
    api.create_topic("signals")
    api.create_subscription(
        "signals-push", "signals", pushConfig={"pushEndpoint": receiver.url}, **settings
    )


def with_dead_letter_topic(api: Any, attempts: int = 5) -> dict[str, Any]:
    api.create_topic("signals-dead-letter")
    api.create_subscription("signals-dead-letter-pull", "signals-dead-letter")
    return {
        "deadLetterTopic": api.topic("signals-dead-letter"),
        "maxDeliveryAttempts": attempts,
    }


def failing_first(times: int, status: int = 500) -> Any:
    """Answer ``status`` to the first ``times`` deliveries of each message, then 204."""
    seen: dict[str, int] = {}

    def respond(delivery: Any) -> tuple[int, float]:
        message_id = delivery.message["messageId"]
        seen[message_id] = seen.get(message_id, 0) + 1
        return (status if seen[message_id] <= times else 204), 0.0

    return respond


def test_push_request_is_exactly_what_eventarc_sends(api: Any, push_receiver: Any) -> None:
    receiver = push_receiver(lambda _: (204, 0.0))
    push_subscription(api, receiver)

    message_id = api.publish("signals", b'{"id":"s1"}', {"strategy_id": "alpha"}, key="alpha/BTC")
    (delivery,) = receiver.wait_for(1)

    message = delivery.message
    assert delivery.path == "/push"
    assert delivery.headers["content-type"] == "application/json"
    assert delivery.headers["ce-id"] == message_id
    assert delivery.headers["ce-specversion"] == "1.0"
    assert delivery.headers["ce-type"] == "google.cloud.pubsub.topic.v1.messagePublished"
    assert delivery.headers["ce-source"] == f"//pubsub.googleapis.com/{api.topic('signals')}"
    assert delivery.headers["ce-time"] == message["publishTime"]
    assert delivery.body == {
        "message": {
            "data": base64.b64encode(b'{"id":"s1"}').decode(),
            "attributes": {"strategy_id": "alpha"},
            "messageId": message_id,
            "message_id": message_id,
            "publishTime": message["publishTime"],
            "publish_time": message["publishTime"],
            # Ordering is off for this subscription, yet Pub/Sub still passes the key along.
            "orderingKey": "alpha/BTC",
        },
        "subscription": api.subscription("signals-push"),
    }


def test_push_body_has_delivery_attempt_only_with_a_dead_letter_policy(
    api: Any, push_receiver: Any
) -> None:
    receiver = push_receiver(lambda _: (200, 0.0))
    push_subscription(api, receiver, deadLetterPolicy=with_dead_letter_topic(api))

    api.publish("signals", b"hello")
    (delivery,) = receiver.wait_for(1)

    assert delivery.attempt == 1
    assert "orderingKey" not in delivery.message
    assert delivery.message["attributes"] == {}


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_success_statuses_acknowledge(api: Any, push_receiver: Any, status: int) -> None:
    receiver = push_receiver(lambda _: (status, 0.0))
    push_subscription(api, receiver, retryPolicy=FAST_RETRY)

    api.publish("signals", b"hello")
    receiver.wait_for(1)
    api.wait_settled("signals-push")

    assert len(receiver.deliveries) == 1


@pytest.mark.parametrize("status", [203, 400, 429, 503])
def test_other_statuses_are_redelivered_with_growing_attempts(
    api: Any, push_receiver: Any, status: int
) -> None:
    receiver = push_receiver(failing_first(2, status))
    push_subscription(
        api, receiver, retryPolicy=FAST_RETRY, deadLetterPolicy=with_dead_letter_topic(api)
    )

    message_id = api.publish("signals", b"hello")
    deliveries = receiver.wait_for(3)
    api.wait_settled("signals-push")

    assert [delivery.attempt for delivery in receiver.deliveries] == [1, 2, 3]
    assert {delivery.headers["ce-id"] for delivery in deliveries} == {message_id}
    assert api.pull("signals-dead-letter-pull") == []


def test_no_answer_within_the_ack_deadline_is_redelivered(api: Any, push_receiver: Any) -> None:
    calls = []

    def respond(delivery: Any) -> tuple[int, float]:
        calls.append(delivery)
        return 200, (2.0 if len(calls) == 1 else 0.0)

    receiver = push_receiver(respond)
    push_subscription(
        api,
        receiver,
        ackDeadlineSeconds=1,
        retryPolicy=FAST_RETRY,
        deadLetterPolicy=with_dead_letter_topic(api),
    )

    api.publish("signals", b"slow")
    first, second = receiver.wait_for(2)

    assert [first.attempt, second.attempt] == [1, 2]
    assert 0.9 < second.received_at - first.received_at < 1.9


def test_unreachable_endpoint_is_redelivered_then_dead_lettered(api: Any) -> None:
    api.create_topic("signals")
    api.create_subscription(
        "signals-push",
        "signals",
        pushConfig={"pushEndpoint": "http://127.0.0.1:9/nobody-home"},
        retryPolicy=FAST_RETRY,
        deadLetterPolicy=with_dead_letter_topic(api),
    )

    api.publish("signals", b"lost")
    (received,) = api.pull_until("signals-dead-letter-pull", 1)

    assert received["message"]["attributes"]["CloudPubSubDeadLetterSourceDeliveryCount"] == "5"


def test_backoff_doubles_from_minimum_to_maximum(api: Any, push_receiver: Any) -> None:
    receiver = push_receiver(failing_first(5))
    push_subscription(
        api, receiver, retryPolicy={"minimumBackoff": "0.100s", "maximumBackoff": "0.400s"}
    )

    api.publish("signals", b"retry me")
    deliveries = receiver.wait_for(6)

    gaps = [
        later.received_at - (earlier.answered_at or earlier.received_at)
        for earlier, later in itertools.pairwise(deliveries)
    ]
    # Expected 0.1, 0.2, 0.4, 0.4, 0.4: doubling, then capped at the maximum.
    assert gaps[0] < gaps[1] < gaps[2]
    assert 0.08 < gaps[0] < 0.35
    assert all(0.3 < gap < 1.2 for gap in gaps[2:])
    assert max(gaps[2:]) < 2.5 * min(gaps[2:])


def test_without_retry_policy_redelivery_waits_a_short_fixed_delay(
    api: Any, push_receiver: Any
) -> None:
    receiver = push_receiver(failing_first(3))
    push_subscription(api, receiver)

    api.publish("signals", b"retry me")
    deliveries = receiver.wait_for(4)

    gaps = [
        later.received_at - (earlier.answered_at or earlier.received_at)
        for earlier, later in itertools.pairwise(deliveries)
    ]
    assert all(0.05 < gap < 1.0 for gap in gaps)


def test_dead_letter_after_max_delivery_attempts(api: Any, push_receiver: Any) -> None:
    receiver = push_receiver(lambda _: (500, 0.0))
    push_subscription(
        api,
        receiver,
        retryPolicy=FAST_RETRY,
        deadLetterPolicy=with_dead_letter_topic(api, attempts=5),
        enableMessageOrdering=True,
    )

    message_id = api.publish("signals", b'{"id":"s1"}', {"strategy_id": "alpha"}, key="alpha/BTC")
    (received,) = api.pull_until("signals-dead-letter-pull", 1)
    api.wait_settled("signals-push")

    assert [delivery.attempt for delivery in receiver.deliveries] == [1, 2, 3, 4, 5]
    dead = received["message"]
    original = receiver.deliveries[0].message
    assert base64.b64decode(dead["data"]) == b'{"id":"s1"}'
    assert dead["messageId"] != message_id
    assert dead["orderingKey"] == "alpha/BTC"
    assert dead["attributes"] == {
        "strategy_id": "alpha",
        "CloudPubSubDeadLetterSourceDeliveryCount": "5",
        "CloudPubSubDeadLetterSourceSubscription": "signals-push",
        "CloudPubSubDeadLetterSourceSubscriptionProject": api.project,
        "CloudPubSubDeadLetterSourceTopicPublishTime": original["publishTime"],
    }


def test_dead_letter_is_logged_without_message_data(
    api: Any, push_receiver: Any, pubsub_service: Any
) -> None:
    receiver = push_receiver(lambda _: (500, 0.0))
    push_subscription(
        api, receiver, retryPolicy=FAST_RETRY, deadLetterPolicy=with_dead_letter_topic(api)
    )

    message_id = api.publish("signals", b"secret-payload")
    api.pull_until("signals-dead-letter-pull", 1)

    logs = [entry for entry in pubsub_service.logs() if entry.get("message_id") == message_id]
    events = [entry["message"] for entry in logs]
    assert events.count("push delivery failed") == 5
    assert events.count("push redelivery scheduled") == 4
    assert events.count("message dead-lettered") == 1
    failure = next(entry for entry in logs if entry["message"] == "push delivery failed")
    assert failure["severity"] == "WARNING"
    assert failure["subscription"] == api.subscription("signals-push")
    assert failure["detail"] == "500"
    assert "secret-payload" not in pubsub_service.log_path.read_text()
    assert base64.b64encode(b"secret-payload").decode() not in pubsub_service.log_path.read_text()


def test_ordering_key_is_delivered_in_order_even_when_the_first_fails(
    api: Any, push_receiver: Any
) -> None:
    receiver = push_receiver(lambda delivery: (500 if failures_left(delivery) else 204, 0.0))
    failures = {"1": 2}

    def failures_left(delivery: Any) -> bool:
        body = delivery.data.decode()
        if failures.get(body, 0) > 0:
            failures[body] -= 1
            return True
        return False

    push_subscription(api, receiver, retryPolicy=FAST_RETRY, enableMessageOrdering=True)

    for number in range(1, 7):
        api.publish("signals", str(number).encode(), key="alpha/BTC")
    deliveries = receiver.wait_for(8)

    assert [delivery.data for delivery in deliveries] == [
        b"1",
        b"1",
        b"1",
        b"2",
        b"3",
        b"4",
        b"5",
        b"6",
    ]
    for earlier, later in itertools.pairwise(deliveries):
        assert earlier.answered_at is not None
        assert later.received_at >= earlier.answered_at


def test_ordering_key_continues_after_a_dead_letter(api: Any, push_receiver: Any) -> None:
    receiver = push_receiver(lambda delivery: (500 if delivery.data == b"poison" else 204, 0.0))
    push_subscription(
        api,
        receiver,
        retryPolicy=FAST_RETRY,
        deadLetterPolicy=with_dead_letter_topic(api),
        enableMessageOrdering=True,
    )

    api.publish("signals", b"poison", key="alpha/BTC")
    api.publish("signals", b"after", key="alpha/BTC")
    deliveries = receiver.wait_for(6)

    assert [delivery.data for delivery in deliveries] == [b"poison"] * 5 + [b"after"]


def test_different_keys_and_unkeyed_messages_are_delivered_concurrently(
    api: Any, push_receiver: Any
) -> None:
    receiver = push_receiver(lambda delivery: (204, 1.0 if delivery.data == b"slow" else 0.0))
    push_subscription(api, receiver, enableMessageOrdering=True)

    api.publish("signals", b"slow", key="alpha/BTC")
    api.publish("signals", b"other key", key="beta/ETH")
    api.publish("signals", b"no key")
    api.publish("signals", b"same key", key="alpha/BTC")
    deliveries = receiver.wait_for(4)

    by_data = {delivery.data: delivery for delivery in deliveries}
    slow = by_data[b"slow"]
    assert slow.answered_at is not None
    assert by_data[b"other key"].received_at < slow.answered_at
    assert by_data[b"no key"].received_at < slow.answered_at
    assert by_data[b"same key"].received_at >= slow.answered_at


def test_unordered_subscription_delivers_a_key_concurrently(api: Any, push_receiver: Any) -> None:
    receiver = push_receiver(lambda delivery: (204, 1.0 if delivery.data == b"slow" else 0.0))
    push_subscription(api, receiver)

    api.publish("signals", b"slow", key="alpha/BTC")
    api.publish("signals", b"fast", key="alpha/BTC")
    deliveries = receiver.wait_for(2)

    slow = next(delivery for delivery in deliveries if delivery.data == b"slow")
    fast = next(delivery for delivery in deliveries if delivery.data == b"fast")
    assert slow.answered_at is None or fast.received_at < slow.answered_at


def test_deleting_a_subscription_stops_its_redeliveries(api: Any, push_receiver: Any) -> None:
    receiver = push_receiver(lambda _: (500, 0.0))
    push_subscription(api, receiver, retryPolicy={"minimumBackoff": "0.2s"})

    api.publish("signals", b"doomed")
    receiver.wait_for(1)
    api.ok("DELETE", api.subscription("signals-push"))
    count = len(receiver.deliveries)
    # Marker: a message published now reaches a subscription that still exists, not this one.
    api.create_subscription("marker-pull", "signals")
    api.publish("signals", b"after the delete")
    api.pull_until("marker-pull", 1)

    assert api.subscription("signals-push") not in api.outstanding()
    assert len(receiver.deliveries) == count
