"""The inputs of one decision and the trace that records how they were used."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from mats.domain.accounting import AccountState, StrategyPosition
from mats.domain.accounting.daily import StrategyDayPnl
from mats.domain.alerts import AlertDraft, AlertSeverity
from mats.domain.cerebro.decisions import (
    CerebroSettings,
    Check,
    InputValue,
    Reason,
    Step,
    fmt,
)
from mats.domain.execution.records import OrderRecord
from mats.domain.market import Conversion, FxRate, Instrument, Quote, conversion
from mats.domain.orders import Order
from mats.domain.portfolio import Activation, Allocation
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
    """Everything read from the store for one signal: facts only, the domain derives the rest.

    ``account`` is the strategy's account and ``accounts`` every account of the fund (the
    sizing base is their equity together); ``positions`` are the strategy's ledger positions in
    every instrument; ``orders`` the fund's orders not yet ended, plus the strategy account's
    orders changed since its snapshot (their margin may not be in it yet); ``day_pnl`` the
    accounting's P&L of the strategy since the start of the trading day, when it has one;
    ``sequence`` the account's decision sequence as read (a decision claims the next one, so two
    decisions that read the same state cannot both stand).
    """

    strategy: Strategy | None
    account: AccountState | None
    instrument: Instrument | None
    accounts: tuple[AccountState, ...] = ()
    activation: Activation | None = None
    positions: tuple[StrategyPosition, ...] = ()
    orders: tuple[OrderRecord, ...] = ()
    quote: Quote | None = None
    fx_rates: tuple[FxRate, ...] = ()
    backtest: BacktestFacts | None = None
    risk_global: RiskSetting | None = None
    risk_strategy: RiskSetting | None = None
    day_pnl: StrategyDayPnl | None = None
    sequence: int = 0

    @property
    def allocation(self) -> Allocation | None:
        """The ACTIVE allocation, as the newest activation names it."""
        return self.activation.allocation() if self.activation is not None else None

    @property
    def fund_accounts(self) -> tuple[AccountState, ...]:
        """Every account of the fund, the strategy's own included, in name order."""
        by_name = {a.account: a for a in self.accounts}
        if self.account is not None:
            by_name.setdefault(self.account.account, self.account)
        return tuple(by_name[name] for name in sorted(by_name))

    def orders_on(self, account: str) -> tuple[OrderRecord, ...]:
        """The orders read that belong to ``account``."""
        return tuple(r for r in self.orders if r.order.account == account)

    def position_of(self, signal: Signal) -> StrategyPosition | None:
        return next(
            (
                p
                for p in self.positions
                if (p.account, p.strategy_id, p.symbol)
                == (signal.account, signal.strategy_id, signal.symbol)
            ),
            None,
        )


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
    decision_mid: Decimal | None = None  # Set on every order placed (implementation shortfall).

    def convert(
        self, rates: Sequence[FxRate], source: str, target: str, *, missing: str = ""
    ) -> Conversion | None:
        """A currency conversion, recorded as a step (or as ``FX_RATE_MISSING``, with why
        ``missing`` matters)."""
        found = conversion(rates, source, target)
        if found is None:
            because = f": {missing}" if missing else ""
            self.reason(Reason.FX_RATE_MISSING, f"no {source}/{target} rate is stored{because}")
        elif found.pair is not None and not any(i.name == f"fx {found.pair}" for i in self.inputs):
            self.record_input(f"fx {found.pair}", found.rate, f"fx_rates/{found.pair}", found.as_of)
            self.step(f"fx_{source}_{target}", found.describe(), found.rate)
        return found

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


def quote_mid(quote: Quote) -> Decimal | None:
    """The quote's mid: halfway between bid and ask when it has both, else its last price."""
    if quote.bid is not None and quote.ask is not None:
        return (quote.bid + quote.ask) / 2
    return quote.last
