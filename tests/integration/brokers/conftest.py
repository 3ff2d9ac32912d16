"""Fixtures for the IB adapter's tests: a simulated gateway per module and a session per test."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from tests.fakes import FakeClock
from tests.integration.brokers.ib_support import a_session, until
from tests.integration.ib_gateway.support import ACCOUNT, GatewayProcess, start_gateway

from mats.adapters.brokers.ib_session import IbSession


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    running = start_gateway(tmp_path_factory.mktemp("ib") / "gateway.log", "--account", ACCOUNT)
    try:
        yield running
    finally:
        running.process.send_signal(signal.SIGTERM)
        running.process.wait(timeout=10)


@pytest.fixture
def clock() -> FakeClock:
    """The session's clock: it moves only when a test moves it."""
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def session(gateway: GatewayProcess, clock: FakeClock) -> Iterator[IbSession]:
    gateway.wait_listening()
    gateway.post("/reset")
    gateway.post("/prices", {"AAPL": 190, "ES": 5000})
    reconciled: list[datetime] = []
    running = a_session(gateway, clock, on_connected=lambda: reconciled.append(clock.now()))
    running.start()
    until(lambda: running.status().accepting_orders)
    assert reconciled
    try:
        yield running
    finally:
        running.stop()
