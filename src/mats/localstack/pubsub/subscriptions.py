"""Subscription settings of the local Pub/Sub service: parsing, defaults, JSON and backoff.

Validation follows Google's REST v1 API with one deliberate relaxation: ``ackDeadlineSeconds`` may
be below Google's minimum of 10 so that tests of slow push endpoints finish quickly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from mats.localstack.pubsub.model import ApiError, format_duration, invalid, parse_duration

MIN_DELIVERY_ATTEMPTS = 5
MAX_DELIVERY_ATTEMPTS = 100
MAX_ACK_DEADLINE_SECONDS = 600
DEFAULT_ACK_DEADLINE_SECONDS = 10
MAX_BACKOFF_SECONDS = 600.0
DEFAULT_RETRY_POLICY_JSON = {"minimumBackoff": "10s", "maximumBackoff": "600s"}
# Without a retry policy Pub/Sub redelivers at once; a short pause keeps a failing local endpoint
# from turning the service into a busy loop.
REDELIVERY_DELAY_WITHOUT_RETRY_POLICY = 0.1
# Fields of a Subscription whose behaviour this service does not implement; accepting them
# silently would make local runs differ from Google without anyone noticing.
_UNSUPPORTED_FIELDS = (
    "filter",
    "enableExactlyOnceDelivery",
    "bigqueryConfig",
    "cloudStorageConfig",
    "detached",
)
_ECHOED_FIELDS = ("labels", "messageRetentionDuration", "retainAckedMessages", "expirationPolicy")
_KNOWN_FIELDS = frozenset(
    {
        "name",
        "topic",
        "pushConfig",
        "ackDeadlineSeconds",
        "retryPolicy",
        "deadLetterPolicy",
        "enableMessageOrdering",
        "state",
        *_UNSUPPORTED_FIELDS,
        *_ECHOED_FIELDS,
    }
)
UPDATABLE_FIELDS = frozenset(
    {"pushConfig", "ackDeadlineSeconds", "retryPolicy", "deadLetterPolicy"}
)

TopicExists = Callable[[str], bool]


@dataclass(frozen=True)
class RetryPolicy:
    minimum_backoff: float
    maximum_backoff: float


@dataclass(frozen=True)
class DeadLetterPolicy:
    topic: str
    max_delivery_attempts: int


@dataclass(frozen=True)
class SubscriptionConfig:
    """A subscription's settings; ``push_endpoint`` is ``None`` for a pull subscription."""

    name: str
    topic: str
    push_config: Mapping[str, Any]
    ack_deadline_seconds: int
    retry_policy: RetryPolicy | None
    dead_letter_policy: DeadLetterPolicy | None
    ordering: bool
    extra: Mapping[str, Any]

    @property
    def push_endpoint(self) -> str | None:
        endpoint = self.push_config.get("pushEndpoint")
        return endpoint if isinstance(endpoint, str) and endpoint else None

    def backoff(self, attempt: int) -> float:
        """Return the pause before redelivering after failed delivery number ``attempt``."""
        policy = self.retry_policy
        if policy is None:
            return REDELIVERY_DELAY_WITHOUT_RETRY_POLICY
        return float(min(policy.maximum_backoff, policy.minimum_backoff * 2 ** (attempt - 1)))

    def to_json(self) -> dict[str, Any]:
        """Return the Subscription JSON with defaults filled in, as Google returns it."""
        body: dict[str, Any] = {
            "name": self.name,
            "topic": self.topic,
            "pushConfig": dict(self.push_config),
            "ackDeadlineSeconds": self.ack_deadline_seconds,
            "messageRetentionDuration": "604800s",
            "expirationPolicy": {"ttl": "2678400s"},
            "state": "ACTIVE",
            **self.extra,
        }
        if self.retry_policy is not None:
            body["retryPolicy"] = {
                "minimumBackoff": format_duration(self.retry_policy.minimum_backoff),
                "maximumBackoff": format_duration(self.retry_policy.maximum_backoff),
            }
        if self.dead_letter_policy is not None:
            body["deadLetterPolicy"] = {
                "deadLetterTopic": self.dead_letter_policy.topic,
                "maxDeliveryAttempts": self.dead_letter_policy.max_delivery_attempts,
            }
        if self.ordering:
            body["enableMessageOrdering"] = True
        return body


def parse_subscription(name: str, body: object, topic_exists: TopicExists) -> SubscriptionConfig:
    """Validate a create-subscription body; ``topic_exists(path)`` answers for referenced topics."""
    if not isinstance(body, dict):
        raise invalid("The subscription must be a JSON object.")
    _check_subscription_fields(body)
    topic = body.get("topic")
    if not isinstance(topic, str) or not topic:
        raise invalid("Invalid value at 'topic': a topic is required.")
    if not topic_exists(topic):
        raise ApiError(404, "Topic not found")
    ordering = body.get("enableMessageOrdering", False)
    if not isinstance(ordering, bool):
        raise invalid("Invalid value at 'enable_message_ordering': expected a boolean.")
    return SubscriptionConfig(
        name=name,
        topic=topic,
        push_config=_parse_push_config(body.get("pushConfig")),
        ack_deadline_seconds=_parse_ack_deadline(body.get("ackDeadlineSeconds")),
        retry_policy=_parse_retry_policy(body.get("retryPolicy")),
        dead_letter_policy=_parse_dead_letter_policy(body.get("deadLetterPolicy"), topic_exists),
        ordering=ordering,
        extra={key: body[key] for key in _ECHOED_FIELDS if key in body},
    )


