"""Server-to-client messages other than orders, laid out as ib_async's decoder reads them.

Each function returns the message's fields; ``wire.encode_message`` frames them. The layouts
are those of server version 176 (``wire.SERVER_VERSION``).
"""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum

from mats.localstack.ib_gateway.catalog import Instrument
from mats.localstack.ib_gateway.ledger import PortfolioRow
from mats.localstack.ib_gateway.wire import Field

Fields = list[Field]

ORDER_TYPES_TEXT = "LMT,MKT,STP,STP LMT"


class Incoming(IntEnum):
    """Message ids the server sends."""

    TICK_PRICE = 1
    ORDER_STATUS = 3
    ERROR = 4
    OPEN_ORDER = 5
    ACCOUNT_VALUE = 6
    PORTFOLIO_VALUE = 7
    ACCOUNT_UPDATE_TIME = 8
    NEXT_VALID_ID = 9
    CONTRACT_DATA = 10
    EXECUTION_DATA = 11
    MANAGED_ACCOUNTS = 15
    CURRENT_TIME = 49
    CONTRACT_DATA_END = 52
    OPEN_ORDER_END = 53
    ACCOUNT_DOWNLOAD_END = 54
    EXECUTION_DATA_END = 55
    TICK_SNAPSHOT_END = 57
    MARKET_DATA_TYPE = 58
    COMMISSION_REPORT = 59
    POSITION_DATA = 61
    POSITION_END = 62
    ACCOUNT_SUMMARY = 63
    ACCOUNT_SUMMARY_END = 64
    ACCOUNT_UPDATE_MULTI = 73
    ACCOUNT_UPDATE_MULTI_END = 74
    COMPLETED_ORDER = 101
    COMPLETED_ORDERS_END = 102


class TickType(IntEnum):
    """The tick types the simulated market data sends."""

    BID = 1
    ASK = 2
    LAST = 4


def error(req_id: int, code: int, message: str, advanced: str = "") -> Fields:
    """Return an error message (``advancedOrderRejectJson`` is part of it from version 166)."""
    return [Incoming.ERROR, 2, req_id, code, message, advanced]


def managed_accounts(codes: list[str]) -> Fields:
    """Return the managed accounts list."""
    return [Incoming.MANAGED_ACCOUNTS, 1, ",".join(codes)]


def next_valid_id(order_id: int) -> Fields:
    """Return the next valid order id."""
    return [Incoming.NEXT_VALID_ID, 1, order_id]


def current_time(moment: datetime) -> Fields:
    """Return the server time in epoch seconds."""
    return [Incoming.CURRENT_TIME, 1, int(moment.timestamp())]


def account_value(tag: str, value: str, currency: str, account: str) -> Fields:
    """Return one ``updateAccountValue``."""
    return [Incoming.ACCOUNT_VALUE, 2, tag, value, currency, account]


def account_update_time(moment: datetime) -> Fields:
    """Return the account update time (``HH:MM``)."""
    return [Incoming.ACCOUNT_UPDATE_TIME, 1, moment.strftime("%H:%M")]


def account_download_end(account: str) -> Fields:
    """Return the end of the first account update batch."""
    return [Incoming.ACCOUNT_DOWNLOAD_END, 1, account]


def portfolio_value(account: str, row: PortfolioRow) -> Fields:
    """Return one ``updatePortfolio``."""
    instrument = row.instrument
    return [
        Incoming.PORTFOLIO_VALUE,
        8,
        instrument.con_id,
        instrument.symbol,
        instrument.sec_type,
        instrument.last_trade_date,
        0.0,
        "",
        instrument.multiplier_text,
        instrument.primary_exchange,
        instrument.currency,
        instrument.local_symbol,
        instrument.trading_class,
        row.position,
        row.market_price,
        row.market_value,
        row.average_cost,
        row.unrealized_pnl,
        row.realized_pnl,
        account,
    ]


