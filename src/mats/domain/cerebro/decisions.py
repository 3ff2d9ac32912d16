"""What Cerebro decided and the full calculation behind it: the flight recorder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from mats.domain.alerts import AlertDraft
from mats.domain.orders import Order
from mats.domain.risk import RiskSetting
from mats.domain.trading import Intent


class DecisionStatus(StrEnum):
    APPROVED = "APPROVED"
    SCALED = "SCALED"
    REJECTED = "REJECTED"
    IGNORED = "IGNORED"
    DROPPED = "DROPPED"


class Reason(StrEnum):
    """Coded reasons, so dashboards and tests never parse prose."""

    NO_ALLOCATION = "NO_ALLOCATION"
    BELOW_MIN_SIZE = "BELOW_MIN_SIZE"
    MARGIN_LIMIT = "MARGIN_LIMIT"
    MARGIN_SCALED = "MARGIN_SCALED"
    MAX_POSITION_CAPPED = "MAX_POSITION_CAPPED"
    MAX_POSITION_REACHED = "MAX_POSITION_REACHED"
    SLIPPAGE_EXCEEDED = "SLIPPAGE_EXCEEDED"
    TRADING_HALTED = "TRADING_HALTED"
    REDUCING_ONLY = "REDUCING_ONLY"
    DAILY_LOSS_LIMIT = "DAILY_LOSS_LIMIT"
    STRATEGY_INACTIVE = "STRATEGY_INACTIVE"
    STRATEGY_UNKNOWN = "STRATEGY_UNKNOWN"
    ACCOUNT_UNKNOWN = "ACCOUNT_UNKNOWN"
    INSTRUMENT_UNKNOWN = "INSTRUMENT_UNKNOWN"
    NO_PRICE = "NO_PRICE"
    FX_RATE_MISSING = "FX_RATE_MISSING"
    NO_EQUITY = "NO_EQUITY"
    INVALID_BRACKET = "INVALID_BRACKET"
    NO_POSITION = "NO_POSITION"
    ALREADY_AT_TARGET = "ALREADY_AT_TARGET"
    POSITION_MISMATCH = "POSITION_MISMATCH"
    EVENT_TOO_OLD = "EVENT_TOO_OLD"
    BAD_CONTRACT = "BAD_CONTRACT"
    ALLOCATION_REACHED = "ALLOCATION_REACHED"
    ALREADY_EXITING = "ALREADY_EXITING"
    LIMIT_BREACHED = "LIMIT_BREACHED"


class MismatchPolicy(StrEnum):
    """What to do when the sender's previous position disagrees with the ledger."""

    FOLLOW_TARGET = "FOLLOW_TARGET"
    TRUST_SIGNAL = "TRUST_SIGNAL"
    IGNORE_SIGNAL = "IGNORE_SIGNAL"


@dataclass(frozen=True)
class CerebroSettings:
    margin_limit: Decimal = Decimal("0.40")
    slippage_alpha_fraction: Decimal = Decimal("0.30")
    quote_max_age: timedelta = timedelta(seconds=15)
    max_event_age: timedelta = timedelta(hours=1)
    mismatch_policy: MismatchPolicy = MismatchPolicy.FOLLOW_TARGET
    base_currency: str = "USD"  # Money limits (max position, max daily loss) are in it.
    # Equity set aside for the commission and slippage of entries on their way (margin limit).
    cost_allowance: Decimal = Decimal("0.001")
    # When the trading day starts (UTC): the daily loss counts from it.
    trading_day_start: time = time(0, 0)


@dataclass(frozen=True)
class InputValue:
    """One input to a decision, where it came from and how old it was."""

    name: str
    value: Any
    source: str
    as_of: datetime | None = None
    age_seconds: float | None = None


@dataclass(frozen=True)
class Step:
    name: str
    detail: str
    value: str | None = None


@dataclass(frozen=True)
class Check:
    """A limit checked: the value, the threshold, and whether it passed."""

    name: str
    value: str
    threshold: str
    passed: bool
    note: str = ""


@dataclass(frozen=True)
class Decision:
    """Everything Cerebro concluded for one signal (``decisions/{signal_id}``)."""

    signal_id: str
    strategy_id: str
    account: str
    symbol: str
    decided_at: datetime
    signal_intent: Intent
    status: DecisionStatus
    summary: str
    effective_intent: Intent | None = None
    reasons: tuple[Reason, ...] = ()
    inputs: tuple[InputValue, ...] = ()
    steps: tuple[Step, ...] = ()
    checks: tuple[Check, ...] = ()
    orders: tuple[Order, ...] = ()
    alerts: tuple[AlertDraft, ...] = ()
    risk_change: RiskSetting | None = None
    sequence: int | None = None  # The account's decision sequence this decision claims.

    def input(self, name: str) -> InputValue | None:
        return next((item for item in self.inputs if item.name == name), None)


def fmt(value: Decimal | None) -> str:
    """Format a number for the flight recorder: plain notation, trailing zeros dropped."""
    if value is None:
        return "-"
    normalized = value.normalize()
    return format(normalized if normalized != 0 else Decimal(0), "f")
