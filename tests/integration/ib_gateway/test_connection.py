"""Sessions with the real ib_async client: handshake, heartbeat, client ids, faults, restarts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from ib_async import IB, LimitOrder, MarketOrder, Stock
from ib_async.ib import StartupFetch, StartupFetchNONE
from tests.integration.ib_gateway.support import (
    ACCOUNT,
    GatewayProcess,
    connected,
    next_client_id,
    reaches,
    run,
    settle,
    until,
)

pytestmark = pytest.mark.integration


def test_connect_reports_managed_accounts_and_next_valid_id(gateway: GatewayProcess) -> None:
    async def scenario() -> None:
        async with connected(gateway, fetchFields=StartupFetchNONE) as ib:
            assert ib.isConnected()
            assert ib.managedAccounts() == [ACCOUNT]
            assert ib.client.serverVersion() == 176
            assert ib.client.getReqId() == 1

    run(scenario)


def test_req_current_time_answers_with_the_server_clock(gateway: GatewayProcess) -> None:
    async def scenario() -> datetime:
        async with connected(gateway) as ib:
            return await settle(ib.reqCurrentTimeAsync())

    server_time = run(scenario)
    assert abs(server_time - datetime.now(UTC)) < timedelta(seconds=5)


def test_second_connection_with_the_same_client_id_gets_326(gateway: GatewayProcess) -> None:
    client_id = next_client_id()

    async def scenario() -> list[int]:
        async with connected(gateway, client_id=client_id):
            intruder = IB()
            codes: list[int] = []
            intruder.errorEvent += lambda _req, code, _text, _contract: codes.append(code)
            # ib_async sees the socket close before the API is ready and gives up at its timeout.
            with pytest.raises(TimeoutError):
                await intruder.connectAsync(
                    "127.0.0.1", gateway.port, clientId=client_id, timeout=1
                )
            assert not intruder.isConnected()
            return codes

    assert 326 in run(scenario)


def test_connectivity_errors_arrive_while_the_socket_stays_up(gateway: GatewayProcess) -> None:
    async def scenario() -> list[tuple[int, str]]:
        async with connected(gateway) as ib:
            seen: list[tuple[int, str]] = []
            ib.errorEvent += lambda _req, code, text, _contract: seen.append((code, text))
            assert gateway.post("/errors", {"code": 1100})["delivered"] >= 1
            await until(lambda: any(code == 1100 for code, _ in seen), what="1100")
            assert ib.isConnected()
            gateway.post("/errors", {"code": 1102})
            await until(lambda: any(code == 1102 for code, _ in seen), what="1102")
            assert ib.isConnected()
            assert await settle(ib.reqCurrentTimeAsync())
            return seen

    seen = run(scenario)
    assert [code for code, _ in seen if code in {1100, 1102}] == [1100, 1102]
    assert "lost" in dict(seen)[1100]


def test_drop_then_reconnect_recovers_the_fill_by_order_ref(gateway: GatewayProcess) -> None:
    client_id = next_client_id()

    async def scenario() -> None:
        async with connected(gateway, client_id=client_id) as ib:
            [contract] = await ib.qualifyContractsAsync(Stock("MSFT", "SMART", "USD"))
            trade = ib.placeOrder(contract, MarketOrder("BUY", 5, orderRef="sig-drop-1"))
            await reaches(trade, "Filled")
            exec_id = trade.fills[0].execution.execId
            dropped = asyncio.Event()
            ib.disconnectedEvent += dropped.set
            gateway.post("/drop")
            await settle(dropped.wait())
            assert not ib.isConnected()
        fetch = StartupFetch.EXECUTIONS | StartupFetch.ORDERS_COMPLETE
        async with connected(gateway, client_id=client_id, fetchFields=fetch) as ib:
            fills = [fill for fill in ib.fills() if fill.execution.orderRef == "sig-drop-1"]
            assert [fill.execution.execId for fill in fills] == [exec_id]
            assert fills[0].commissionReport.commission == pytest.approx(0.025)
            again = await settle(ib.reqExecutionsAsync())
            assert [fill.execution.execId for fill in again] == [exec_id]
            [completed] = [t for t in ib.trades() if t.order.orderRef == "sig-drop-1"]
            assert completed.orderStatus.status == "Filled"

    run(scenario)


def test_restart_rolls_next_valid_id_back_and_keeps_executions(gateway: GatewayProcess) -> None:
    async def scenario() -> None:
        async with connected(gateway) as ib:
            [contract] = await ib.qualifyContractsAsync(Stock("IBM", "SMART", "USD"))
            for number in range(3):
                order = MarketOrder("BUY", 1, orderRef=f"before-restart-{number}")
                await reaches(ib.placeOrder(contract, order), "Filled")
            last_order_id = max(trade.order.orderId for trade in ib.trades())
            gone = asyncio.Event()
            ib.disconnectedEvent += gone.set
            gateway.post("/restart", {"down_seconds": 0.5, "next_valid_id": 1})
            await settle(gone.wait())
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", gateway.port)
        await asyncio.to_thread(gateway.wait_listening)
        async with connected(gateway, fetchFields=StartupFetchNONE) as ib:
            assert ib.client.getReqId() == 1 < last_order_id
            fills = await settle(ib.reqExecutionsAsync())
            refs = sorted(fill.execution.orderRef for fill in fills)
            assert refs == [f"before-restart-{number}" for number in range(3)]

    run(scenario)
    assert gateway.state()["next_valid_id"] == 1


def test_a_working_order_fills_into_the_next_session_with_commission(
    gateway: GatewayProcess,
) -> None:
    client_id = next_client_id()

    async def scenario() -> None:
        async with connected(gateway, client_id=client_id) as ib:
            [contract] = await ib.qualifyContractsAsync(Stock("UBER", "SMART", "USD"))
            trade = ib.placeOrder(contract, LimitOrder("BUY", 2, 95.0, orderRef="survivor"))
            await until(lambda: trade.orderStatus.status == "Submitted", what="Submitted")
        async with connected(gateway, client_id=client_id) as ib:
            [trade] = [t for t in ib.openTrades() if t.order.orderRef == "survivor"]
            reports: list[float] = []
            ib.commissionReportEvent += lambda _t, _f, report: reports.append(report.commission)
            gateway.post("/prices", {"UBER": 94.0})
            await reaches(trade, "Filled")
            await until(lambda: reports, what="commission report")
            assert trade.fills[0].execution.orderRef == "survivor"
            assert reports == [pytest.approx(0.01)]

    run(scenario)
