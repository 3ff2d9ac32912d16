"""Contracts and market data through the real ib_async client."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from ib_async import ContFuture, Contract, Crypto, Forex, Future, Stock
from tests.integration.ib_gateway.support import GatewayProcess, connected, run, settle, until

from mats.localstack.ib_gateway.catalog import listed_months, third_friday

pytestmark = pytest.mark.integration


def _front_month() -> tuple[int, int]:
    return listed_months(datetime.now(UTC).date())[0]


def test_qualify_stock_and_future(gateway: GatewayProcess) -> None:
    year, month = _front_month()

    async def scenario() -> list[Contract | None]:
        async with connected(gateway) as ib:
            contracts = [
                Stock("AAPL", "SMART", "USD"),
                Future("ES", f"{year}{month:02d}", "CME"),
                ContFuture("ES", "CME"),
                Crypto("BTC", "PAXOS", "USD"),
                Forex("EURUSD"),
            ]
            first = await ib.qualifyContractsAsync(*contracts)
            again = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
            assert again[0] is not None
            assert first[0] is not None
            assert again[0].conId == first[0].conId
            return list(first)

    stock, future, continuous, crypto, forex = run(scenario)
    assert stock is not None
    assert stock.conId > 0
    assert (stock.exchange, stock.primaryExchange, stock.currency) == ("SMART", "NASDAQ", "USD")
    assert future is not None
    assert future.multiplier == "50"
    assert future.exchange == "CME"
    assert future.lastTradeDateOrContractMonth == f"{third_friday(year, month):%Y%m%d}"
    assert future.localSymbol == f"ES{'FGHJKMNQUVXZ'[month - 1]}{year % 10}"
    assert continuous is not None
    assert continuous.conId == future.conId
    assert crypto is not None
    assert crypto.exchange == "PAXOS"
    assert forex is not None
    assert forex.localSymbol == "EUR.USD"


def test_unknown_and_ambiguous_contracts_do_not_qualify(gateway: GatewayProcess) -> None:
    async def scenario() -> list[Contract | None]:
        async with connected(gateway) as ib:
            unknown = await ib.qualifyContractsAsync(Future("NOPE", "202612", "CME"))
            open_month = await ib.qualifyContractsAsync(Future("ES", exchange="CME"))
            return [*unknown, *open_month]

    assert run(scenario) == [None, None]


def test_market_data_snapshot_and_streaming(gateway: GatewayProcess) -> None:
    gateway.post("/prices", {"SPY": 500.25})

    async def scenario() -> None:
        async with connected(gateway) as ib:
            [contract] = await ib.qualifyContractsAsync(Stock("SPY", "SMART", "USD"))
            [snapshot] = await settle(ib.reqTickersAsync(contract))
            assert (snapshot.bid, snapshot.ask, snapshot.last) == (500.25, 500.25, 500.25)
            ticker = ib.reqMktData(contract)
            await until(lambda: ticker.last == 500.25, what="first tick")
            gateway.post("/prices", {"SPY": 501.0})
            await until(lambda: ticker.last == 501.0 and ticker.bid == 501.0, what="update")
            ib.cancelMktData(contract)

            def subscribed() -> object:
                clients = gateway.state()["clients"]
                mine = [c for c in clients if c["client_id"] == ib.client.clientId]
                return mine[0]["market_data"]

            await until(lambda: not subscribed(), what="cancel")

    run(scenario)


def test_market_data_for_an_unknown_contract_reports_200(gateway: GatewayProcess) -> None:
    async def scenario() -> list[int]:
        async with connected(gateway) as ib:
            codes: list[int] = []
            ib.errorEvent += lambda _req, code, _text, _contract: codes.append(code)
            ib.reqMktData(Contract(conId=12345, secType="FUT", symbol="NOPE", exchange="CME"))
            await until(lambda: 200 in codes, what="200")
            return codes

    assert 200 in run(scenario)
