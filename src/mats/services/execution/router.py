"""Which venue executes an order, and the settings of the bridge's execution."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from mats.domain.orders import Order
from mats.domain.trading import TradingMode
from mats.errors import PermanentError, TemporaryError
from mats.ports import Broker

PAPER = "PAPER"


class VenueUnavailableError(TemporaryError):
    """The venue is not taking orders now; nothing was sent (Pub/Sub will deliver again)."""


@dataclass(frozen=True)
class ExecutionSettings:
    claim_lease: timedelta = timedelta(seconds=60)
    entry_max_age: timedelta = timedelta(minutes=5)
    exit_retry_min: timedelta = timedelta(seconds=2)
    exit_retry_max: timedelta = timedelta(minutes=5)
    margin_warning: Decimal = Decimal("0.35")
    margin_limit: Decimal = Decimal("0.40")
    outage_alert_after: timedelta = timedelta(seconds=60)
    publish_timeout_seconds: float = 5.0
    # An order's arrival mid comes from a quote no older than this, or it is left unknown.
    quote_max_age: timedelta = timedelta(seconds=15)


class VenueRouter:
    """Which venue executes an order: PAPER mode always the paper venue, else by broker name."""

    def __init__(
        self, paper: Broker, live: Mapping[str, Broker], accounts: Mapping[str, str]
    ) -> None:
        self.paper = paper
        self.live = dict(live)
        self.accounts = dict(accounts)  # MATS account -> live venue name

    def for_order(self, order: Order) -> tuple[str, Broker]:
        if order.trading_mode is TradingMode.PAPER:
            return PAPER, self.paper
        venue = self.live.get(order.broker)
        if venue is None:
            raise PermanentError(f"no venue is configured for broker {order.broker!r}")
        if self.accounts.get(order.account) != order.broker:
            raise PermanentError(
                f"account {order.account} is not traded at {order.broker} by this bridge "
                "(MATS_IB_ACCOUNTS / MATS_CCXT_VENUES)"
            )
        return order.broker, venue

    def named(self, name: str) -> Broker | None:
        return self.paper if name == PAPER else self.live.get(name)

    def all(self) -> dict[str, Broker]:
        return {PAPER: self.paper, **self.live}
