"""PubSubPublisher over a fake client: error translation, retries within the budget, resume."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from google.api_core import exceptions as google_exceptions
from google.cloud.pubsub_v1.publisher.exceptions import PublishToPausedOrderingKeyException

from mats.adapters.pubsub import PubSubPublisher, make_publisher_client
from mats.contracts import EncodedMessage
from mats.errors import TemporaryError

MESSAGE = EncodedMessage(
    topic="signals",
    data=b'{"id":"s1"}',
    attributes={"strategy_id": "alpha"},
    ordering_key="alpha/BTC",
)
NEVER = object()


class FakeFuture:
    def __init__(self, outcome: object) -> None:
        self.outcome = outcome

    def result(self, timeout: float | None = None) -> str:
        if self.outcome is NEVER:
            time.sleep(timeout or 0)
            raise TimeoutError
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return str(self.outcome)


@dataclass
class FakeClient:
    """Answers each publish with the next outcome: a message id or an exception."""

    outcomes: list[object]
    calls: list[dict[str, Any]] = field(default_factory=list)
    resumed: list[tuple[str, str]] = field(default_factory=list)

    def publish(self, topic: str, data: bytes, **kwargs: Any) -> FakeFuture:
        self.calls.append({"topic": topic, "data": data, **kwargs})
        return FakeFuture(self.outcomes.pop(0))

    def resume_publish(self, topic: str, ordering_key: str) -> None:
        self.resumed.append((topic, ordering_key))


def test_publish_sends_data_attributes_and_key_without_client_retries() -> None:
    client = FakeClient(["1001"])

    message_id = PubSubPublisher("mats-local", client).publish(MESSAGE, timeout=5)

    assert message_id == "1001"
    (call,) = client.calls
    assert call["topic"] == "projects/mats-local/topics/signals"
    assert call["data"] == b'{"id":"s1"}'
    assert call["ordering_key"] == "alpha/BTC"
    assert call["strategy_id"] == "alpha"
    assert call["retry"] is None
    assert 4 < call["timeout"] <= 5


@pytest.mark.parametrize(
    "error",
    [
        google_exceptions.ServiceUnavailable("down"),
        google_exceptions.InternalServerError("oops"),
        PublishToPausedOrderingKeyException("alpha/BTC"),
    ],
)
def test_transient_failures_are_retried_after_resuming_the_key(error: Exception) -> None:
    client = FakeClient([error, "1002"])

    message_id = PubSubPublisher("mats-local", client).publish(MESSAGE, timeout=5)

    assert message_id == "1002"
    assert len(client.calls) == 2
    assert client.resumed == [("projects/mats-local/topics/signals", "alpha/BTC")]


def test_permanent_failures_raise_temporary_error_at_once() -> None:
    client = FakeClient([google_exceptions.NotFound("Topic not found")])
    publisher = PubSubPublisher("mats-local", client)

    with pytest.raises(TemporaryError, match="Topic not found") as raised:
        publisher.publish(MESSAGE, timeout=5)

    assert isinstance(raised.value.__cause__, google_exceptions.NotFound)
    assert len(client.calls) == 1
    assert client.resumed == [("projects/mats-local/topics/signals", "alpha/BTC")]


def test_failures_stop_being_retried_when_the_budget_runs_out() -> None:
    client = FakeClient([google_exceptions.ServiceUnavailable("down")] * 100)
    started = time.monotonic()

    with pytest.raises(TemporaryError, match="down"):
        PubSubPublisher("mats-local", client).publish(MESSAGE, timeout=0.5)

    assert time.monotonic() - started < 1.0
    assert 2 <= len(client.calls) <= 6


def test_a_future_that_never_resolves_times_out_without_a_second_publish() -> None:
    client = FakeClient([NEVER])
    started = time.monotonic()

    with pytest.raises(TemporaryError, match="TimeoutError"):
        PubSubPublisher("mats-local", client).publish(MESSAGE, timeout=0.1)

    assert time.monotonic() - started < 2.0
    assert len(client.calls) == 1


def test_messages_without_a_key_resume_nothing() -> None:
    client = FakeClient([google_exceptions.NotFound("gone")])
    message = EncodedMessage(topic="alerts", data=b"x", attributes={}, ordering_key="")

    with pytest.raises(TemporaryError):
        PubSubPublisher("mats-local", client).publish(message, timeout=1)

    assert client.resumed == []


def test_emulator_client_uses_plain_http_rest_with_ordering_and_short_batches() -> None:
    client = make_publisher_client("127.0.0.1:8085")

    assert type(client._transport).__name__ == "PublisherRestTransport"
    assert client._transport._host == "http://127.0.0.1:8085"
    assert client.publisher_options.enable_message_ordering is True
    assert client.batch_settings.max_latency == 0.0
    client.stop()
