"""Batches of account messages: account updates, summaries, positions and order lists."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from mats.localstack.ib_gateway import messages
from mats.localstack.ib_gateway.ledger import ACCOUNT_TAGS, BASE_CURRENCY, Ledger, PortfolioRow
from mats.localstack.ib_gateway.messages import Fields
from mats.localstack.ib_gateway.model import OrderSnapshot, SimOrder
from mats.localstack.ib_gateway.order_messages import open_order, order_status
from mats.localstack.ib_gateway.wire import format_number

ACCOUNT_TYPE = "INDIVIDUAL"


def _tagged_values(account: str, values: dict[str, float]) -> list[tuple[str, str, str]]:
    """Return (tag, value, currency) for an account, the reported tags first."""
    ordered = [tag for tag in ACCOUNT_TAGS if tag in values]
    ordered += sorted(tag for tag in values if tag not in ACCOUNT_TAGS)
    lines = [("AccountCode", account, ""), ("AccountType", ACCOUNT_TYPE, "")]
    lines += [(tag, format_number(values[tag]), BASE_CURRENCY) for tag in ordered]
    return lines


def _exchange_rates(fx_rates: Mapping[str, float]) -> list[tuple[str, str, str]]:
    """Return IB's ``ExchangeRate`` lines: base currency per one unit of each currency, the
    ``BASE`` line and the base currency itself at 1 first, as IB sends them."""
    lines = [("ExchangeRate", "1.00", "BASE"), ("ExchangeRate", "1.00", BASE_CURRENCY)]
    lines += [
        ("ExchangeRate", format_number(rate), currency)
        for currency, rate in sorted(fx_rates.items())
        if currency != BASE_CURRENCY
    ]
    return lines


def account_updates(
    account: str,
    values: dict[str, float],
    rows: Iterable[PortfolioRow],
    now: datetime,
    fx_rates: Mapping[str, float],
) -> list[Fields]:
    """Return an account update batch: values, exchange rates, portfolio lines, update time."""
    lines = _tagged_values(account, values) + _exchange_rates(fx_rates)
    batch = [
        messages.account_value(tag, value, currency, account) for tag, value, currency in lines
    ]
    batch += [messages.portfolio_value(account, row) for row in rows]
    batch.append(messages.account_update_time(now))
    return batch


def account_summary(
    req_id: int, account: str, values: dict[str, float], tags: frozenset[str]
) -> list[Fields]:
    """Return the summary lines of one account for the requested tags (empty set: all)."""
    return [
        messages.account_summary(req_id, account, tag, value, currency)
        for tag, value, currency in _tagged_values(account, values)
        if tag != "AccountCode" and (not tags or tag in tags)
    ]


def account_update_multi(
    req_id: int, account: str, values: dict[str, float], fx_rates: Mapping[str, float]
) -> list[Fields]:
    """Return the ``accountUpdateMulti`` lines of one account, exchange rates included."""
    return [
        messages.account_update_multi(req_id, account, tag, value, currency)
        for tag, value, currency in _tagged_values(account, values) + _exchange_rates(fx_rates)
    ]


def positions(ledger: Ledger) -> list[Fields]:
    """Return every position (closed ones with quantity 0, as TWS reports them) and the end."""
    batch = [
        messages.position(account, holding.instrument, holding.quantity, holding.average_cost)
        for account, holding in ledger.all_holdings()
    ]
    batch.append(messages.position_end())
    return batch


def open_orders(orders: Iterable[SimOrder]) -> list[Fields]:
    """Return ``openOrder`` + ``orderStatus`` for each working order, then the end."""
    batch: list[Fields] = []
    for order in orders:
        snapshot = OrderSnapshot.of(order)
        batch += [open_order(order, snapshot.status.value), order_status(order, snapshot)]
    batch.append(messages.open_order_end())
    return batch
