"""The Telegram notifier with its token read from the secret store at each send: a rotated
token is used at the next alert, no restart; a token secret with no value sends nothing."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from mats.adapters.telegram import TelegramNotifier
from mats.domain.alerts import Alert, AlertSeverity


class _Capture(http.server.BaseHTTPRequestHandler):
    paths: list[str] = []  # noqa: RUF012 - one capture server per test, reset by the fixture.

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).paths.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def telegram() -> Iterator[tuple[str, list[str]]]:
    _Capture.paths = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Capture)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", _Capture.paths
    server.shutdown()
    server.server_close()


def _alert(alert_id: str) -> Alert:
    return Alert(
        alert_id=alert_id,
        kind="BRIDGE_DISCONNECTED",
        severity=AlertSeverity.WARNING,
        message="IB Gateway unreachable",
        created_at=datetime(2026, 12, 3, tzinfo=UTC),
        source="bridge",
    )


def test_a_rotated_token_is_used_at_the_next_send(telegram: tuple[str, list[str]]) -> None:
    url, paths = telegram
    tokens = iter(["111:old", "222:new"])
    notifier = TelegramNotifier(url, lambda: next(tokens), "-100")

    assert notifier.notify(_alert("a1"))
    assert notifier.notify(_alert("a2"))

    assert paths == ["/bot111:old/sendMessage", "/bot222:new/sendMessage"]


def test_a_token_secret_without_a_value_sends_nothing(telegram: tuple[str, list[str]]) -> None:
    url, paths = telegram
    notifier = TelegramNotifier(url, lambda: None, "-100")

    assert notifier.notify(_alert("a1")) is False
    assert paths == []
