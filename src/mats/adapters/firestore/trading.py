"""The state Cerebro sizes against: accounts, positions, instruments, quotes, FX and risk.

Until the bridge writes these, operators set them with the CLI. Each is its own collection, one
document per account / position / symbol / pair / scope.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore

from mats.adapters.firestore.documents import (
    ACCOUNTS,
    ALERTS,
    BACKTESTS,
    BRIDGE_HEALTH,
    FX_HISTORY,
    FX_RATES,
    INSTRUMENTS,
    POSITIONS,
    QUOTES,
    RISK_STATES,
    Documents,
    from_document,
    to_document,
    translated_errors,
)
from mats.domain.accounting import AccountState, StrategyPosition, position_id
from mats.domain.alerts import Alert
from mats.domain.cerebro.context import BacktestFacts
from mats.domain.market import FxRate, Instrument, Quote
from mats.domain.risk import RiskSetting
from mats.domain.venues import BridgeHealth


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

    def accounts_page(
        self, *, limit: int, after: str | None = None
    ) -> tuple[list[AccountState], str | None]:
        return self.accounts.page(order_by="account", limit=limit, after=after)

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

    def positions_page(
        self,
        *,
        account: str | None,
        strategy_id: str | None,
        limit: int,
        after: str | None = None,
    ) -> tuple[list[StrategyPosition], str | None]:
        # By account, then by document id ({account}__{strategy}__{symbol}) within it.
        filters = [
            (f, "==", v) for f, v in (("account", account), ("strategy_id", strategy_id)) if v
        ]
        return self.positions.page(filters, order_by="account", limit=limit, after=after)

    def put_instrument(self, instrument: Instrument) -> None:
        self.instruments.put(instrument.symbol.replace("/", "_"), instrument)

    def list_instruments(self) -> Sequence[Instrument]:
        return self.instruments.where(order_by="symbol")

    def quote(self, symbol: str) -> Quote | None:
        return self.quotes.get(symbol.replace("/", "_"))

    def put_quote(self, quote: Quote) -> None:
        self.quotes.put(quote.symbol.replace("/", "_"), quote)

    def put_fx_rate(self, rate: FxRate) -> None:
        """Keep the rate in ``fx_history`` (dated, for the accounting) and, unless a newer one
        is stored, as the pair's latest in ``fx_rates`` (what Cerebro sizes with)."""
        history = self._client.collection(FX_HISTORY).document(
            f"{rate.pair}__{rate.as_of:%Y%m%dT%H%M%S%f}"
        )
        with translated_errors("keeping an FX rate"):
            history.set(to_document(rate))
        latest = self.fx_rates.get(rate.pair)
        if latest is None or latest.as_of <= rate.as_of:
            self.fx_rates.put(rate.pair, rate)

    def put_bridge_health(self, health: BridgeHealth) -> None:
        self._client.collection(BRIDGE_HEALTH).document("current").set(to_document(health))

    def bridge_health(self) -> BridgeHealth | None:
        return Documents(self._client, BRIDGE_HEALTH, BridgeHealth).get("current")

    def put_risk(self, setting: RiskSetting) -> None:
        self.risk.put(setting.scope, setting)

    def list_risk(self) -> Sequence[RiskSetting]:
        return self.risk.where(order_by="scope")

    def create_alert(self, alert: Alert) -> bool:
        try:
            with translated_errors("raising an alert"):
                self.alerts.ref(alert.alert_id).create(alert_document(alert))
        except AlreadyExists:
            return False
        return True

    def mark_notified(self, alert: Alert, at: datetime) -> None:
        after = alert.notified(at)
        changes: dict[str, Any] = {
            "notifications": firestore.Increment(1),
            "last_notified_at": at,
            "notified_at": after.notified_at,
        }
        if not after.outstanding:
            changes[OUTSTANDING] = False
        with translated_errors("marking an alert sent"):
            self.alerts.ref(alert.alert_id).update(changes)

    def acknowledge(self, alert_id: str, *, by: str, at: datetime) -> Alert | None:
        alert = self.get_alert(alert_id)
        if alert is None or alert.acknowledged:
            return alert
        acknowledged = alert.acknowledge(by, at)
        with translated_errors("acknowledging an alert"):
            self.alerts.ref(alert_id).update(
                {
                    "acknowledged": True,
                    "acknowledged_at": at,
                    "acknowledged_by": by,
                    OUTSTANDING: False,
                }
            )
        return acknowledged

    def get_alert(self, alert_id: str) -> Alert | None:
        with translated_errors("reading an alert"):
            snapshot = self.alerts.ref(alert_id).get()
        return _alert(snapshot.to_dict()) if snapshot.exists else None

    def list_alerts(self, *, limit: int, outstanding: bool = False) -> Sequence[Alert]:
        query: Any = self.alerts.collection
        if outstanding:
            query = query.where(filter=firestore.FieldFilter(OUTSTANDING, "==", True))
        query = query.order_by("created_at", direction=firestore.Query.DESCENDING).limit(limit)
        with translated_errors("listing alerts"):
            return [_alert(snapshot.to_dict()) for snapshot in query.stream()]


# Copied to the top of an alert document so the sweep can query for it.
OUTSTANDING = "outstanding"


def alert_document(alert: Alert) -> dict[str, Any]:
    return {**to_document(alert), OUTSTANDING: alert.outstanding}


def _alert(document: dict[str, Any] | None) -> Alert:
    data = {k: v for k, v in (document or {}).items() if k != OUTSTANDING}
    return from_document(Alert, data)


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
