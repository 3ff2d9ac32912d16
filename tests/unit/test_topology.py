"""The declared topology: every dead-letter topic held for replay and pushed to the dashboard,
and applied without a dead-letter policy of its own."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from mats.localstack.topology import apply_topology, load_topology
from tests.conftest import REPO

TOPOLOGY = REPO / "infra" / "pubsub" / "topology.json"
URLS = {
    "cerebro": "http://127.0.0.1:1",
    "bridge": "http://127.0.0.1:2",
    "optimizer": "http://127.0.0.1:3",
    "dashboard": "http://127.0.0.1:4",
}


class RecordingAdmin:
    def __init__(self) -> None:
        self.topics: list[str] = []
        self.subscriptions: dict[str, dict[str, Any]] = {}

    def ensure_topic(self, name: str) -> None:
        self.topics.append(name)

    def ensure_subscription(self, name: str, topic: str, **settings: Any) -> None:
        self.subscriptions[name] = {"topic": topic, **settings}


def test_every_dead_letter_topic_is_held_and_pushed_to_the_dashboard() -> None:
    topology = load_topology(TOPOLOGY)
    dead_letter_topics = {t.dead_letter_topic for t in topology.topics if t.dead_letter_topic}

    for topic in sorted(dead_letter_topics):
        subscriptions = [s for s in topology.subscriptions if s.topic == topic]
        assert {(s.name, s.push_function, s.push_path) for s in subscriptions} == {
            (f"{topic}-hold", None, "/"),
            (f"dashboard-{topic}", "dashboard", "/pubsub/dead-letters"),
        }, topic
    assert len(dead_letter_topics) == 6


def test_dead_letter_pushes_are_applied_without_a_dead_letter_policy() -> None:
    admin = RecordingAdmin()

    apply_topology(admin, load_topology(TOPOLOGY), URLS)  # type: ignore[arg-type]

    pushed = admin.subscriptions["dashboard-orders-dead-letter"]
    assert pushed["push_endpoint"] == "http://127.0.0.1:4/pubsub/dead-letters"
    assert (pushed["dead_letter_topic"], pushed["max_delivery_attempts"]) == (None, None)
    source = admin.subscriptions["bridge-orders"]
    assert (source["dead_letter_topic"], source["max_delivery_attempts"]) == (
        "orders-dead-letter",
        20,
    )
    assert admin.subscriptions["orders-dead-letter-hold"]["push_endpoint"] is None


def test_without_the_dashboard_running_its_pushes_wait_and_the_holds_still_keep() -> None:
    admin = RecordingAdmin()

    apply_topology(admin, load_topology(TOPOLOGY), {"cerebro": URLS["cerebro"]})  # type: ignore[arg-type]

    assert "dashboard-orders-dead-letter" not in admin.subscriptions
    assert "orders-dead-letter-hold" in admin.subscriptions


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda t: t["topics"].__setitem__(
                6, {"name": "signals-dead-letter", "dead_letter_topic": "orders-dead-letter"}
            ),
            "dead-letter topics with a dead-letter topic: signals-dead-letter",
        ),
        (
            lambda t: t.__setitem__(
                "subscriptions",
                [s for s in t["subscriptions"] if s["name"] != "fills-dead-letter-hold"],
            ),
            "dead-letter topics without a pull (hold) subscription: fills-dead-letter",
        ),
    ],
)
def test_a_topology_that_would_lose_dead_letters_is_refused(
    tmp_path: Path, change: Any, problem: str
) -> None:
    declared = json.loads(TOPOLOGY.read_text())
    change(declared)
    path = tmp_path / "topology.json"
    path.write_text(json.dumps(declared))

    with pytest.raises(ValueError, match=re.escape(problem)):
        load_topology(path)
