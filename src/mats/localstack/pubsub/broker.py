"""The in-memory Pub/Sub: topics, subscriptions, publish fan-out and dead-letter forwarding."""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Protocol

import aiohttp

from mats.localstack.pubsub.model import (
    DELETED_TOPIC,
    ApiError,
    Message,
    MessageDraft,
    format_timestamp,
    invalid,
    parse_publish_request,
    project_of,
    short_name,
)
from mats.localstack.pubsub.pull import PullSubscription
from mats.localstack.pubsub.push import PushSubscription
from mats.localstack.pubsub.subscriptions import (
    SubscriptionConfig,
    parse_subscription,
    update_subscription,
)

logger = logging.getLogger(__name__)

Subscription = PushSubscription | PullSubscription


class Recorder(Protocol):
    """Where the broker reports every change that must outlive it (``durable.DurableState``)."""

    def topic_created(self, path: str) -> None: ...

    def topic_deleted(self, path: str) -> None: ...

    def subscription_saved(self, config: SubscriptionConfig) -> None: ...

    def subscription_deleted(self, path: str) -> None: ...

    def published(self, message: Message, subscriptions: Sequence[str]) -> None: ...

    def settled(self, subscription: str, message_id: str) -> None: ...


class _Forget:
    """The in-memory service: nothing outlives it."""

    def topic_created(self, path: str) -> None:
        pass

    def topic_deleted(self, path: str) -> None:
        pass

    def subscription_saved(self, config: SubscriptionConfig) -> None:
        pass

    def subscription_deleted(self, path: str) -> None:
        pass

    def published(self, message: Message, subscriptions: Sequence[str]) -> None:
        pass

    def settled(self, subscription: str, message_id: str) -> None:
        pass


