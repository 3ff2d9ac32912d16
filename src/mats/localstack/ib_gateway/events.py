"""What the simulated broker tells the gateway: order updates, errors, positions, what-ifs."""

from __future__ import annotations

from dataclasses import dataclass

from mats.localstack.ib_gateway.ledger import Holding
from mats.localstack.ib_gateway.model import Execution, OrderSnapshot, SimOrder


@dataclass(frozen=True)
class OrderUpdate:
    """An order changed: send its status, plus ``openOrder`` if ``announce``."""

    order: SimOrder
    snapshot: OrderSnapshot
    execution: Execution | None = None
    announce: bool = False


@dataclass(frozen=True)
class OrderError:
    """TWS reports an error about an order (reject, unknown id, cancel confirmation)."""

    client_id: int
    order_id: int
    code: int
    message: str
    advanced: str = ""


@dataclass(frozen=True)
class PositionChanged:
    """A position changed after an execution."""

    account: str
    holding: Holding


@dataclass(frozen=True)
class MarginImpact:
    """The what-if answer: margin before, change and after, and the commission."""

    initial_before: float
    maintenance_before: float
    equity_before: float
    initial_change: float
    maintenance_change: float
    equity_change: float
    commission: float

    @property
    def initial_after(self) -> float:
        """Return the initial margin after the order."""
        return self.initial_before + self.initial_change

    @property
    def maintenance_after(self) -> float:
        """Return the maintenance margin after the order."""
        return self.maintenance_before + self.maintenance_change

    @property
    def equity_after(self) -> float:
        """Return the equity with loan value after the order."""
        return self.equity_before + self.equity_change


@dataclass(frozen=True)
class WhatIfResult:
    """The answer to a what-if order: never placed, only priced."""

    order: SimOrder
    impact: MarginImpact


Event = OrderUpdate | OrderError | PositionChanged | WhatIfResult


@dataclass(frozen=True)
class Identity:
    """Where ids come from: the first permId and the token that makes execIds unique."""

    perm_id_base: int
    exec_id_token: str
