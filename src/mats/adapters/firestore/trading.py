"""The state Cerebro sizes against: accounts, positions, instruments, quotes, FX and risk.

Until the bridge writes these, operators set them with the CLI. Each is its own collection, one
document per account / position / symbol / pair / scope.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from google.cloud import firestore

from mats.adapters.firestore.documents import (
    ACCOUNTS,
    ALERTS,
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
from mats.domain.risk import RiskSetting


class FirestoreTradingState:
    """Accounts, positions, market data, risk settings and alerts."""

    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self.accounts = Documents(client, ACCOUNTS, AccountState)
        self.positions = Documents(client, POSITIONS, StrategyPosition)
        self.instruments = Documents(client, INSTRUMENTS, Instrument)
        self.quotes = Documents(client, QUOTES, Quote)
        self.fx_rates = Documents(client, FX_RATES, FxRate)
        self.risk = Documents(client, RISK_STATES, RiskSetting)
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

    def quote(self, symbol: str) -> Quote | None:
        return self.quotes.get(symbol.replace("/", "_"))

    def put_quote(self, quote: Quote) -> None:
        self.quotes.put(quote.symbol.replace("/", "_"), quote)

    def put_fx_rate(self, rate: FxRate) -> None:
        self.fx_rates.put(rate.pair, rate)

    def put_risk(self, setting: RiskSetting) -> None:
        self.risk.put(setting.scope, setting)

    def list_risk(self) -> Sequence[RiskSetting]:
        return self.risk.where(order_by="scope")

    def put_alert(self, alert: Alert) -> None:
        self.alerts.put(alert.alert_id, alert)

    def list_alerts(self, *, limit: int) -> Sequence[Alert]:
        return self.alerts.where(order_by="created_at", descending=True, limit=limit)


def backtest_facts(strategy_id: str, document: dict[str, Any] | None) -> BacktestFacts | None:
    """Read the two figures sizing needs from a ``strategy_backtest_data`` document."""
    if not document:
        return None
    statistics = document.get("statistics") or {}
    with translated_errors("reading backtest data"):
        return BacktestFacts(
            strategy_id=strategy_id,
            as_of=document.get("updated_at"),
            expected_alpha_per_trade=_decimal(statistics.get("expected_alpha_per_trade")),
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
