"""The inputs of one decision and the trace that records how they were used."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from mats.domain.accounting import AccountState, StrategyPosition
from mats.domain.alerts import AlertDraft, AlertSeverity
from mats.domain.cerebro.decisions import (
    CerebroSettings,
    Check,
    InputValue,
    Reason,
    Step,
    fmt,
)
from mats.domain.market import FxRate, Instrument, Quote
from mats.domain.orders import Order
from mats.domain.portfolio import Allocation
from mats.domain.risk import RiskSetting
from mats.domain.signals.signal import Signal
from mats.domain.strategies import Strategy


@dataclass(frozen=True)
class BacktestFacts:
    """What sizing needs from a strategy's backtest: alpha per trade and margin per unit."""

    strategy_id: str
    as_of: datetime | None = None
    expected_alpha_per_trade: Decimal | None = None
    margin_per_unit: Decimal | None = None


@dataclass(frozen=True)
class DecisionInputs:
    """Everything read from the store for one signal."""

    strategy: Strategy | None
    account: AccountState | None
    instrument: Instrument | None
    allocation: Allocation | None = None
    position: StrategyPosition | None = None
    strategy_pnl_today: Decimal = Decimal(0)
    quote: Quote | None = None
    fx: FxRate | None = None
    backtest: BacktestFacts | None = None
    risk_global: RiskSetting | None = None
    risk_strategy: RiskSetting | None = None


@dataclass(frozen=True)
class Known:
    """The strategy, account and instrument of a signal, once all three are known."""

    strategy: Strategy
    account: AccountState
    instrument: Instrument


@dataclass
class Trace:
    """Collects inputs, steps, checks, reasons and alerts while a decision is worked out."""

    signal: Signal
    now: datetime
    settings: CerebroSettings
    inputs: list[InputValue] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    alerts: list[AlertDraft] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)

    def record_input(
        self, name: str, value: Any, source: str, as_of: datetime | None = None
    ) -> None:
        age = (self.now - as_of).total_seconds() if as_of is not None else None
        self.inputs.append(InputValue(name, value, source, as_of, age))

    def step(self, name: str, detail: str, value: Decimal | str | None = None) -> None:
        shown = fmt(value) if isinstance(value, Decimal) else value
        self.steps.append(Step(name, detail, shown))

    def check(
        self, name: str, value: Decimal, threshold: Decimal, *, passed: bool, note: str = ""
    ) -> bool:
        self.checks.append(Check(name, fmt(value), fmt(threshold), passed, note))
        return passed

    def reason(self, reason: Reason, detail: str) -> None:
        if reason not in self.reasons:
            self.reasons.append(reason)
        self.step(reason.value, detail)

    def alert(self, kind: str, severity: AlertSeverity, message: str) -> None:
        self.alerts.append(AlertDraft(kind, severity, message))
