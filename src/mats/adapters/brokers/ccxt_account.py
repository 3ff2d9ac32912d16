"""A spot account read from ccxt's balance structure, valued in one settlement currency.

Spot has no margin and no positions of its own: every non-zero balance other than the settlement
currency is a position, valued at its last price against that currency. A balance with no such
market cannot be valued: it is still listed as a position but left out of equity, which
understates equity and never inflates it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from mats.adapters.brokers.ccxt_reports import decimal
from mats.domain.venues import VenueAccount, VenuePosition


def holdings(balance: Mapping[str, Any], quote: str) -> dict[str, Decimal]:
    """Return every non-zero total balance except the settlement currency's."""
    totals: Mapping[str, Any] = balance.get("total") or {}
    return {
        currency: decimal(amount)
        for currency, amount in totals.items()
        if currency != quote and decimal(amount) != 0
    }


def spot_account(
    account: str,
    balance: Mapping[str, Any],
    prices: Mapping[str, Decimal],
    *,
    quote: str,
    symbol_of: Callable[[str], str],
    as_of: datetime,
) -> VenueAccount:
    """Value the balance in ``quote`` at ``prices`` (per currency; missing ones are not valued)."""
    held = holdings(balance, quote)
    cash = decimal((balance.get("total") or {}).get(quote))
    valued = (quantity * prices[c] for c, quantity in held.items() if c in prices)
    return VenueAccount(
        account=account,
        currency=quote,
        equity=cash + sum(valued, Decimal(0)),
        cash=cash,
        margin_used=Decimal(0),
        as_of=as_of,
        margin_available=decimal((balance.get("free") or {}).get(quote)),
        positions=tuple(
            VenuePosition(
                account=account, symbol=symbol_of(c), quantity=quantity, mark_price=prices.get(c)
            )
            for c, quantity in sorted(held.items())
        ),
    )
