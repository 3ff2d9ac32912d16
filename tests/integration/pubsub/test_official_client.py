"""The official Google client and functions-framework against the local service, unchanged."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import functions_framework
import pytest
from werkzeug.serving import make_server

from mats.adapters.pubsub import make_publisher_client

pytestmark = pytest.mark.integration

CLOUDEVENT_FUNCTION = """
import base64
import json
import pathlib

import functions_framework

OUTPUT = pathlib.Path({output!r})


@functions_framework.cloud_event
def handle(event):
    message = event.data["message"]
    record = {{
        "id": event["id"],
        "type": event["type"],
        "source": event["source"],
        "time": event["time"],
        "specversion": event["specversion"],
        "data": base64.b64decode(message["data"]).decode(),
        "attributes": message["attributes"],
        "message_id": message["messageId"],
        "ordering_key": message.get("orderingKey"),
        "subscription": event.data["subscription"],
    }}
    with OUTPUT.open("a") as output:
        output.write(json.dumps(record) + "\\n")
"""


@pytest.fixture
def publisher_client(pubsub_service: Any) -> Iterator[Any]:
    client = make_publisher_client(pubsub_service.host)
    yield client
    client.stop()


@pytest.fixture
def cloudevent_function(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Serve a real functions-framework CloudEvent function; yield its URL and output file."""
    output = tmp_path / "events.jsonl"
    source = tmp_path / "main.py"
    source.write_text(CLOUDEVENT_FUNCTION.format(output=str(output)))
    app = functions_framework.create_app("handle", str(source), "cloudevent")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/", output
    server.shutdown()
    thread.join()


def test_official_client_publishes_over_rest_to_a_push_endpoint(
    api: Any, push_receiver: Any, publisher_client: Any
) -> None:
    receiver = push_receiver(lambda _: (204, 0.0))
    api.create_topic("signals")
    api.create_subscription(
        "signals-push",
        "signals",
        pushConfig={"pushEndpoint": receiver.url},
        enableMessageOrdering=True,
    )

    futures = [
        publisher_client.publish(
            api.topic("signals"),
            f'{{"n":{number}}}'.encode(),
            ordering_key="alpha/BTC",
            strategy_id="alpha",
            mode="PAPER",
        )
        for number in range(5)
    ]
    message_ids = [future.result(timeout=10) for future in futures]
    deliveries = receiver.wait_for(5)

    assert [delivery.headers["ce-id"] for delivery in deliveries] == message_ids
    assert [delivery.data for delivery in deliveries] == [
        f'{{"n":{number}}}'.encode() for number in range(5)
    ]
    assert deliveries[0].message["attributes"] == {"strategy_id": "alpha", "mode": "PAPER"}
    assert deliveries[0].message["orderingKey"] == "alpha/BTC"


def test_official_client_surfaces_api_errors(api: Any, publisher_client: Any) -> None:
    future = publisher_client.publish(api.topic("missing"), b"hello")

    with pytest.raises(Exception, match="Topic not found") as raised:
        future.result(timeout=10)

    assert type(raised.value).__name__ == "NotFound"


def test_functions_framework_cloudevent_function_decodes_the_push(
    api: Any, publisher_client: Any, cloudevent_function: tuple[str, Path]
) -> None:
    url, output = cloudevent_function
    api.create_topic("signals")
    api.create_subscription(
        "signals-function",
        "signals",
        pushConfig={"pushEndpoint": url},
        retryPolicy={"minimumBackoff": "0.050s"},
    )

    message_id = publisher_client.publish(
        api.topic("signals"), b'{"id":"s1"}', ordering_key="alpha/BTC", strategy_id="alpha"
    ).result(timeout=10)
    (event,) = wait_for_lines(output, 1)

    assert event == {
        "id": message_id,
        "type": "google.cloud.pubsub.topic.v1.messagePublished",
        "source": f"//pubsub.googleapis.com/{api.topic('signals')}",
        "time": event["time"],
        "specversion": "1.0",
        "data": '{"id":"s1"}',
        "attributes": {"strategy_id": "alpha"},
        "message_id": message_id,
        "ordering_key": "alpha/BTC",
        "subscription": api.subscription("signals-function"),
    }
    assert event["time"].endswith("Z")


def wait_for_lines(path: Path, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    done = threading.Event()
    lines: list[str] = []
    for _ in range(int(timeout / 0.02)):
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= count:
            break
        done.wait(0.02)
    return [json.loads(line) for line in lines]
