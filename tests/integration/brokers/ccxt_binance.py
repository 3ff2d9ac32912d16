"""binance's REST API as recorded, behind ccxt's own HTTP session: no network, real ccxt code.

``BinanceRecording`` stands in for the ``requests.Session`` ccxt sends through, so every request
goes through ccxt's signing, its ``fetch`` (status handling, JSON parsing, logging) and binance's
``handle_errors``, and only the socket is replaced. It answers from the recorded responses in
``binance_recorded.json`` (binance's own response shapes) and keeps every request it was sent.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import ccxt
import requests
from requests.models import Response
from tests.builders import a_crypto_order
from tests.fakes import FakeClock

from mats.adapters.brokers.ccxt import CcxtBroker, CcxtCredentials
from mats.domain.orders import Order

RECORDED = json.loads((Path(__file__).parent / "binance_recorded.json").read_text())
ORDER_ID = "momentum_20261120_143000_1_ORD"
API_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
NOW = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)
ORDER_PATH = "/api/v3/order"


def recorded(name: str) -> Any:
    """A fresh copy of one recorded response (``errors.<name>`` for an error body)."""
    found: Any = RECORDED
    for part in name.split("."):
        found = found[part]
    return copy.deepcopy(found)


@dataclass(frozen=True)
class Sent:
    method: str
    host: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]


@dataclass
class _Answer:
    status: int = 200
    body: Any = None
    error: Exception | None = None
    raw: str | None = None


class BinanceRecording(requests.Session):
    """Answers each (method, path) from a script; the last answer of a route repeats."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[Sent] = []
        self._routes: dict[tuple[str, str], list[_Answer]] = {}
        self.answer("GET", "/api/v3/exchangeInfo", recorded("exchange_info"))
        self.answer("GET", "/api/v3/time", recorded("server_time"))

    def answer(self, method: str, path: str, body: Any, status: int = 200) -> None:
        self._routes.setdefault((method, path), []).append(_Answer(status, body))

    def answer_raw(self, method: str, path: str, text: str, status: int) -> None:
        self._routes.setdefault((method, path), []).append(_Answer(status, raw=text))

    def fail(self, method: str, path: str, error: Exception) -> None:
        self._routes.setdefault((method, path), []).append(_Answer(error=error))

    def forget(self, method: str, path: str) -> None:
        """Drop the route's script, so the next ``answer`` or ``fail`` comes first."""
        self._routes.pop((method, path), None)

    def to(self, method: str, path: str) -> list[Sent]:
        return [s for s in self.sent if s.method == method and s.path == path]

    def request(  # type: ignore[override]
        self, method: str, url: str, data: bytes | None = None, headers: Any = None, **_: Any
    ) -> Response:
        parts = urlsplit(url)
        params = dict(parse_qsl(parts.query))
        if data:
            params.update(parse_qsl(data.decode()))
        self.sent.append(Sent(method, parts.netloc, parts.path, params, dict(headers or {})))
        script = self._routes.get((method, parts.path))
        if not script:
            raise AssertionError(f"no recorded answer for {method} {parts.path}")
        answer = script.pop(0) if len(script) > 1 else script[0]
        if answer.error is not None:
            raise answer.error
        response = Response()
        response.status_code = answer.status
        response.reason = requests.status_codes._codes[answer.status][0].upper()  # type: ignore[attr-defined]
        response.url = url
        text = answer.raw if answer.raw is not None else json.dumps(answer.body)
        response._content = text.encode()
        response.headers["Content-Type"] = (
            "text/html" if answer.raw is not None else "application/json;charset=UTF-8"
        )
        return response


def a_binance_exchange(venue: BinanceRecording) -> Any:
    # rateLimit 0: the throttle stays on but does not sleep between the recorded answers.
    return ccxt.binance({"session": venue, "rateLimit": 0})


def a_binance_broker(
    venue: BinanceRecording | None = None, **overrides: Any
) -> tuple[CcxtBroker, BinanceRecording, FakeClock]:
    venue = venue or BinanceRecording()
    clock = FakeClock(NOW)
    settings: dict[str, Any] = {
        "exchange": a_binance_exchange(venue),
        "clock": clock,
    }
    settings.update(overrides)
    broker = CcxtBroker(
        "binance", "Binance_Main", CcxtCredentials(api_key=API_KEY, secret=SECRET), **settings
    )
    return broker, venue, clock


def an_order(**overrides: Any) -> Order:
    return a_crypto_order(**{"id": ORDER_ID, **overrides})


def timed_out() -> Exception:
    return requests.exceptions.ReadTimeout(
        "HTTPSConnectionPool(host='api.binance.com'): Read timed out."
    )
