"""The IB session against the simulated gateway: what IB reports, the injected clock, and raw
failures of ib_async leaving the adapter as errors of MATS's tree."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from tests.fakes import FakeClock
from tests.integration.brokers.ib_support import a_session, an_order, until
from tests.integration.ib_gateway.support import ACCOUNT, GatewayProcess

from mats.adapters.brokers.ib import IbBroker
from mats.adapters.brokers.ib_session import IbSession
from mats.errors import TemporaryError


def server_time(session: IbSession) -> datetime:
    ib = session.connected_ib()

    async def ask() -> datetime:
        return await ib.reqCurrentTimeAsync()

    return session.run(ask(), action="reqCurrentTime")


def never_answered(session: IbSession, timeout: float | None = None) -> Any:
    """Ask for something the simulated gateway does not implement, so no answer ever comes."""
    ib = session.connected_ib()

    async def ask() -> Any:
        return await ib.reqNewsProvidersAsync()

    return session.run(ask(), timeout, action="reqNewsProviders")


def connected_client_ids(gateway: GatewayProcess) -> list[int]:
    return [client["client_id"] for client in gateway.state()["clients"]]


@pytest.fixture
def spare() -> Iterator[list[IbSession]]:
    """Sessions a test starts itself; each is stopped afterwards."""
    started: list[IbSession] = []
    try:
        yield started
    finally:
        for running in started:
            running.stop()


def test_a_request_cut_off_by_a_dropped_connection_raises_a_temporary_error(
    session: IbSession, gateway: GatewayProcess
) -> None:
    # ib_async fails a pending request with ConnectionError("Socket disconnect") when the socket
    # closes, as it would a reqExecutions in flight during a gateway restart.
    threading.Timer(0.3, gateway.post, ("/drop",)).start()

    with pytest.raises(TemporaryError, match="ConnectionError") as raised:
        never_answered(session)

    assert "reqNewsProviders" in str(raised.value)
    assert isinstance(raised.value.__cause__, ConnectionError)


def test_a_request_the_gateway_never_answers_raises_a_temporary_error_in_time(
    session: IbSession,
) -> None:
    with pytest.raises(TemporaryError, match="no answer in time"):
        never_answered(session, timeout=0.3)

    assert server_time(session) is not None


def test_farm_notices_change_nothing(session: IbSession, gateway: GatewayProcess) -> None:
    for code in (2104, 2106, 2107, 2108, 2158):
        gateway.post("/errors", {"code": code, "client_id": session.settings.client_id})

    server_time(session)  # Answered on the same socket after the notices: they are all in.

    status = session.status()
    assert status.accepting_orders
    assert status.reason is None
    assert status.details["last_error"] is None


def test_1300_makes_the_session_reconnect(
    session: IbSession, gateway: GatewayProcess, clock: FakeClock
) -> None:
    first = session.status().details["connected_since"]
    clock.advance(60)

    gateway.post("/errors", {"code": 1300, "client_id": session.settings.client_id})

    until(
        lambda: (
            (status := session.status()).accepting_orders
            and status.details["connected_since"] == clock.now()
        )
    )
    assert first == clock.now() - timedelta(seconds=60)
    assert "IB error 1300" in session.status().details["last_error"]


def test_an_outage_is_dated_by_the_injected_clock(
    session: IbSession, gateway: GatewayProcess, clock: FakeClock
) -> None:
    connected_at = clock.now()
    clock.advance(30)

    gateway.post("/restart", {"down_seconds": 1.0, "next_valid_id": 1})
    until(lambda: session.status().disconnected_since is not None)
    down = session.status()
    clock.advance(90)
    until(lambda: session.status().accepting_orders, timeout=20)
    up = session.status()

    assert not down.connected
    assert down.disconnected_since == connected_at + timedelta(seconds=30)
    assert up.disconnected_since is None
    assert up.details["connected_since"] == connected_at + timedelta(seconds=120)


def test_the_restart_window_keeps_the_session_away_until_it_ends(
    gateway: GatewayProcess, clock: FakeClock, spare: list[IbSession]
) -> None:
    window = (
        (clock.now() - timedelta(minutes=5)).time(),
        (clock.now() + timedelta(minutes=10)).time(),
    )
    running = a_session(gateway, clock, restart_window=window, window_check_seconds=0.05)
    spare.append(running)

    running.start()
    until(lambda: running.paused == "daily restart window")  # The supervisor stays away.
    inside = running.status()
    clock.advance(11 * 60)
    until(lambda: running.status().accepting_orders)

    assert not inside.connected
    assert inside.reason == "daily restart window"
    assert running.settings.client_id in connected_client_ids(gateway)


def test_a_client_id_in_use_is_reported_and_orders_wait_until_it_is_free(
    session: IbSession, gateway: GatewayProcess, clock: FakeClock, spare: list[IbSession]
) -> None:
    taken = session.settings.client_id
    second = a_session(gateway, clock, client_id=taken, connect_timeout=1.0)
    spare.append(second)
    second.start()
    in_use = f"client id {taken} is already in use (326)"

    until(lambda: second.status().reason == in_use)
    with pytest.raises(TemporaryError, match=r"already in use \(326\)"):
        IbBroker(second, {ACCOUNT: ACCOUNT}).place(an_order("dup_1_ORD"))
    session.stop()
    until(lambda: second.status().accepting_orders, timeout=20)

    assert second.status().details["last_error"] == in_use
    assert connected_client_ids(gateway).count(taken) == 1