def position(account: str, instrument: Instrument, quantity: float, average_cost: float) -> Fields:
    """Return one ``position``."""
    return [
        Incoming.POSITION_DATA,
        3,
        account,
        instrument.con_id,
        instrument.symbol,
        instrument.sec_type,
        instrument.last_trade_date,
        0.0,
        "",
        instrument.multiplier_text,
        instrument.listing_exchange,
        instrument.currency,
        instrument.local_symbol,
        instrument.trading_class,
        quantity,
        average_cost,
    ]


def position_end() -> Fields:
    """Return the end of the positions list."""
    return [Incoming.POSITION_END, 1]


def account_summary(req_id: int, account: str, tag: str, value: str, currency: str) -> Fields:
    """Return one ``accountSummary`` line."""
    return [Incoming.ACCOUNT_SUMMARY, 1, req_id, account, tag, value, currency]


def account_summary_end(req_id: int) -> Fields:
    """Return the end of an account summary."""
    return [Incoming.ACCOUNT_SUMMARY_END, 1, req_id]


def account_update_multi(req_id: int, account: str, tag: str, value: str, currency: str) -> Fields:
    """Return one ``accountUpdateMulti`` line (no model code)."""
    return [Incoming.ACCOUNT_UPDATE_MULTI, 1, req_id, account, "", tag, value, currency]


def account_update_multi_end(req_id: int) -> Fields:
    """Return the end of an ``accountUpdateMulti`` batch."""
    return [Incoming.ACCOUNT_UPDATE_MULTI_END, 1, req_id]


def contract_details(req_id: int, instrument: Instrument, exchange: str) -> Fields:
    """Return one ``contractDetails`` (layout of versions 164 and later: no version field)."""
    last_trade = (
        f"{instrument.last_trade_date} 08:30:00 {instrument.time_zone}"
        if instrument.last_trade_date
        else ""
    )
    valid_exchanges = (
        "SMART,ISLAND,NYSE,ARCA,BATS,IEX" if instrument.sec_type == "STK" else instrument.exchange
    )
    return [
        Incoming.CONTRACT_DATA,
        req_id,
        instrument.symbol,
        instrument.sec_type,
        last_trade,
        0.0,
        "",
        exchange,
        instrument.currency,
        instrument.local_symbol,
        instrument.trading_class,
        instrument.trading_class,
        instrument.con_id,
        instrument.min_tick,
        instrument.multiplier_text,
        ORDER_TYPES_TEXT,
        valid_exchanges,
        1,
        0,
        instrument.long_name,
        instrument.primary_exchange,
        instrument.contract_month,
        "",
        "",
        "",
        instrument.time_zone,
        "",
        "",
        "",
        "",
        0,
        1,
        instrument.symbol if instrument.sec_type == "FUT" else "",
        "IND" if instrument.sec_type == "FUT" else "",
        "",
        instrument.last_trade_date,
        "COMMON" if instrument.sec_type == "STK" else "",
        instrument.size_increment,
        instrument.size_increment,
        instrument.size_increment,
    ]


def contract_details_end(req_id: int) -> Fields:
    """Return the end of a contract details answer."""
    return [Incoming.CONTRACT_DATA_END, 1, req_id]


def market_data_type(req_id: int, data_type: int = 1) -> Fields:
    """Return the market data type of a subscription (1 = live)."""
    return [Incoming.MARKET_DATA_TYPE, 1, req_id, data_type]


def tick_price(req_id: int, tick_type: TickType, price: float, size: float) -> Fields:
    """Return one ``tickPrice`` with its size."""
    return [Incoming.TICK_PRICE, 6, req_id, int(tick_type), price, size, 0]


def tick_snapshot_end(req_id: int) -> Fields:
    """Return the end of a market data snapshot."""
    return [Incoming.TICK_SNAPSHOT_END, 1, req_id]


def open_order_end() -> Fields:
    """Return the end of the open orders list."""
    return [Incoming.OPEN_ORDER_END, 1]


def execution_data_end(req_id: int) -> Fields:
    """Return the end of an executions answer."""
    return [Incoming.EXECUTION_DATA_END, 1, req_id]


def completed_orders_end() -> Fields:
    """Return the end of the completed orders list."""
    return [Incoming.COMPLETED_ORDERS_END]
