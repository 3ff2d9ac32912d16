"""Fixtures: the local Pub/Sub service as a real subprocess, its REST API, and push receivers."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

READY_TIMEOUT_SECONDS = 15.0


@dataclass
class Service:
    """A running local Pub/Sub service."""

    process: subprocess.Popen[str]
    port: int
    log_path: Path

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def logs(self) -> list[dict[str, Any]]:
        lines = self.log_path.read_text().splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]


def start_service(log_path: Path, port: int = 0, data_dir: Path | None = None) -> Service:
    """Start ``python -m mats.localstack.pubsub`` on a loopback port (0: any free one)."""
    log_file = log_path.open("a")
    command = [sys.executable, "-m", "mats.localstack.pubsub", "--host", "127.0.0.1"]
    if data_dir is not None:
        command += ["--data-dir", str(data_dir)]
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=log_file,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    log_file.close()
    assert process.stdout is not None
    ready: dict[str, Any] = {}
    reader = threading.Thread(target=lambda: ready.update(json.loads(process.stdout.readline())))
    reader.start()
    reader.join(READY_TIMEOUT_SECONDS)
    if not ready.get("ready"):
        process.kill()
        raise RuntimeError(f"local Pub/Sub did not start: {log_path.read_text()}")
    return Service(process=process, port=int(ready["port"]), log_path=log_path)


def stop_service(service: Service) -> int:
    service.process.terminate()
    try:
        return service.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        service.process.kill()
        raise


@pytest.fixture
def service_control(tmp_path: Path) -> Iterator[Any]:
    """Start and stop private service processes; whatever is still running stops afterwards."""
    started: list[Service] = []

    class Control:
        @staticmethod
        def start(port: int = 0, data_dir: Path | None = None) -> Service:
            service = start_service(tmp_path / "service.log", port, data_dir)
            started.append(service)
            return service

        @staticmethod
        def stop(service: Service) -> int:
            return stop_service(service)

    yield Control()
    for service in started:
        if service.process.poll() is None:
            stop_service(service)


@pytest.fixture(scope="session")
def pubsub_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    service = start_service(tmp_path_factory.mktemp("pubsub") / "service.log")
    yield service
    stop_service(service)


class PubSubApi:
    """A thin JSON client for the REST API, scoped to one project."""

    def __init__(self, base_url: str, project: str) -> None:
        self.base_url = base_url
        self.project = project
        self.session = requests.Session()
        self.session.trust_env = False  # Loopback only: never via a proxy from the environment.

    def topic(self, name: str) -> str:
        return f"projects/{self.project}/topics/{name}"

    def subscription(self, name: str) -> str:
        return f"projects/{self.project}/subscriptions/{name}"

    def call(self, method: str, path: str, body: Any = None) -> requests.Response:
        return self.session.request(method, f"{self.base_url}/v1/{path}", json=body, timeout=10)

    def ok(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        response = self.call(method, path, body)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def create_topic(self, name: str) -> str:
        self.ok("PUT", self.topic(name))
        return self.topic(name)

    def create_subscription(self, name: str, topic: str, **settings: Any) -> dict[str, Any]:
        return self.ok("PUT", self.subscription(name), {"topic": self.topic(topic), **settings})

    def publish(
        self, topic: str, data: bytes, attributes: dict[str, str] | None = None, key: str = ""
    ) -> str:
        message: dict[str, Any] = {"data": base64.b64encode(data).decode()}
        if attributes:
            message["attributes"] = attributes
        if key:
            message["orderingKey"] = key
        result = self.ok("POST", f"{self.topic(topic)}:publish", {"messages": [message]})
        message_id: str = result["messageIds"][0]
        return message_id

    def pull(self, subscription: str, max_messages: int = 100) -> list[dict[str, Any]]:
        result = self.ok(
            "POST", f"{self.subscription(subscription)}:pull", {"maxMessages": max_messages}
        )
        received: list[dict[str, Any]] = result.get("receivedMessages", [])
        return received

    def pull_until(
        self, subscription: str, count: int, timeout: float = 10.0
    ) -> list[dict[str, Any]]:
        received: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(received) < count and time.monotonic() < deadline:
            received += self.pull(subscription)
            if len(received) < count:
                time.sleep(0.02)
        return received

    def acknowledge(self, subscription: str, ack_ids: list[str]) -> None:
        self.ok("POST", f"{self.subscription(subscription)}:acknowledge", {"ackIds": ack_ids})

    def outstanding(self) -> dict[str, int]:
        """What each subscription has not settled yet (the service's own ``/_local`` route)."""
        answer = self.session.get(f"{self.base_url}/_local/outstanding", timeout=10)
        counts: dict[str, int] = answer.json()["subscriptions"]
        return counts

    def wait_settled(self, subscription: str, timeout: float = 10.0) -> None:
        """The marker that no delivery of ``subscription`` is left: every message acknowledged
        or dead-lettered, so nothing more can arrive."""
        path, deadline = self.subscription(subscription), time.monotonic() + timeout
        while self.outstanding().get(path, 0) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not self.outstanding().get(path, 0), f"{subscription} still has deliveries"


@pytest.fixture
def api(pubsub_service: Service) -> PubSubApi:
    """The REST API in a fresh project, so tests sharing the service never see each other."""
    return PubSubApi(pubsub_service.url, f"test-{uuid.uuid4().hex[:12]}")


@dataclass
class Delivery:
    """One push request as the endpoint received it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    received_at: float
    answered_at: float | None = None

    @property
    def message(self) -> dict[str, Any]:
        message: dict[str, Any] = self.body["message"]
        return message

    @property
    def data(self) -> bytes:
        return base64.b64decode(self.message["data"])

    @property
    def attempt(self) -> int | None:
        attempt: int | None = self.body.get("deliveryAttempt")
        return attempt


Responder = Callable[[Delivery], "tuple[int, float]"]


@dataclass
class PushReceiver:
    """A push endpoint on a loopback port that answers each request as ``respond`` says."""

    respond: Responder
    deliveries: list[Delivery] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/push"

    def record(self, delivery: Delivery) -> None:
        with self.changed:
            self.deliveries.append(delivery)
            self.changed.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Delivery]:
        with self.changed:
            self.changed.wait_for(lambda: len(self.deliveries) >= count, timeout)
            return list(self.deliveries)


def _handler_class(receiver: PushReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # Keep-alive, as Cloud Run serves.

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            delivery = Delivery(
                path=self.path,
                headers={key.lower(): value for key, value in self.headers.items()},
                body=json.loads(self.rfile.read(length)),
                received_at=time.monotonic(),
            )
            receiver.record(delivery)
            status, delay = receiver.respond(delivery)
            time.sleep(delay)
            delivery.answered_at = time.monotonic()
            try:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass  # The service gave up waiting (ack deadline) and closed the connection.

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # Connections the service dropped on purpose are expected here.


@pytest.fixture
def push_receiver() -> Iterator[Callable[[Responder], PushReceiver]]:
    """Start push receivers on demand; ``respond`` maps a delivery to (status, delay seconds)."""
    receivers: list[PushReceiver] = []

    def start(respond: Responder) -> PushReceiver:
        receiver = PushReceiver(respond)
        receiver.server = _QuietServer(("127.0.0.1", 0), _handler_class(receiver))
        threading.Thread(
            target=receiver.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        receivers.append(receiver)
        return receiver

    yield start
    for receiver in receivers:
        assert receiver.server is not None
        receiver.server.shutdown()
        receiver.server.server_close()
