"""Reconcile every live account with its venue: residuals go to ``Discretionary`` and alert.

Runs in the bridge after every (re)connect, on a timer and on demand (``POST /admin/reconcile``,
``mats reconcile``). Each account is reconciled from one fresh venue snapshot; an account whose
venue is down or does not answer is reported ``UNAVAILABLE`` and left exactly as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from mats.domain.accounting import StrategyPosition
from mats.domain.alerts import Alert, AlertSeverity
from mats.domain.market import Instrument
from mats.domain.reconciliation import (
    DISCRETIONARY,
    RECONCILIATION_SOURCE,
    Line,
    past_tolerance,
    reconcile_account,
)
from mats.errors import MatsError
from mats.ports import Broker, Clock, MarketDataStore, PositionStore
from mats.services.alerts import AlertService

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccountReconciliation:
    account: str
    venue: str
    status: str  # RECONCILED or UNAVAILABLE
    reason: str | None = None
    lines: tuple[Line, ...] = ()
    booked: tuple[str, ...] = ()  # Symbols whose Discretionary quantity changed now.


class ReconciliationService:
    def __init__(
        self,
        *,
        venues: Mapping[str, Broker],
        accounts: Mapping[str, str],
        positions: PositionStore,
        market: MarketDataStore,
        alerts: AlertService,
        clock: Clock,
        tolerance: Decimal = Decimal(0),
    ) -> None:
        self._venues = venues
        self._accounts = accounts  # MATS account -> venue name
        self._positions = positions
        self._market = market
        self._alerts = alerts
        self._clock = clock
        self._tolerance = tolerance

    def reconcile(self, account: str | None = None) -> list[AccountReconciliation]:
        """Reconcile one account (or every live one) now."""
        names = [account] if account else sorted(self._accounts)
        instruments = {i.symbol: i for i in self._market.list_instruments()}
        return [self._one(name, instruments) for name in names]

    def _one(self, account: str, instruments: Mapping[str, Instrument]) -> AccountReconciliation:
        venue_name = self._accounts.get(account)
        venue = self._venues.get(venue_name or "")
        if venue is None or venue_name is None:
            return AccountReconciliation(
                account, venue_name or "", "UNAVAILABLE", "no live venue trades this account"
            )
        if not venue.status().connected:
            reason = venue.status().reason or "disconnected"
            return AccountReconciliation(account, venue_name, "UNAVAILABLE", reason)
        try:
            snapshot = venue.account(account)
        except MatsError as error:
            log.warning("reconciliation skipped", extra={"account": account, "error": str(error)})
            return AccountReconciliation(account, venue_name, "UNAVAILABLE", str(error))
        ledger = self._positions.list_positions(account=account, strategy_id=None)
        lines = reconcile_account(account, snapshot.positions, ledger, instruments)
        booked = tuple(line for line in lines if line.changed)
        for line in booked:
            self._book(line)
        symbols = tuple(line.symbol for line in booked)
        return AccountReconciliation(account, venue_name, "RECONCILED", None, tuple(lines), symbols)

    def _book(self, line: Line) -> None:
        now = self._clock.now()
        self._positions.put_position(
            StrategyPosition(
                account=line.account,
                strategy_id=DISCRETIONARY,
                symbol=line.symbol,
                quantity=line.residual,
                updated_at=now,
                average_cost=line.average_cost if line.residual else None,
                source=RECONCILIATION_SOURCE,
            )
        )
        log.warning(
            "reconciliation residual booked to Discretionary",
            extra={
                "account": line.account,
                "symbol": line.symbol,
                "venue": str(line.venue_quantity),
                "strategies": str(line.strategies_quantity),
                "residual": str(line.residual),
            },
        )
        if not past_tolerance(line, self._tolerance):
            return
        alert = Alert(
            alert_id=f"reconcile-{line.account}-{line.venue_symbol}-{now:%Y%m%dT%H%M%S}",
            kind="POSITION_RESIDUAL",
            severity=AlertSeverity.WARNING,
            message=(
                f"{line.account} holds {line.venue_quantity} {line.symbol} at the venue but its "
                f"strategies hold {line.strategies_quantity}; {line.residual} booked to "
                f"{DISCRETIONARY} (was {line.discretionary_before})"
            ),
            created_at=now,
            source="reconciliation",
        )
        self._alerts.raise_alert(alert)
