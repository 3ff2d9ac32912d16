"""Orders, executions and settings of the simulated gateway."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from mats.localstack.ib_gateway.catalog import ContractFields, Instrument

# Quantities below this are rounding noise, not an open remainder.
QUANTITY_EPSILON = 1e-9
ORDER_TYPES = frozenset({"MKT", "LMT", "STP", "STP LMT"})
TIME_IN_FORCE = frozenset({"DAY", "GTC", "IOC", "GTD"})


class OrderStatus(StrEnum):
    """The order states TWS reports (``orderStatus.status``)."""

    PENDING_SUBMIT = "PendingSubmit"
    PRE_SUBMITTED = "PreSubmitted"
    SUBMITTED = "Submitted"
    FILLED = "Filled"
    CANCELLED = "Cancelled"
    INACTIVE = "Inactive"

    @property
    def done(self) -> bool:
        """Return whether the order can no longer change."""
        return self in {OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.INACTIVE}


@dataclass(frozen=True)
class OrderTicket:
    """A parsed ``placeOrder`` request: what the client asked for, before any checks."""

    order_id: int
    contract: ContractFields
    action: str
    quantity: float
    order_type: str
    limit_price: float | None = None
    aux_price: float | None = None
    tif: str = "DAY"
    oca_group: str = ""
    oca_type: int = 0
    account: str = ""
    order_ref: str = ""
    transmit: bool = True
    parent_id: int = 0
    outside_rth: bool = False
    good_after_time: str = ""
    good_till_date: str = ""
    what_if: bool = False
    unsupported: str = ""


@dataclass
class SimOrder:
    """An order the simulated gateway accepted, with its live state."""

    perm_id: int
    client_id: int
    order_id: int
    instrument: Instrument
    route_exchange: str
    account: str
    action: str
    quantity: float
    order_type: str
    limit_price: float | None
    stop_price: float | None
    tif: str
    order_ref: str
    parent_id: int = 0
    parent_perm_id: int = 0
    oca_group: str = ""
    oca_type: int = 0
    transmit: bool = True
    outside_rth: bool = False
    good_till: datetime | None = None
    good_till_text: str = ""
    status: OrderStatus = OrderStatus.PENDING_SUBMIT
    filled: float = 0.0
    filled_notional: float = 0.0
    last_fill_price: float = 0.0
    transmitted: bool = False
    triggered: bool = False
    resting: bool = False
    holding: bool = False
    why_held: str = ""
    completed_time: str = ""
    completed_status: str = ""
    reject_reason: str = ""

    @property
    def remaining(self) -> float:
        """Return the quantity still to fill (zero once the order is done)."""
        if self.status.done:
            return 0.0
        return max(self.quantity - self.filled, 0.0)

    @property
    def average_fill_price(self) -> float:
        """Return the volume-weighted fill price so far."""
        return self.filled_notional / self.filled if self.filled else 0.0

    @property
    def is_buy(self) -> bool:
        """Return whether this order buys."""
        return self.action == "BUY"

    def to_json(self) -> dict[str, object]:
        """Describe the order for the control API."""
        return {
            "perm_id": self.perm_id,
            "client_id": self.client_id,
            "order_id": self.order_id,
            "order_ref": self.order_ref,
            "account": self.account,
            "con_id": self.instrument.con_id,
            "symbol": self.instrument.symbol,
            "local_symbol": self.instrument.local_symbol,
            "sec_type": self.instrument.sec_type,
            "action": self.action,
            "quantity": self.quantity,
            "order_type": self.order_type,
            "limit_price": self.limit_price,
            "stop_price": self.stop_price,
            "tif": self.tif,
            "good_till_date": self.good_till_text,
            "parent_id": self.parent_id,
            "oca_group": self.oca_group,
            "status": self.status.value,
            "transmitted": self.transmitted,
            "holding": self.holding,
            "filled": self.filled,
            "remaining": self.remaining,
            "average_fill_price": self.average_fill_price,
            "reject_reason": self.reject_reason,
        }


@dataclass(frozen=True)
class OrderSnapshot:
    """The order's reported state at one moment (orderStatus fields)."""

    status: OrderStatus
    filled: float
    remaining: float
    average_fill_price: float
    last_fill_price: float
    why_held: str

    @classmethod
    def of(cls, order: SimOrder) -> OrderSnapshot:
        """Capture the order's state now; later changes do not alter the snapshot."""
        return cls(
            status=order.status,
            filled=order.filled,
            remaining=order.remaining,
            average_fill_price=order.average_fill_price,
            last_fill_price=order.last_fill_price,
            why_held=order.why_held,
        )


