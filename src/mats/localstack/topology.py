"""The declared message topology (``infra/pubsub/topology.json``) and how the stack applies it.

A subscription either pulls (no ``push_function``; dead-letter holds are kept this way so nothing
dead-lettered is lost) or pushes to a function, the way an Eventarc trigger does. Push
subscriptions dead-letter to their topic's ``dead_letter_topic``. A dead-letter topic has none of
its own, so its push subscription (the dashboard's, which records and counts what arrives) is
retried until it is acknowledged; every dead-letter topic also has a pull subscription, its hold.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mats.adapters.pubsub import PubSubAdmin
from mats.codec import from_primitive


@dataclass(frozen=True)
class TopicSpec:
    name: str
    dead_letter_topic: str | None = None


@dataclass(frozen=True)
class SubscriptionSpec:
    name: str
    topic: str
    push_function: str | None = None
    push_path: str = "/"
    ordering: bool = False
    ack_deadline_seconds: int = 60
    min_backoff_seconds: int = 10
    max_backoff_seconds: int = 600
    max_delivery_attempts: int = 10


@dataclass(frozen=True)
class Topology:
    topics: tuple[TopicSpec, ...]
    subscriptions: tuple[SubscriptionSpec, ...]
    description: str = ""

    def topic(self, name: str) -> TopicSpec:
        for topic in self.topics:
            if topic.name == name:
                return topic
        raise KeyError(name)


def load_topology(path: Path) -> Topology:
    """Read and check a topology file: every referenced topic must be declared, and every
    dead-letter topic held by a pull subscription and without a dead-letter topic of its own."""
    topology = from_primitive(Topology, json.loads(path.read_text()), path.name)
    names = {topic.name for topic in topology.topics}
    references = [t.dead_letter_topic for t in topology.topics if t.dead_letter_topic] + [
        s.topic for s in topology.subscriptions
    ]
    missing = sorted({name for name in references if name not in names})
    if missing:
        raise ValueError(f"{path}: undeclared topics referenced: {', '.join(missing)}")
    dead_letter_topics = {t.dead_letter_topic for t in topology.topics if t.dead_letter_topic}
    chained = sorted(
        t.name for t in topology.topics if t.dead_letter_topic and t.name in dead_letter_topics
    )
    if chained:
        raise ValueError(
            f"{path}: dead-letter topics with a dead-letter topic: {', '.join(chained)}"
        )
    held = {s.topic for s in topology.subscriptions if s.push_function is None}
    unheld = sorted(dead_letter_topics - held)
    if unheld:
        raise ValueError(
            f"{path}: dead-letter topics without a pull (hold) subscription: {', '.join(unheld)}"
        )
    return topology


def apply_topology(
    admin: PubSubAdmin, topology: Topology, function_urls: Mapping[str, str]
) -> list[str]:
    """Create what is missing; push subscriptions only for functions that are running.

    Returns the names of the subscriptions that were applied.
    """
    for topic in topology.topics:
        admin.ensure_topic(topic.name)
    applied = []
    for subscription in topology.subscriptions:
        endpoint = None
        if subscription.push_function is not None:
            base = function_urls.get(subscription.push_function)
            if base is None:
                continue
            endpoint = base.rstrip("/") + subscription.push_path
        dead_letter = topology.topic(subscription.topic).dead_letter_topic if endpoint else None
        admin.ensure_subscription(
            subscription.name,
            topic=subscription.topic,
            push_endpoint=endpoint,
            ack_deadline_seconds=subscription.ack_deadline_seconds,
            min_backoff_seconds=subscription.min_backoff_seconds,
            max_backoff_seconds=subscription.max_backoff_seconds,
            dead_letter_topic=dead_letter,
            max_delivery_attempts=subscription.max_delivery_attempts if dead_letter else None,
            ordering=subscription.ordering,
        )
        applied.append(subscription.name)
    return applied
