"""The state Cerebro sizes against: accounts, positions, instruments, quotes, FX, risk, allocations.

Until the bridge and the optimiser write these, operators set them with the CLI. Each is its own
collection, one document per account / position / symbol / pair / scope / allocation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from google.cloud import firestore

from mats.adapters.firestore.documents import (
    ACCOUNTS,
    ALERTS,
    ALLOCATIONS,
    BACKTESTS,
    FX_RATES,
    INSTRUMENTS,
    POSITIONS,
    QUOTES,
    RISK_STATES,
    Documents,
    translated_errors,
)
from mats.domain.accounting import AccountState, StrategyPosition, position_id
from mats.domain.alerts import Alert
from mats.domain.cerebro.context import BacktestFacts
from mats.domain.market import FxRate, Instrument, Quote
from mats.domain.portfolio import Allocation, AllocationStatus
from mats.domain.risk import RiskSetting


class FirestoreTradingState:
    """Accounts, positions, market data, risk settings, allocations and alerts."""

    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self.accounts = Documents(client, ACCOUNTS, AccountState)
        self.positions = Documents(client, POSITIONS, StrategyPosition)
        self.instruments = Documents(client, INSTRUMENTS, Instrument)
        self.quotes = Documents(client, QUOTES, Quote)
        self.fx_rates = Documents(client, FX_RATES, FxRate)
        self.risk = Documents(client, RISK_STATES, RiskSetting)
        self.allocations = Documents(client, ALLOCATIONS, Allocation)
        self.alerts = Documents(client, ALERTS, Alert)
        self.backtests = client.collection(BACKTESTS)

    def put_account(self, account: AccountState) -> None:
        self.accounts.put(account.account, account)

    def list_accounts(self) -> Sequence[AccountState]:
        return self.accounts.where(order_by="account")

    def put_position(self, position: StrategyPosition) -> None:
        key = position_id(position.account, position.strategy_id, position.symbol)
        self.positions.put(key, position)

    def list_positions(
        self, *, account: str | None, strategy_id: str | None
    ) -> Sequence[StrategyPosition]:
        filters = [
            (f, "==", v) for f, v in (("account", account), ("strategy_id", strategy_id)) if v
        ]
        positions = self.positions.where(filters)
        return sorted(positions, key=lambda p: (p.account, p.strategy_id, p.symbol))

    def put_instrument(self, instrument: Instrument) -> None:
        self.instruments.put(instrument.symbol.replace("/", "_"), instrument)

    def list_instruments(self) -> Sequence[Instrument]:
        return self.instruments.where(order_by="symbol")

    def put_quote(self, quote: Quote) -> None:
        self.quotes.put(quote.symbol.replace("/", "_"), quote)

    def put_fx_rate(self, rate: FxRate) -> None:
        self.fx_rates.put(rate.pair, rate)

    def put_risk(self, setting: RiskSetting) -> None:
        self.risk.put(setting.scope, setting)

    def list_risk(self) -> Sequence[RiskSetting]:
        return self.risk.where(order_by="scope")

    def activate(self, allocation: Allocation) -> Sequence[str]:
        # Write the new ACTIVE allocation first, then archive the others: between the two writes
        # readers see two ACTIVE allocations and take the newest, never none.
        self.allocations.put(allocation.allocation_id, allocation)
        archived = []
        for previous in self._active_allocations():
            if previous.allocation_id != allocation.allocation_id:
                old = dataclasses.replace(previous, status=AllocationStatus.ARCHIVED)
                self.allocations.put(previous.allocation_id, old)
                archived.append(previous.allocation_id)
        return archived

    def active(self) -> Allocation | None:
        return newest_active(self._active_allocations())

    def list_allocations(self, *, limit: int) -> Sequence[Allocation]:
        return self.allocations.where(order_by="created_at", descending=True, limit=limit)

    def put_alert(self, alert: Alert) -> None:
        self.alerts.put(alert.alert_id, alert)

    def list_alerts(self, *, limit: int) -> Sequence[Alert]:
        return self.alerts.where(order_by="created_at", descending=True, limit=limit)

    def _active_allocations(self) -> list[Allocation]:
        return self.allocations.where([("status", "==", AllocationStatus.ACTIVE.value)])


def newest_active(allocations: Sequence[Allocation]) -> Allocation | None:
    """The ACTIVE allocation that was activated last (two can coexist for an instant)."""
    return max(allocations, key=lambda a: a.activated_at or a.created_at, default=None)


def backtest_facts(strategy_id: str, document: dict[str, Any] | None) -> BacktestFacts | None:
    """Read the two figures sizing needs from a ``strategy_backtest_data`` document."""
    if not document:
        return None
    with translated_errors("reading backtest data"):
        return BacktestFacts(
            strategy_id=strategy_id,
            as_of=document.get("updated_at") or document.get("computed_at"),
            expected_alpha_per_trade=_decimal(document.get("expected_alpha_per_trade")),
            margin_per_unit=_decimal(document.get("margin_per_unit")),
        )


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
