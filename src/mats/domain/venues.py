"""What a venue (IB, a ccxt exchange, the paper broker) reports back, in MATS's own terms.

Every report is keyed by MATS's order id (which travels to the venue as IB ``orderRef`` or ccxt
``clientOrderId``) and every fill by the venue's execution id; nothing is keyed by the venue's own
order id, which IB can reuse after a restart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from mats.domain.execution.states import OrderState
from mats.domain.trading import Side
from mats.errors import PermanentError


class OrderRejectedError(PermanentError):
    """The venue refused the order (insufficient funds, invalid order): do not retry."""

    def __init__(self, order_id: str, reason: str) -> None:
        super().__init__(f"{order_id} rejected: {reason}")
        self.order_id = order_id
        self.reason = reason


@dataclass(frozen=True)
class VenueFill:
    execution_id: str
    order_id: str
    account: str
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    at: datetime
    commission: Decimal = Decimal(0)
    commission_currency: str | None = None
    venue_order_id: str | None = None


@dataclass(frozen=True)
class VenueOrderReport:
    """An order as the venue sees it now; ``fills`` are every execution known for it so far."""

    order_id: str
    state: OrderState
    filled_quantity: Decimal = Decimal(0)
    average_price: Decimal | None = None
    venue_order_id: str | None = None
    reason: str | None = None
    fills: tuple[VenueFill, ...] = ()


@dataclass(frozen=True)
class VenuePosition:
    account: str
    symbol: str
    quantity: Decimal
    average_cost: Decimal | None = None
    mark_price: Decimal | None = None


@dataclass(frozen=True)
class VenueRate:
    """An exchange rate an account reports: ``rate`` units of the account's currency per one
    ``currency`` (IB's ``ExchangeRate`` account value)."""

    currency: str
    rate: Decimal


@dataclass(frozen=True)
class VenueAccount:
    account: str
    currency: str
    equity: Decimal
    cash: Decimal
    margin_used: Decimal
    as_of: datetime
    margin_available: Decimal | None = None
    unrealized_pnl: Decimal = Decimal(0)
    positions: tuple[VenuePosition, ...] = ()
    fx_rates: tuple[VenueRate, ...] = ()  # Other currencies in this account's currency.


@dataclass(frozen=True)
class VenueStatus:
    """Whether the venue is reachable and taking new orders, and if not, why."""

    connected: bool
    accepting_orders: bool
    reason: str | None = None
    disconnected_since: datetime | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VenueHealth:
    name: str
    connected: bool
    accepting_orders: bool
    reason: str | None = None
    disconnected_since: datetime | None = None


@dataclass(frozen=True)
class BridgeHealth:
    """The bridge's session as it last reported it (``bridge_health/current``, every 15 s)."""

    ready: bool
    problems: tuple[str, ...]
    venues: tuple[VenueHealth, ...]
    at: datetime
    started_at: datetime | None = None
