"""What MATS may ask of each ccxt exchange: the capability table ``CcxtBroker`` reads.

Venue differences live here as data, not as branches in the adapter. An order the table does not
cover (an order type, a time in force for that type, a client order id the venue would refuse) is
rejected before anything is sent. An exchange missing from the table gets ``DEFAULT``: market and
GTC limit orders only, which any spot exchange takes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from mats.domain.trading import OrderType, TimeInForce

# The ccxt order type each MATS type is sent as; a stop is that type plus ccxt's unified
# ``triggerPrice`` parameter (binance spot: STP → STOP_LOSS, STP_LMT → STOP_LOSS_LIMIT).
CCXT_ORDER_TYPES: Mapping[OrderType, str] = MappingProxyType(
    {
        OrderType.MARKET: "market",
        OrderType.LIMIT: "limit",
        OrderType.STOP: "market",
        OrderType.STOP_LIMIT: "limit",
    }
)


@dataclass(frozen=True)
class ExchangeCapabilities:
    """One exchange's row of the table.

    ``time_in_force`` lists, per order type, the times in force the exchange honours and the code
    sent for each (``None``: the order type takes no time in force on this exchange and the MATS
    value is met anyway, e.g. DAY on a market order). A type absent from it is not supported.
    ``brackets`` says whether stop-loss and take-profit legs travel with the entry order; when it
    is false ``CcxtBroker`` places the entry alone and the bridge places the legs after the fill.
    """

    time_in_force: Mapping[OrderType, Mapping[TimeInForce, str | None]]
    settlement_currency: str
    brackets: bool = False
    # Client order ids the exchange takes; any other MATS reference travels as a digest.
    client_order_id_pattern: re.Pattern[str] = re.compile(r"[A-Za-z0-9_-]{1,32}")
    # Error messages meaning "an open order already has this client order id": the order exists.
    duplicate_order_messages: tuple[str, ...] = ()
    # ccxt options: load spot markets only, and skip the private calls ccxt makes while loading.
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def order_types(self) -> frozenset[OrderType]:
        return frozenset(self.time_in_force)


_MARKET_ANY_SESSION: Mapping[TimeInForce, str | None] = {
    # A market order takes what the book has at once and drops the rest: that meets DAY, GTC and
    # IOC. FOK is not promised (a thin book fills part) and GTD has nothing to expire.
    TimeInForce.DAY: None,
    TimeInForce.GTC: None,
    TimeInForce.IOC: None,
}

BINANCE = ExchangeCapabilities(
    time_in_force={
        OrderType.MARKET: _MARKET_ANY_SESSION,
        # Binance trades around the clock: no DAY, and spot has no GTD.
        OrderType.LIMIT: {TimeInForce.GTC: "GTC", TimeInForce.IOC: "IOC", TimeInForce.FOK: "FOK"},
        # STOP_LOSS takes no time in force: it rests until triggered or cancelled.
        OrderType.STOP: {TimeInForce.GTC: None},
        OrderType.STOP_LIMIT: {
            TimeInForce.GTC: "GTC",
            TimeInForce.IOC: "IOC",
            TimeInForce.FOK: "FOK",
        },
    },
    settlement_currency="USDT",
    brackets=False,
    client_order_id_pattern=re.compile(r"[.A-Z:/a-z0-9_-]{1,36}"),
    duplicate_order_messages=("Duplicate order sent.",),
    options={
        "defaultType": "spot",
        "fetchMarkets": {"types": ["spot"]},
        "fetchCurrencies": False,
        "fetchMargins": False,
    },
)

DEFAULT = ExchangeCapabilities(
    time_in_force={
        OrderType.MARKET: _MARKET_ANY_SESSION,
        OrderType.LIMIT: {TimeInForce.GTC: "GTC"},
    },
    settlement_currency="USDT",
    options={"defaultType": "spot"},
)

CAPABILITIES: Mapping[str, ExchangeCapabilities] = MappingProxyType({"binance": BINANCE})


def capabilities_for(exchange_id: str) -> ExchangeCapabilities:
    """Return the exchange's row of the table, or ``DEFAULT`` for an exchange not in it."""
    return CAPABILITIES.get(exchange_id, DEFAULT)