def update_subscription(
    config: SubscriptionConfig, body: object, topic_exists: TopicExists
) -> SubscriptionConfig:
    """Apply a PATCH ``{"subscription": {...}, "updateMask": "a,b"}`` to a subscription."""
    changes = body.get("subscription") if isinstance(body, dict) else None
    mask = body.get("updateMask") if isinstance(body, dict) else None
    if not isinstance(changes, dict) or not isinstance(mask, str) or not mask:
        raise invalid("An update needs 'subscription' and a non-empty 'updateMask'.")
    fields = {_camel_case(field.strip()) for field in mask.split(",")}
    if not fields <= UPDATABLE_FIELDS:
        unsupported = ", ".join(sorted(fields - UPDATABLE_FIELDS))
        raise invalid(f"Cannot update field(s) {unsupported} in the local Pub/Sub service.")
    updated = config
    if "pushConfig" in fields:
        push_config = _parse_push_config(changes.get("pushConfig"))
        if (push_config.get("pushEndpoint") is None) != (config.push_endpoint is None):
            raise invalid("Switching between pull and push is not supported locally.")
        updated = replace(updated, push_config=push_config)
    if "ackDeadlineSeconds" in fields:
        deadline = _parse_ack_deadline(changes.get("ackDeadlineSeconds"))
        updated = replace(updated, ack_deadline_seconds=deadline)
    if "retryPolicy" in fields:
        updated = replace(updated, retry_policy=_parse_retry_policy(changes.get("retryPolicy")))
    if "deadLetterPolicy" in fields:
        policy = _parse_dead_letter_policy(changes.get("deadLetterPolicy"), topic_exists)
        updated = replace(updated, dead_letter_policy=policy)
    return updated


def _camel_case(field: str) -> str:
    head, *rest = field.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _check_subscription_fields(body: dict[str, Any]) -> None:
    unknown = sorted(set(body) - _KNOWN_FIELDS)
    if unknown:
        raise invalid(f'Invalid JSON payload received. Unknown name "{unknown[0]}".')
    for field in _UNSUPPORTED_FIELDS:
        if body.get(field):
            raise invalid(f"'{field}' is not supported by the local Pub/Sub service.")


def _parse_push_config(value: object) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid("Invalid value at 'push_config': expected an object.")
    if value.get("noWrapper"):
        raise invalid("'pushConfig.noWrapper' is not supported by the local Pub/Sub service.")
    endpoint = value.get("pushEndpoint")
    if endpoint in (None, ""):
        return {key: item for key, item in value.items() if key != "pushEndpoint"}
    if not isinstance(endpoint, str) or not re.match(r"https?://[^/\s]+", endpoint):
        raise invalid(
            f"Invalid push endpoint given (endpoint={endpoint}); expected an http(s) URL."
        )
    return dict(value)


def _parse_ack_deadline(value: object) -> int:
    if value in (None, 0):
        return DEFAULT_ACK_DEADLINE_SECONDS
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise invalid("Invalid value at 'ack_deadline_seconds': expected an integer.")
    if not 1 <= value <= MAX_ACK_DEADLINE_SECONDS:
        raise invalid(
            f"Invalid ack deadline given: {value}. It must be between 1 and "
            f"{MAX_ACK_DEADLINE_SECONDS} seconds."
        )
    return value


def _parse_retry_policy(value: object) -> RetryPolicy | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid("Invalid value at 'retry_policy': expected an object.")
    merged = {**DEFAULT_RETRY_POLICY_JSON, **value}
    minimum = parse_duration(merged["minimumBackoff"], "retry_policy.minimum_backoff")
    maximum = parse_duration(merged["maximumBackoff"], "retry_policy.maximum_backoff")
    for field, seconds in (("minimum_backoff", minimum), ("maximum_backoff", maximum)):
        if not 0 <= seconds <= MAX_BACKOFF_SECONDS:
            raise invalid(f"Invalid retry_policy.{field}: it must be between 0s and 600s.")
    if minimum > maximum:
        raise invalid("Invalid retry_policy: minimum_backoff is greater than maximum_backoff.")
    return RetryPolicy(minimum_backoff=minimum, maximum_backoff=maximum)


def _parse_dead_letter_policy(value: object, topic_exists: TopicExists) -> DeadLetterPolicy | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid("Invalid value at 'dead_letter_policy': expected an object.")
    topic = value.get("deadLetterTopic")
    if not isinstance(topic, str) or not topic:
        raise invalid("Invalid dead_letter_policy: a deadLetterTopic is required.")
    if not topic_exists(topic):
        raise invalid(f"Invalid dead_letter_policy: the dead-letter topic {topic} does not exist.")
    attempts = value.get("maxDeliveryAttempts") or MIN_DELIVERY_ATTEMPTS
    if not isinstance(attempts, int) or isinstance(attempts, bool):
        raise invalid("Invalid value at 'dead_letter_policy.max_delivery_attempts'.")
    if not MIN_DELIVERY_ATTEMPTS <= attempts <= MAX_DELIVERY_ATTEMPTS:
        raise invalid(
            f"Invalid dead_letter_policy.max_delivery_attempts: {attempts}. It must be between "
            f"{MIN_DELIVERY_ATTEMPTS} and {MAX_DELIVERY_ATTEMPTS}."
        )
    return DeadLetterPolicy(topic=topic, max_delivery_attempts=attempts)