@dataclass(frozen=True)
class Execution:
    """One fill, as ``execDetails`` and ``commissionReport`` report it."""

    exec_id: str
    time: datetime
    account: str
    instrument: Instrument
    order_id: int
    client_id: int
    perm_id: int
    side: str
    shares: float
    price: float
    cumulative_quantity: float
    average_price: float
    order_ref: str
    commission: float
    commission_currency: str
    realized_pnl: float | None

    def to_json(self) -> dict[str, object]:
        """Describe the execution for the control API."""
        return {
            "exec_id": self.exec_id,
            "time": self.time.isoformat(),
            "account": self.account,
            "con_id": self.instrument.con_id,
            "symbol": self.instrument.symbol,
            "local_symbol": self.instrument.local_symbol,
            "sec_type": self.instrument.sec_type,
            "order_id": self.order_id,
            "client_id": self.client_id,
            "perm_id": self.perm_id,
            "side": self.side,
            "shares": self.shares,
            "price": self.price,
            "cumulative_quantity": self.cumulative_quantity,
            "average_price": self.average_price,
            "order_ref": self.order_ref,
            "commission": self.commission,
            "commission_currency": self.commission_currency,
            "realized_pnl": self.realized_pnl,
        }


@dataclass
class Settings:
    """Knobs the control API turns: fills, commissions, margin, exchange rates."""

    partial_slices: int = 1
    hold_remainder: bool = False
    hold_fills: bool = False
    fill_delay: float = 0.0
    commission_per_unit: float = 0.005
    commission_per_unit_by_sec_type: dict[str, float] = field(default_factory=lambda: {"FUT": 0.85})
    commission_minimum: float = 0.0
    commission_currency: str = "USD"
    initial_margin_rate: float = 0.25
    maintenance_margin_rate: float = 0.2
    default_price: float = 100.0
    # USD per one unit of each currency: the accounts' ``ExchangeRate`` values (demo rates).
    fx_rates: dict[str, float] = field(default_factory=lambda: {"EUR": 1.08, "GBP": 1.27})

    def commission(self, instrument: Instrument, quantity: float) -> float:
        """Return the commission for one execution of ``quantity`` units."""
        rate = self.commission_per_unit_by_sec_type.get(
            instrument.sec_type, self.commission_per_unit
        )
        return round(max(rate * quantity, self.commission_minimum), 6)

    def to_json(self) -> dict[str, object]:
        """Describe the settings for the control API."""
        return {
            "partial_slices": self.partial_slices,
            "hold_remainder": self.hold_remainder,
            "hold": self.hold_fills,
            "fill_delay": self.fill_delay,
            "commission_per_unit": self.commission_per_unit,
            "commission_per_unit_by_sec_type": dict(self.commission_per_unit_by_sec_type),
            "commission_minimum": self.commission_minimum,
            "commission_currency": self.commission_currency,
            "initial_margin_rate": self.initial_margin_rate,
            "maintenance_margin_rate": self.maintenance_margin_rate,
            "default_price": self.default_price,
            "fx_rates": dict(self.fx_rates),
        }


@dataclass(frozen=True)
class ExecutionFilter:
    """A ``reqExecutions`` filter; empty fields match everything, client id 0 every client."""

    client_id: int = 0
    account: str = ""
    time: datetime | None = None
    symbol: str = ""
    sec_type: str = ""
    exchange: str = ""
    side: str = ""

    def matches(self, execution: Execution) -> bool:
        """Return whether ``execution`` passes the filter."""
        instrument = execution.instrument
        side = {"BUY": "BOT", "SELL": "SLD"}.get(self.side.upper(), self.side.upper())
        checks = (
            not self.client_id or execution.client_id == self.client_id,
            not self.account or execution.account == self.account,
            self.time is None or execution.time >= self.time,
            not self.symbol or instrument.symbol == self.symbol.upper(),
            not self.sec_type or instrument.sec_type == self.sec_type.upper(),
            not self.exchange or instrument.execution_exchange == self.exchange.upper(),
            not side or execution.side == side,
        )
        return all(checks)
