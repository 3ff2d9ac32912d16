"""The service as a process: readiness line, requested ports, clean shutdown on signals."""

from __future__ import annotations

import signal
import socket
import time
from typing import Any

import pytest
import requests

pytestmark = pytest.mark.integration


def test_ready_line_reports_the_requested_port(service_control: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    service = service_control.start(port)

    assert service.port == port
    assert requests.get(f"{service.url}/", timeout=5).text == "Ok"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_the_service_cleanly_mid_delivery(
    service_control: Any, push_receiver: Any, signum: signal.Signals
) -> None:
    service = service_control.start()
    receiver = push_receiver(lambda _: (204, 5.0))
    session = requests.Session()
    session.trust_env = False
    base = f"{service.url}/v1/projects/mats-local"
    session.put(f"{base}/topics/signals", timeout=5)
    session.put(
        f"{base}/subscriptions/signals-push",
        json={
            "topic": "projects/mats-local/topics/signals",
            "pushConfig": {"pushEndpoint": receiver.url},
        },
        timeout=5,
    )
    session.post(f"{base}/topics/signals:publish", json={"messages": [{"data": "aGk="}]}, timeout=5)
    receiver.wait_for(1)
    started = time.monotonic()

    service.process.send_signal(signum)
    code = service.process.wait(timeout=10)

    assert code == 0
    assert time.monotonic() - started < 3.0
    assert "Traceback" not in service.log_path.read_text()
