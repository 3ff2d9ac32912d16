"""The bridge's admin API client: what it sends, and every refusal of the bridge as a MATS error
(a loopback server stands in for the bridge)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from mats.adapters.bridge_control import HttpBridgeControl
from mats.codec import to_primitive
from mats.domain.execution.records import new_record
from mats.errors import MatsError, NotFoundError, TemporaryError, ValidationError
from tests.builders import NOW, an_order


class Bridge:
    """Answers each path as told; keeps what it was sent."""

    def __init__(self) -> None:
        self.answers: dict[str, tuple[int, Any]] = {}
        self.received: list[tuple[str, str, Any]] = []


@pytest.fixture
def bridge() -> Iterator[tuple[Bridge, str]]:
    state = Bridge()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            state.received.append((self.command, self.path, json.loads(raw) if raw else None))
            status, body = state.answers.get(self.path, (404, {"error": "no route"}))
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer  # noqa: N815 - http.server's names.

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_cancel_names_who_asked_and_answers_the_order_record(
    bridge: tuple[Bridge, str],
) -> None:
    state, url = bridge
    record = new_record(an_order(), NOW)
    path = f"/admin/orders/{record.order_id}/cancel"
    state.answers[path] = (200, to_primitive(record))

    answered = HttpBridgeControl(url).cancel_order(record.order_id, by="ops@fund.example")

    assert answered == record
    assert state.received == [("POST", path, {"by": "ops@fund.example"})]


def test_a_reconciliation_answers_each_accounts_report(bridge: tuple[Bridge, str]) -> None:
    state, url = bridge
    state.answers["/admin/reconcile"] = (200, {"accounts": [{"account": "IBKR_Main"}]})

    reports = HttpBridgeControl(url).reconcile("IBKR_Main")

    assert reports == [{"account": "IBKR_Main"}]
    assert state.received == [("POST", "/admin/reconcile", {"account": "IBKR_Main"})]


@pytest.mark.parametrize(
    ("status", "body", "error", "text"),
    [
        (404, {"status": "not_found", "error": "order 'x' does not exist"}, NotFoundError, "x"),
        (503, {"status": "unavailable", "error": "IB is down"}, TemporaryError, "IB is down"),
        (400, {"field": "account", "error": "expected a string"}, ValidationError, "string"),
        (422, {"status": "invalid", "error": "bad order"}, MatsError, "refused: bad order"),
        (502, b"<html>gateway</html>", TemporaryError, "gateway"),
    ],
)
def test_each_refusal_of_the_bridge_becomes_a_mats_error(
    bridge: tuple[Bridge, str], status: int, body: Any, error: type[Exception], text: str
) -> None:
    state, url = bridge
    state.answers["/admin/status"] = (status, body)

    with pytest.raises(error, match=text):
        HttpBridgeControl(url).status()


def test_a_bridge_that_does_not_answer_is_temporarily_unavailable() -> None:
    with pytest.raises(TemporaryError, match="cannot reach the bridge"):
        HttpBridgeControl("http://127.0.0.1:9").status()
