from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mats.adapters.pubsub import PubSubAdmin
from mats.localstack.probes import free_port, port_in_use
from tests.conftest import BIN, Stack, unique

RECEIVER_DIR = Path(__file__).parent / "receiver"


@dataclass
class Receiver:
    """A functions-framework CloudEvent function subscribed to ``signals``."""

    out: Path

    def deliveries(self) -> list[dict[str, Any]]:
        if not self.out.exists():
            return []
        return [json.loads(line) for line in self.out.read_text().splitlines() if line]

    def wait_for(self, signal_id: str, timeout: float = 15) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [d for d in self.deliveries() if d["decoded"]["id"] == signal_id]
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{signal_id} was not delivered within {timeout} s")


@contextmanager
def subscribed_receiver(stack: Stack, topic: str, out: Path) -> Iterator[Receiver]:
    """Run the receiver function and push ``topic`` to it through a fresh subscription."""
    port = free_port()
    env = {**stack.env(), "RECEIVER_OUT": str(out), "PATH": str(BIN)}
    process = subprocess.Popen(
        [
            str(BIN / "functions-framework"),
            "--target",
            "receive",
            "--signature-type",
            "cloudevent",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=RECEIVER_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not port_in_use(port) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    subscription = unique(f"{topic}-receiver")
    admin = PubSubAdmin(stack.info["project_id"])
    admin.ensure_subscription(
        subscription,
        topic=topic,
        push_endpoint=f"http://127.0.0.1:{port}/",
        ack_deadline_seconds=10,
        min_backoff_seconds=0.1,
        max_backoff_seconds=1,
        dead_letter_topic=f"{topic}-dead-letter",
        max_delivery_attempts=5,
        ordering=True,
    )
    try:
        yield Receiver(out)
    finally:
        admin.delete_subscription(subscription)
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="session")
def receiver(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Receiver]:
    """A subscriber function on ``signals``."""
    out = tmp_path_factory.mktemp("signals-receiver") / "deliveries.jsonl"
    with subscribed_receiver(stack, "signals", out) as running:
        yield running


@pytest.fixture(scope="session")
def order_receiver(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Receiver]:
    """A subscriber function on ``orders`` (where the execution bridge will listen)."""
    out = tmp_path_factory.mktemp("orders-receiver") / "deliveries.jsonl"
    with subscribed_receiver(stack, "orders", out) as running:
        yield running