class Broker:
    """Hold every topic and subscription of every project, and route published messages."""

    def __init__(self, session: aiohttp.ClientSession, recorder: Recorder | None = None) -> None:
        self._session = session
        self._recorder: Recorder = recorder or _Forget()
        # Topic path -> its subscription paths, in creation order.
        self._topics: dict[str, dict[str, None]] = {}
        self._subscriptions: dict[str, Subscription] = {}
        # Subscription path -> messages it has not settled yet (delivering or waiting to).
        self._outstanding: dict[str, int] = {}
        # Start from the current time so ids stay unique across restarts of the service:
        # handlers may deduplicate on the message id (the CloudEvent id).
        self._message_ids = itertools.count(time.time_ns() // 1000)

    def create_topic(self, path: str) -> dict[str, Any]:
        if path in self._topics:
            raise ApiError(409, "Topic already exists")
        self._topics[path] = {}
        self._recorder.topic_created(path)
        return {"name": path}

    def get_topic(self, path: str) -> dict[str, Any]:
        self._topic_subscriptions(path)
        return {"name": path}

    def delete_topic(self, path: str) -> None:
        for subscription_path in self._topic_subscriptions(path):
            subscription = self._subscriptions[subscription_path]
            subscription.config = replace(subscription.config, topic=DELETED_TOPIC)
            self._recorder.subscription_saved(subscription.config)
        del self._topics[path]
        self._recorder.topic_deleted(path)

    def list_topics(self, project: str) -> dict[str, Any]:
        topics = [{"name": path} for path in self._topics if project_of(path) == project]
        return {"topics": topics} if topics else {}

    def list_topic_subscriptions(self, path: str) -> dict[str, Any]:
        names = list(self._topic_subscriptions(path))
        return {"subscriptions": names} if names else {}

    def create_subscription(self, path: str, body: object) -> dict[str, Any]:
        if path in self._subscriptions:
            raise ApiError(409, "Subscription already exists")
        config = parse_subscription(path, body, self._topics.__contains__)
        self._add_subscription(config)
        self._recorder.subscription_saved(config)
        return config.to_json()

    def restore(
        self,
        topics: Sequence[str],
        subscriptions: Sequence[Mapping[str, Any]],
        messages: Sequence[tuple[Message, Sequence[str]]],
    ) -> None:
        """Rebuild what a previous run kept, before serving (nothing is recorded again)."""
        for path in topics:
            self._topics[path] = {}
        for body in subscriptions:
            # A kept subscription may name a deleted topic (Pub/Sub keeps those too).
            self._add_subscription(parse_subscription(str(body["name"]), body, lambda _: True))
        for message, paths in messages:
            for path in paths:
                subscription = self._subscriptions.get(path)
                if subscription is not None:
                    self._outstanding[path] += 1
                    subscription.enqueue(message)

    def _add_subscription(self, config: SubscriptionConfig) -> None:
        subscription: Subscription
        dead_letter, settled = self._forward_to_dead_letter_topic, self._settled
        if config.push_endpoint is None:
            subscription = PullSubscription(config, dead_letter, settled)
        else:
            subscription = PushSubscription(config, self._session, dead_letter, settled)
        self._subscriptions[config.name] = subscription
        self._outstanding[config.name] = 0
        if config.topic in self._topics:
            self._topics[config.topic][config.name] = None

    def get_subscription(self, path: str) -> dict[str, Any]:
        return self._subscription(path).config.to_json()

    def update_subscription(self, path: str, body: object) -> dict[str, Any]:
        subscription = self._subscription(path)
        subscription.config = update_subscription(
            subscription.config, body, self._topics.__contains__
        )
        self._recorder.subscription_saved(subscription.config)
        return subscription.config.to_json()

    def delete_subscription(self, path: str) -> None:
        subscription = self._subscription(path)
        subscription.close()
        del self._subscriptions[path]
        del self._outstanding[path]
        self._topics.get(subscription.config.topic, {}).pop(path, None)
        self._recorder.subscription_deleted(path)

    def list_subscriptions(self, project: str) -> dict[str, Any]:
        subscriptions = [
            subscription.config.to_json()
            for path, subscription in self._subscriptions.items()
            if project_of(path) == project
        ]
        return {"subscriptions": subscriptions} if subscriptions else {}

    def publish(self, topic: str, body: object, body_bytes: int) -> dict[str, Any]:
        """Validate a ``:publish`` request and fan its messages out to the topic's subscriptions."""
        subscriptions = self._topic_subscriptions(topic)
        drafts = parse_publish_request(body, body_bytes)
        return {"messageIds": [self._publish(topic, subscriptions, draft) for draft in drafts]}

    def pull(self, path: str, body: object) -> dict[str, Any]:
        max_messages = body.get("maxMessages") if isinstance(body, dict) else None
        if isinstance(max_messages, str) and max_messages.isdigit():
            max_messages = int(max_messages)
        if not isinstance(max_messages, int) or max_messages < 1:
            raise invalid("Invalid value at 'max_messages': it must be a positive integer.")
        received = self._pull_subscription(path).pull(max_messages)
        return {"receivedMessages": received} if received else {}

    def acknowledge(self, path: str, body: object) -> dict[str, Any]:
        self._pull_subscription(path).acknowledge(_ack_ids(body))
        return {}

    def modify_ack_deadline(self, path: str, body: object) -> dict[str, Any]:
        seconds = body.get("ackDeadlineSeconds") if isinstance(body, dict) else None
        self._pull_subscription(path).modify_ack_deadline(_ack_ids(body), seconds)
        return {}

    def close(self) -> None:
        """Stop every delivery; the service is shutting down."""
        for subscription in self._subscriptions.values():
            subscription.close()

    def _publish(self, topic: str, subscriptions: dict[str, None], draft: MessageDraft) -> str:
        message = Message(
            message_id=str(next(self._message_ids)),
            topic=topic,
            data=draft.data,
            attributes=draft.attributes,
            ordering_key=draft.ordering_key,
            publish_time=format_timestamp(datetime.now(UTC)),
        )
        # Kept before any subscriber can see it, and before the publisher gets its id.
        self._recorder.published(message, list(subscriptions))
        for path in subscriptions:
            self._outstanding[path] += 1
            self._subscriptions[path].enqueue(message)
        return message.message_id

    def outstanding(self) -> dict[str, Any]:
        """Messages each subscription has not settled (a local extension, not Google's API)."""
        return {"subscriptions": dict(self._outstanding)}

    def _settled(self, config: SubscriptionConfig, message: Message) -> None:
        if config.name in self._outstanding:
            self._outstanding[config.name] -= 1
        self._recorder.settled(config.name, message.message_id)

    def _forward_to_dead_letter_topic(
        self, config: SubscriptionConfig, message: Message, attempts: int
    ) -> None:
        policy = config.dead_letter_policy
        if policy is None:
            return
        attributes = {
            **message.attributes,
            "CloudPubSubDeadLetterSourceDeliveryCount": str(attempts),
            "CloudPubSubDeadLetterSourceSubscription": short_name(config.name),
            "CloudPubSubDeadLetterSourceSubscriptionProject": project_of(config.name),
            "CloudPubSubDeadLetterSourceTopicPublishTime": message.publish_time,
        }
        draft = MessageDraft(message.data, attributes, message.ordering_key)
        subscriptions = self._topics.get(policy.topic)
        if subscriptions is None:
            logger.error(
                "dead-letter topic missing; message dropped",
                extra=_log_fields(config, message, attempts, policy.topic),
            )
            return
        dead_letter_id = self._publish(policy.topic, subscriptions, draft)
        logger.warning(
            "message dead-lettered",
            extra={
                **_log_fields(config, message, attempts, policy.topic),
                "dead_letter_message_id": dead_letter_id,
            },
        )

    def _topic_subscriptions(self, path: str) -> dict[str, None]:
        subscriptions = self._topics.get(path)
        if subscriptions is None:
            raise ApiError(404, "Topic not found")
        return subscriptions

    def _subscription(self, path: str) -> Subscription:
        subscription = self._subscriptions.get(path)
        if subscription is None:
            raise ApiError(404, "Subscription not found")
        return subscription

    def _pull_subscription(self, path: str) -> PullSubscription:
        subscription = self._subscription(path)
        if not isinstance(subscription, PullSubscription):
            raise invalid("This is a push subscription; the local Pub/Sub service cannot pull it.")
        return subscription


def _ack_ids(body: object) -> list[str]:
    ack_ids = body.get("ackIds") if isinstance(body, dict) else None
    if not isinstance(ack_ids, list) or not ack_ids:
        raise invalid("No ack ids specified.")
    if not all(isinstance(ack_id, str) for ack_id in ack_ids):
        raise invalid("Invalid value at 'ack_ids': expected strings.")
    return ack_ids


def _log_fields(
    config: SubscriptionConfig, message: Message, attempts: int, dead_letter_topic: str
) -> dict[str, Any]:
    return {
        "subscription": config.name,
        "message_id": message.message_id,
        "attempt": attempts,
        "dead_letter_topic": dead_letter_topic,
    }
