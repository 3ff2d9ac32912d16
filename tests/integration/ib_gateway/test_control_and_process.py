"""The process (ready line, logs, clean stop) and the control API's edges."""

from __future__ import annotations

import json
import signal
import socket
import struct
import urllib.error
from pathlib import Path

import pytest
from ib_async import MarketOrder, Stock
from tests.integration.ib_gateway.support import (
    ACCOUNT,
    GatewayProcess,
    connected,
    reaches,
    run,
    start_gateway,
)

pytestmark = pytest.mark.integration


def test_process_prints_ready_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    running = start_gateway(tmp_path / "gateway.log", "--account", "DU1", "--account", "DU2")
    try:
        assert running.port > 0
        assert running.control_port > 0
        assert running.get("/")["status"] == "ok"
        assert set(running.state()["accounts"]) == {"DU1", "DU2"}
    finally:
        running.process.send_signal(signal.SIGTERM)
        assert running.process.wait(timeout=10) == 0
    events = [line.get("event") for line in running.log_lines()]
    assert "listening" in events
    assert "stopped" in events


def test_logs_are_json_lines_for_connections_orders_fills_and_faults(
    gateway: GatewayProcess,
) -> None:
    async def scenario() -> None:
        async with connected(gateway) as ib:
            [contract] = await ib.qualifyContractsAsync(Stock("T", "SMART", "USD"))
            trade = ib.placeOrder(contract, MarketOrder("BUY", 1, orderRef="log-1"))
            await reaches(trade, "Filled")
            gateway.post("/errors", {"code": 1101})

    run(scenario)
    lines = gateway.log_lines()
    events = {line.get("event") for line in lines}
    assert {"connected", "api_started", "order_placed", "fill", "fault_error"} <= events
    [fill] = [
        line for line in lines if line.get("event") == "fill" and line["order_ref"] == "log-1"
    ]
    assert fill["severity"] == "INFO"


def test_state_lists_orders_executions_positions_and_clients(gateway: GatewayProcess) -> None:
    async def scenario() -> dict[str, object]:
        async with connected(gateway) as ib:
            [contract] = await ib.qualifyContractsAsync(Stock("VZ", "SMART", "USD"))
            trade = ib.placeOrder(contract, MarketOrder("BUY", 3, orderRef="st-1"))
            await reaches(trade, "Filled")
            return gateway.state()

    state = run(scenario)
    [order] = state["orders"]  # type: ignore[misc]
    assert (order["order_ref"], order["status"], order["filled"]) == ("st-1", "Filled", 3)
    [execution] = state["executions"]  # type: ignore[misc]
    assert execution["perm_id"] == order["perm_id"]
    [position] = state["positions"]  # type: ignore[misc]
    assert (position["account"], position["quantity"]) == (ACCOUNT, 3)
    assert state["clients"]
    assert state["accounts"][ACCOUNT]["NetLiquidation"] > 0  # type: ignore[index]


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/prices", b"not json", 400),
        ("/prices", b'{"ES": "high"}', 400),
        ("/prices", b'{"ES": -1}', 400),
        ("/fill-mode", b'{"partial_slices": 0}', 400),
        ("/fill", b"{}", 400),
        ("/fill", b'{"order_ref": "nothing-held"}', 404),
        ("/errors", b'{"code": "x"}', 400),
        ("/accounts", b'{"DU1234567": 5}', 400),
        ("/fx", b'{"EUR": "high"}', 400),
        ("/fx", b'{"EUR": 0}', 400),
        ("/fx", b'{"EURO": 1.08}', 400),
        ("/fx", b'{"USD": 1}', 400),
    ],
)
def test_control_api_refuses_bad_requests(
    gateway: GatewayProcess, path: str, body: bytes, status: int
) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        gateway.call_raw("POST", path, body)
    assert refused.value.code == status
    assert "error" in json.loads(refused.value.read())


def test_api_port_survives_junk_and_foreign_versions(gateway: GatewayProcess) -> None:
    for opening in (b"GET / HTTP/1.1\r\n\r\n", b"API\0" + struct.pack(">I", 9) + b"v100..150"):
        with socket.create_connection(("127.0.0.1", gateway.port), timeout=5) as sock:
            sock.sendall(opening)
            assert sock.recv(64) == b""

    async def scenario() -> bool:
        async with connected(gateway) as ib:
            return ib.isConnected()

    assert run(scenario)


def test_with_a_data_dir_a_sigkilled_gateway_comes_back_with_its_accounts_and_executions(
    tmp_path: Path,
) -> None:
    data_dir = str(tmp_path / "kept")
    first = start_gateway(tmp_path / "first.log", "--account", ACCOUNT, "--data-dir", data_dir)
    first.post("/prices", {"MSFT": 321.5})
    first.post("/accounts", {ACCOUNT: {"NetLiquidation": 500_000}})
    first.post("/fx", {"EUR": 1.1234, "GBP": None})

    async def buy() -> None:
        async with connected(first) as ib:
            [contract] = await ib.qualifyContractsAsync(Stock("MSFT", "SMART", "USD"))
            trade = ib.placeOrder(contract, MarketOrder("BUY", 7, orderRef="kept-1"))
            await reaches(trade, "Filled")

    run(buy)
    before = first.state()
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(10)

    second = start_gateway(tmp_path / "second.log", "--account", ACCOUNT, "--data-dir", data_dir)
    try:
        after = second.state()
        assert second.get("/")["restored"] is True
        assert after["accounts"] == before["accounts"]
        assert after["positions"] == before["positions"]
        assert [e["exec_id"] for e in after["executions"]] == [
            e["exec_id"] for e in before["executions"]
        ]
        assert after["prices"]["prices"]["MSFT"] == 321.5
        assert after["settings"]["fx_rates"] == {"EUR": 1.1234}
        assert after["orders"] == []  # Working orders are not kept; a filled one is not working.
    finally:
        second.process.send_signal(signal.SIGTERM)
        second.process.wait(10)
