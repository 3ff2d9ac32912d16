"""Helpers for driving the simulated gateway with the real ib_async client."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ib_async import IB, Trade

ACCOUNT = "DU1234567"
READY_TIMEOUT_SECONDS = 20.0
_client_ids = itertools.count(100)
T = TypeVar("T")


def next_client_id() -> int:
    """Return a client id no other test uses, so a lingering socket never causes a 326."""
    return next(_client_ids)


@dataclass
class GatewayProcess:
    """A running simulated gateway and its control API."""

    process: subprocess.Popen[bytes]
    port: int
    control_port: int
    log_path: Path

    def call(self, method: str, path: str, body: Any = None) -> Any:
        return self.call_raw(method, path, None if body is None else json.dumps(body).encode())

    def call_raw(self, method: str, path: str, data: bytes | None) -> Any:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.control_port}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def post(self, path: str, body: Any = None) -> Any:
        return self.call("POST", path, body if body is not None else {})

    def get(self, path: str) -> Any:
        return self.call("GET", path)

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.get("/state")
        return state

    def wait_listening(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("the gateway did not come back")

    def log_lines(self) -> list[dict[str, Any]]:
        lines = self.log_path.read_text().splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]


def start_gateway(log_path: Path, *extra: str) -> GatewayProcess:
    """Start ``python -m mats.localstack.ib_gateway`` on free ports and wait for its ready line."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mats.localstack.ib_gateway",
                "--port",
                "0",
                "--control-port",
                "0",
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=log,
        )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.kill()
        raise AssertionError(f"the gateway did not start:\n{log_path.read_text()}")
    ready = json.loads(line)
    assert ready["ready"] is True
    return GatewayProcess(process, int(ready["port"]), int(ready["control_port"]), log_path)


def run(work: Callable[[], Coroutine[Any, Any, T]], timeout: float = 20.0) -> T:
    """Run one async test body in a fresh event loop, with a time limit."""

    async def bounded() -> T:
        return await asyncio.wait_for(work(), timeout)

    return asyncio.run(bounded())


@asynccontextmanager
async def connected(
    gateway: GatewayProcess, client_id: int | None = None, **options: Any
) -> AsyncIterator[IB]:
    """Connect a real ib_async client for the duration of the block."""
    ib = IB()
    await ib.connectAsync(
        "127.0.0.1",
        gateway.port,
        clientId=client_id if client_id is not None else next_client_id(),
        timeout=5,
        **options,
    )
    try:
        yield ib
    finally:
        ib.disconnect()


async def until(predicate: Callable[[], object], timeout: float = 3.0, what: str = "") -> None:
    """Wait until ``predicate()`` is truthy, letting the client process messages meanwhile."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.01)


async def settle(awaitable: Awaitable[T], timeout: float = 3.0) -> T:
    """Await an ib_async event or request with a time limit."""
    return await asyncio.wait_for(awaitable, timeout)  # type: ignore[arg-type]


async def reaches(trade: Trade, status: str, timeout: float = 3.0) -> None:
    """Wait until ``trade``'s order status is ``status`` ("Filled", "Cancelled", ...).

    It polls the trade's state rather than awaiting ``filledEvent``: a fill the client reads in
    the same batch as its trigger (a price post, say) emits before a later ``await`` subscribes.
    """
    await until(
        lambda: trade.orderStatus.status == status,
        timeout,
        what=f"order {trade.order.orderId} {status}",
    )
