"""The simulated security master: which contracts resolve, and to which stable conIds."""

from __future__ import annotations

from datetime import date

import pytest

from mats.localstack.ib_gateway.catalog import (
    Catalog,
    ContractFields,
    listed_months,
    stable_con_id,
    third_friday,
)

TODAY = date(2026, 1, 5)


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [(2026, 3, date(2026, 3, 20)), (2026, 6, date(2026, 6, 19)), (2025, 12, date(2025, 12, 19))],
)
def test_third_friday(year: int, month: int, expected: date) -> None:
    assert third_friday(year, month) == expected


def test_listed_months_are_the_next_quarterlies_not_yet_expired() -> None:
    assert listed_months(date(2026, 3, 20)) == [(2026, 3), (2026, 6), (2026, 9), (2026, 12)]
    assert listed_months(date(2026, 3, 21))[0] == (2026, 6)


def test_the_same_contract_gets_the_same_con_id_in_every_catalog() -> None:
    request = ContractFields(symbol="AAPL", sec_type="STK", exchange="SMART", currency="USD")
    first = Catalog(TODAY).resolve_one(request)
    second = Catalog(TODAY).resolve_one(request)
    assert first is not None
    assert second is not None
    assert first.con_id == second.con_id == stable_con_id("STK:AAPL:USD")


def test_a_resolved_con_id_can_be_used_alone() -> None:
    catalog = Catalog(TODAY)
    stock = catalog.resolve_one(ContractFields(symbol="MSFT", sec_type="STK"))
    assert stock is not None
    assert catalog.resolve(ContractFields(con_id=stock.con_id)) == [stock]
    assert catalog.resolve(ContractFields(con_id=12345)) == []


def test_a_con_id_that_contradicts_the_symbol_resolves_nothing() -> None:
    request = ContractFields(con_id=12345, symbol="MSFT", sec_type="STK")
    assert Catalog(TODAY).resolve(request) == []


@pytest.mark.parametrize(
    "request_fields",
    [
        ContractFields(symbol="ES", sec_type="FUT", last_trade_date="202603"),
        ContractFields(symbol="ES", sec_type="FUT", last_trade_date="20260320"),
        ContractFields(sec_type="FUT", local_symbol="ESH6", exchange="CME"),
        ContractFields(symbol="ES", sec_type="FUT", last_trade_date="202603", multiplier="50"),
    ],
)
def test_futures_resolve_by_month_date_or_local_symbol(request_fields: ContractFields) -> None:
    future = Catalog(TODAY).resolve_one(request_fields)
    assert future is not None
    assert (future.symbol, future.local_symbol, future.exchange) == ("ES", "ESH6", "CME")
    assert (future.multiplier, future.last_trade_date, future.min_tick) == (50, "20260320", 0.25)


@pytest.mark.parametrize(
    "request_fields",
    [
        ContractFields(symbol="ZZ", sec_type="FUT", last_trade_date="202603"),
        ContractFields(symbol="ES", sec_type="FUT", last_trade_date="202602"),
        ContractFields(symbol="ES", sec_type="FUT", last_trade_date="202512"),
        ContractFields(symbol="ES", sec_type="FUT", last_trade_date="202603", multiplier="5"),
        ContractFields(symbol="ES", sec_type="FUT", last_trade_date="202603", exchange="EUREX"),
        ContractFields(symbol="AAPL", sec_type="STK", currency="EUR"),
        ContractFields(symbol="AAPL", sec_type="OPT"),
        ContractFields(symbol="DOGE", sec_type="CRYPTO"),
        ContractFields(symbol="EUR", sec_type="CASH", currency="EUR"),
    ],
)
def test_contracts_the_simulator_does_not_list_resolve_nothing(
    request_fields: ContractFields,
) -> None:
    assert Catalog(TODAY).resolve(request_fields) == []


def test_an_open_futures_query_lists_several_months_and_is_ambiguous() -> None:
    catalog = Catalog(TODAY)
    request = ContractFields(symbol="ES", sec_type="FUT", exchange="CME")
    assert [found.contract_month for found in catalog.resolve(request)] == [
        "202603",
        "202606",
        "202609",
        "202612",
    ]
    assert catalog.resolve_one(request) is None


def test_continuous_future_is_the_front_month_with_its_con_id() -> None:
    catalog = Catalog(TODAY)
    [continuous] = catalog.resolve(ContractFields(symbol="ES", sec_type="CONTFUT"))
    front = catalog.resolve_one(
        ContractFields(symbol="ES", sec_type="FUT", last_trade_date="202603")
    )
    assert front is not None
    assert continuous.sec_type == "CONTFUT"
    assert continuous.con_id == front.con_id


def test_crypto_and_forex_have_their_venues_and_price_keys() -> None:
    catalog = Catalog(TODAY)
    crypto = catalog.resolve_one(ContractFields(symbol="BTC", sec_type="CRYPTO", exchange="PAXOS"))
    forex = catalog.resolve_one(ContractFields(symbol="EUR", sec_type="CASH", currency="USD"))
    assert crypto is not None
    assert forex is not None
    assert (crypto.exchange, crypto.price_key, crypto.multiplier_text) == ("PAXOS", "BTC", "")
    assert (forex.exchange, forex.local_symbol, forex.price_key) == (
        "IDEALPRO",
        "EUR.USD",
        "EUR.USD",
    )
