"""``--data-dir``: topics, subscriptions and unacknowledged messages outlive a SIGKILLed service."""

from __future__ import annotations

import base64
import signal
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from tests.integration.pubsub.conftest import PubSubApi

pytestmark = pytest.mark.integration


def restart(service_control: Any, service: Any, data_dir: Path) -> Any:
    service.process.send_signal(signal.SIGKILL)
    service.process.wait(10)
    return service_control.start(service.port, data_dir)


def outstanding(service: Any, subscription: str) -> int:
    answer = requests.get(f"{service.url}/_local/outstanding", timeout=5).json()
    counts: dict[str, int] = answer["subscriptions"]
    return next(n for path, n in counts.items() if path.endswith(f"/{subscription}"))


def wait_until(check: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met"
        time.sleep(0.02)


def test_unacknowledged_messages_come_back_in_order_and_acknowledged_ones_do_not(
    service_control: Any, tmp_path: Path
) -> None:
    data_dir = tmp_path / "pubsub"
    service = service_control.start(0, data_dir)
    api = PubSubApi(service.url, "durable")
    api.create_topic("orders")
    api.create_subscription("orders-pull", "orders", enableMessageOrdering=True)
    ids = [api.publish("orders", f"order {i}".encode(), key="IBKR_Main/AAPL") for i in range(6)]
    (first,) = api.pull("orders-pull")
    api.acknowledge("orders-pull", [first["ackId"]])
    api.pull("orders-pull")  # Leased, never acknowledged.

    service = restart(service_control, service, data_dir)

    api = PubSubApi(service.url, "durable")
    delivered = []
    for _ in ids[1:]:
        (message,) = api.pull_until("orders-pull", 1)
        delivered.append(message["message"]["messageId"])
        api.acknowledge("orders-pull", [message["ackId"]])
    assert delivered == ids[1:]
    assert api.pull("orders-pull") == []


def test_a_push_subscription_delivers_again_what_its_endpoint_never_acknowledged(
    service_control: Any, push_receiver: Any, tmp_path: Path
) -> None:
    data_dir = tmp_path / "pubsub"
    service = service_control.start(0, data_dir)
    refusing = {"now": True}
    receiver = push_receiver(
        lambda delivery: (204 if delivery.data == b"taken" or not refusing["now"] else 503, 0.0)
    )
    api = PubSubApi(service.url, "durable")
    api.create_topic("signals")
    api.create_topic("signals-dead-letter")
    api.create_subscription(
        "cerebro-signals",
        "signals",
        pushConfig={"pushEndpoint": receiver.url},
        retryPolicy={"minimumBackoff": "60s", "maximumBackoff": "60s"},
        deadLetterPolicy={
            "deadLetterTopic": api.topic("signals-dead-letter"),
            "maxDeliveryAttempts": 5,
        },
    )
    acknowledged = api.publish("signals", b"taken")
    refused = api.publish("signals", b"refused before the crash")
    receiver.wait_for(2)
    # The marker: the service has settled the first and still owes the second.
    wait_until(lambda: outstanding(service, "cerebro-signals") == 1)

    service.process.send_signal(signal.SIGKILL)
    service.process.wait(10)
    refusing["now"] = False
    service_control.start(service.port, data_dir)

    deliveries = receiver.wait_for(3)
    assert sorted(d.message["messageId"] for d in deliveries[:2]) == sorted([acknowledged, refused])
    assert deliveries[2].message["messageId"] == refused
    assert deliveries[-1].attempt == 1  # Attempts are not kept: a restart starts again at 1.
    assert deliveries[-1].data == b"refused before the crash"


def test_the_journal_is_compacted_at_start_and_deleted_things_stay_deleted(
    service_control: Any, tmp_path: Path
) -> None:
    data_dir = tmp_path / "pubsub"
    service = service_control.start(0, data_dir)
    api = PubSubApi(service.url, "durable")
    api.create_topic("fills")
    api.create_subscription("fills-kept", "fills")
    api.create_subscription("fills-dropped", "fills")
    for i in range(50):
        api.publish("fills", f"fill {i}".encode())
    api.ok("DELETE", api.subscription("fills-dropped"))
    for message in api.pull_until("fills-kept", 45):
        if int(base64.b64decode(message["message"]["data"]).split()[1]) < 45:
            api.acknowledge("fills-kept", [message["ackId"]])

    service = restart(service_control, service, data_dir)

    api = PubSubApi(service.url, "durable")
    assert api.call("GET", api.subscription("fills-dropped")).status_code == 404
    left = sorted(base64.b64decode(m["message"]["data"]) for m in api.pull_until("fills-kept", 5))
    assert left == [f"fill {i}".encode() for i in range(45, 50)]
    assert (data_dir / "journal.jsonl").stat().st_size == 0
    snapshot = (data_dir / "snapshot.jsonl").read_text().splitlines()
    assert sum('"op":"publish"' in line for line in snapshot) == 5
