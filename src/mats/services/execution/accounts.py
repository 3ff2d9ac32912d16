"""Publish accounts: fetch each live account from its venue, store it for Cerebro, publish it,
keep the exchange rates it reports (IB's ``ExchangeRate`` values, source ``ib:{account}``), and
raise a CRITICAL alert when its margin use nears the limit (once, until it falls back)."""

from __future__ import annotations

import logging
from collections.abc import Collection
from decimal import Decimal

from mats.contracts import AccountPositionV1, AccountUpdateV1
from mats.domain.accounting import AccountState
from mats.domain.alerts import Alert, AlertSeverity
from mats.domain.market import FxRate
from mats.domain.venues import VenueAccount
from mats.errors import MatsError, PermanentError, TemporaryError
from mats.ports import AccountStore, Clock
from mats.services.alerts import AlertService
from mats.services.execution.fx import FxRecorder
from mats.services.execution.messages import MessageOut
from mats.services.execution.router import VenueRouter

log = logging.getLogger(__name__)


class AccountPublisher:
    def __init__(
        self,
        *,
        router: VenueRouter,
        accounts: AccountStore,
        out: MessageOut,
        alerts: AlertService,
        clock: Clock,
        fx: FxRecorder,
        margin_warning: Decimal,
        margin_limit: Decimal,
    ) -> None:
        self._router = router
        self._accounts = accounts
        self._fx = fx
        self._out = out
        self._alerts = alerts
        self._clock = clock
        self._margin_warning = margin_warning
        self._margin_limit = margin_limit
        self._near_limit: set[str] = set()  # Accounts whose margin alert stands.

    def publish(self, accounts: Collection[str] | None = None) -> list[AccountState]:
        """Fetch, store and publish live accounts (all, or those given)."""
        states = []
        for account, venue_name in sorted(self._router.accounts.items()):
            if accounts is not None and account not in accounts:
                continue
            venue = self._router.live.get(venue_name)
            if venue is None or not venue.status().connected:
                continue
            try:
                snapshot = venue.account(account)
            except (TemporaryError, PermanentError) as error:
                log.info("account not available", extra={"account": account, "error": str(error)})
                continue
            state = AccountState(
                account=account,
                broker=venue_name,
                base_currency=snapshot.currency,
                equity=snapshot.equity,
                cash=snapshot.cash,
                margin_used=snapshot.margin_used,
                margin_available=snapshot.margin_available,
                updated_at=snapshot.as_of,
                source=venue_name,
            )
            self._accounts.put_account(state)
            self._out.publish(
                AccountUpdateV1(
                    id=f"{account}@{snapshot.as_of:%Y%m%dT%H%M%S%f}",
                    created_at=self._clock.now(),
                    account=account,
                    broker=venue_name,
                    currency=snapshot.currency,
                    equity=snapshot.equity,
                    cash=snapshot.cash,
                    margin_used=snapshot.margin_used,
                    margin_available=snapshot.margin_available,
                    unrealized_pnl=snapshot.unrealized_pnl,
                    as_of=snapshot.as_of,
                    positions=tuple(
                        AccountPositionV1(p.symbol, p.quantity, p.average_cost, p.mark_price)
                        for p in snapshot.positions
                    ),
                )
            )
            self._keep_rates(venue_name, snapshot)
            self._check_margin(state)
            states.append(state)
        return states

    def _keep_rates(self, venue_name: str, snapshot: VenueAccount) -> None:
        """Each reported currency's rate in the account's currency, e.g. EURUSD from a USD
        account (stored when due: ``FxRecorder``)."""
        source = f"{venue_name.lower()}:{snapshot.account}"
        for reported in snapshot.fx_rates:
            if reported.currency == snapshot.currency:
                continue
            rate = FxRate(
                base_currency=reported.currency,
                quote_currency=snapshot.currency,
                rate=reported.rate,
                as_of=snapshot.as_of,
                source=source,
            )
            try:
                self._fx.record(rate)
            except MatsError as error:  # The account is published; the next update tries again.
                log.warning("fx rate not kept", extra={"pair": rate.pair, "error": str(error)})

    def _check_margin(self, state: AccountState) -> None:
        if state.equity <= 0:
            return
        used = state.margin_used / state.equity
        if used < self._margin_warning:
            self._near_limit.discard(state.account)
            return
        if state.account in self._near_limit:
            return
        self._near_limit.add(state.account)
        self._alerts.raise_alert(
            Alert(
                alert_id=f"margin-{state.account}-{state.updated_at:%Y%m%dT%H%M%S}",
                kind="MARGIN_NEAR_LIMIT",
                severity=AlertSeverity.CRITICAL,
                message=f"{state.account} uses {used:.1%} of its equity as margin; the limit is "
                f"{self._margin_limit:.0%}",
                created_at=self._clock.now(),
                source="bridge",
            )
        )
