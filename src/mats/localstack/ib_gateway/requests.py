"""Client-to-server requests: message ids and the parsers of the ones with a body."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum

from mats.localstack.ib_gateway.catalog import ContractFields
from mats.localstack.ib_gateway.model import ExecutionFilter
from mats.localstack.ib_gateway.wire import FieldReader, ProtocolError, parse_ib_time


class Outgoing(IntEnum):
    """Message ids the client sends."""

    REQ_MKT_DATA = 1
    CANCEL_MKT_DATA = 2
    PLACE_ORDER = 3
    CANCEL_ORDER = 4
    REQ_OPEN_ORDERS = 5
    REQ_ACCOUNT_UPDATES = 6
    REQ_EXECUTIONS = 7
    REQ_IDS = 8
    REQ_CONTRACT_DETAILS = 9
    REQ_AUTO_OPEN_ORDERS = 15
    REQ_ALL_OPEN_ORDERS = 16
    REQ_MANAGED_ACCOUNTS = 17
    REQ_CURRENT_TIME = 49
    REQ_GLOBAL_CANCEL = 58
    REQ_MARKET_DATA_TYPE = 59
    REQ_POSITIONS = 61
    REQ_ACCOUNT_SUMMARY = 62
    CANCEL_ACCOUNT_SUMMARY = 63
    CANCEL_POSITIONS = 64
    START_API = 71
    REQ_ACCOUNT_UPDATES_MULTI = 76
    CANCEL_ACCOUNT_UPDATES_MULTI = 77
    REQ_COMPLETED_ORDERS = 99


@dataclass(frozen=True)
class MarketDataRequest:
    req_id: int
    contract: ContractFields
    snapshot: bool


def read_contract(reader: FieldReader) -> ContractFields:
    """Read the twelve contract fields requests carry (conId first, tradingClass last)."""
    return ContractFields(
        con_id=reader.integer(),
        symbol=reader.text(),
        sec_type=reader.text(),
        last_trade_date=reader.text(),
        strike=reader.number(),
        right=reader.text(),
        multiplier=reader.text(),
        exchange=reader.text(),
        primary_exchange=reader.text(),
        currency=reader.text(),
        local_symbol=reader.text(),
        trading_class=reader.text(),
    )


def parse_market_data(reader: FieldReader) -> MarketDataRequest:
    """Parse ``reqMktData`` (after the message id and version)."""
    req_id = reader.integer()
    contract = read_contract(reader)
    if contract.sec_type == "BAG":
        reader.skip(4 * reader.integer())
    if reader.flag():
        reader.skip(3)  # delta-neutral contract
    reader.text()  # generic tick list
    snapshot = reader.flag()
    return MarketDataRequest(req_id, contract, snapshot)


def parse_contract_details(reader: FieldReader) -> tuple[int, ContractFields]:
    """Parse ``reqContractDetails`` (after the message id and version)."""
    req_id = reader.integer()
    return req_id, read_contract(reader)


def parse_executions(reader: FieldReader) -> tuple[int, ExecutionFilter]:
    """Parse ``reqExecutions`` (after the message id and version)."""
    req_id = reader.integer()
    query = ExecutionFilter(
        client_id=reader.integer(),
        account=reader.text(),
        time=parse_filter_time(reader.text()),
        symbol=reader.text(),
        sec_type=reader.text(),
        exchange=reader.text(),
        side=reader.text(),
    )
    return req_id, query


def parse_filter_time(text: str) -> datetime | None:
    """Parse an execution filter time (empty: no time filter)."""
    if not text.strip():
        return None
    try:
        return parse_ib_time(text)
    except ValueError as problem:
        raise ProtocolError(str(problem)) from None
