"""PubSubPublisher and PubSubAdmin against the local service over real HTTP."""

from __future__ import annotations

import base64
import socket
import time
from typing import Any

import pytest

from mats.adapters.pubsub import PubSubAdmin, PubSubPublisher, make_publisher_client
from mats.contracts import EncodedMessage
from mats.errors import PermanentError, TemporaryError

pytestmark = pytest.mark.integration


def encoded(data: bytes = b'{"id":"s1"}', key: str = "alpha/BTC") -> EncodedMessage:
    return EncodedMessage(
        topic="signals", data=data, attributes={"strategy_id": "alpha"}, ordering_key=key
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def emulator(pubsub_service: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", pubsub_service.host)  # PubSubAdmin's default.
    return pubsub_service


def test_publisher_publishes_and_returns_the_message_id(api: Any, emulator: Any) -> None:
    api.create_topic("signals")
    api.create_subscription("signals-pull", "signals", enableMessageOrdering=True)
    publisher = PubSubPublisher(api.project, emulator_host=emulator.host)

    message_ids = [publisher.publish(encoded(b"%d" % n), timeout=5) for n in range(3)]
    received = []
    for _ in message_ids:  # An ordered pull hands out one message of a key at a time.
        (item,) = api.pull("signals-pull")
        api.acknowledge("signals-pull", [item["ackId"]])
        received.append(item)

    assert [item["message"]["messageId"] for item in received] == message_ids
    first = received[0]["message"]
    assert base64.b64decode(first["data"]) == b"0"
    assert first["attributes"] == {"strategy_id": "alpha"}
    assert first["orderingKey"] == "alpha/BTC"


def test_publisher_creates_no_client_until_the_first_publish() -> None:
    publisher = PubSubPublisher("mats-local", emulator_host="127.0.0.1:1")

    assert publisher._client is None


def test_publisher_raises_temporary_error_when_the_service_is_down() -> None:
    publisher = PubSubPublisher("mats-local", emulator_host=f"127.0.0.1:{free_port()}")
    started = time.monotonic()

    with pytest.raises(TemporaryError, match="projects/mats-local/topics/signals"):
        publisher.publish(encoded(), timeout=1.0)

    assert time.monotonic() - started < 3.0


def test_publisher_raises_temporary_error_for_a_missing_topic(api: Any, emulator: Any) -> None:
    publisher = PubSubPublisher(api.project, emulator_host=emulator.host)
    started = time.monotonic()

    with pytest.raises(TemporaryError, match="Topic not found"):
        publisher.publish(encoded(), timeout=5.0)

    assert time.monotonic() - started < 2.0


def test_ordering_key_publishes_again_after_the_service_comes_back(
    service_control: Any,
) -> None:
    port = free_port()
    service = service_control.start(port)
    admin = PubSubAdmin("mats-local", service.host)
    admin.ensure_topic("signals")
    publisher = PubSubPublisher("mats-local", make_publisher_client(service.host))
    publisher.publish(encoded(b"before"), timeout=5)

    service_control.stop(service)
    with pytest.raises(TemporaryError):
        publisher.publish(encoded(b"while down"), timeout=0.5)
    service = service_control.start(port)
    admin.ensure_topic("signals")
    admin.ensure_subscription("signals-pull", "signals", ordering=True)
    message_id = publisher.publish(encoded(b"after"), timeout=5)

    assert message_id.isdigit()


def test_publisher_rejects_attributes_that_clash_with_publish_arguments() -> None:
    publisher = PubSubPublisher("mats-local", client=object())
    message = EncodedMessage(
        topic="signals", data=b"x", attributes={"timeout": "1"}, ordering_key=""
    )

    with pytest.raises(PermanentError, match="timeout"):
        publisher.publish(message, timeout=1)


def test_admin_is_idempotent(api: Any, emulator: Any) -> None:
    admin = PubSubAdmin(api.project)
    settings: dict[str, Any] = {
        "push_endpoint": "http://127.0.0.1:9/push",
        "ack_deadline_seconds": 30,
        "min_backoff_seconds": 0.05,
        "max_backoff_seconds": 2,
        "dead_letter_topic": "signals-dead-letter",
        "max_delivery_attempts": 7,
        "ordering": True,
    }

    for _ in range(2):
        admin.ensure_topic("signals")
        admin.ensure_topic("signals-dead-letter")
        admin.ensure_subscription("signals-cerebro", "signals", **settings)

    subscription = api.ok("GET", api.subscription("signals-cerebro"))
    assert subscription["topic"] == api.topic("signals")
    assert subscription["pushConfig"] == {"pushEndpoint": "http://127.0.0.1:9/push"}
    assert subscription["ackDeadlineSeconds"] == 30
    assert subscription["retryPolicy"] == {"minimumBackoff": "0.050s", "maximumBackoff": "2s"}
    assert subscription["deadLetterPolicy"] == {
        "deadLetterTopic": api.topic("signals-dead-letter"),
        "maxDeliveryAttempts": 7,
    }
    assert subscription["enableMessageOrdering"] is True
    assert len(api.ok("GET", f"projects/{api.project}/subscriptions")["subscriptions"]) == 1


def test_admin_patches_a_changed_endpoint_and_keeps_pending_messages(
    api: Any, emulator: Any
) -> None:
    admin = PubSubAdmin(api.project)
    admin.ensure_topic("signals")
    admin.ensure_subscription("signals-pull", "signals", ack_deadline_seconds=10)
    api.publish("signals", b"pending")

    admin.ensure_subscription("signals-pull", "signals", ack_deadline_seconds=20)

    assert api.ok("GET", api.subscription("signals-pull"))["ackDeadlineSeconds"] == 20
    assert len(api.pull("signals-pull")) == 1


def test_admin_recreates_when_ordering_changes(api: Any, emulator: Any) -> None:
    admin = PubSubAdmin(api.project)
    admin.ensure_topic("signals")
    admin.ensure_subscription("signals-pull", "signals", ordering=False)

    admin.ensure_subscription("signals-pull", "signals", ordering=True)

    assert api.ok("GET", api.subscription("signals-pull"))["enableMessageOrdering"] is True


def test_admin_deletes_idempotently(api: Any, emulator: Any) -> None:
    admin = PubSubAdmin(api.project)
    admin.ensure_topic("signals")
    admin.ensure_subscription("signals-pull", "signals")

    admin.delete_subscription("signals-pull")
    admin.delete_subscription("signals-pull")

    assert api.call("GET", api.subscription("signals-pull")).status_code == 404


def test_admin_reports_invalid_settings_as_permanent(api: Any, emulator: Any) -> None:
    admin = PubSubAdmin(api.project)
    admin.ensure_topic("signals")
    admin.ensure_topic("signals-dead-letter")

    with pytest.raises(PermanentError, match="max_delivery_attempts"):
        admin.ensure_subscription(
            "signals-pull",
            "signals",
            dead_letter_topic="signals-dead-letter",
            max_delivery_attempts=3,
        )


def test_admin_raises_temporary_error_when_the_service_is_down() -> None:
    admin = PubSubAdmin("mats-local", f"127.0.0.1:{free_port()}", timeout=1)

    with pytest.raises(TemporaryError):
        admin.ensure_topic("signals")


def test_admin_needs_an_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUBSUB_EMULATOR_HOST", raising=False)

    with pytest.raises(ValueError, match="PUBSUB_EMULATOR_HOST"):
        PubSubAdmin("mats-local")
