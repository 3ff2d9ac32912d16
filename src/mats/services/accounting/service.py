"""The accounting: what ``functions/dashboard`` and the CLI's fund commands call.

Messages (``fills``, ``account-updates``) are facts kept once by their business key; every read
model is then recomputed from the facts, so a replayed or reordered message leaves the same
documents. Scheduled work: the hourly snapshot, the daily NAV strike and the month-end
crystallisation (each once per hour, date and month; a repeat answers with the first).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property

from mats.domain.accounting import AccountState
from mats.domain.accounting.views import (
    ClientView,
    FundSettings,
    FundSummary,
    HealthView,
    NavHistory,
    PnlView,
    ReturnsView,
    SenderView,
    SignalPnl,
    Snapshot,
    StrikeRecord,
    TopicMark,
)
from mats.domain.alerts import AlertSeverity
from mats.domain.funds.payouts import parse_month
from mats.domain.market import validate_currency
from mats.domain.orders import Fill
from mats.domain.venues import BridgeHealth
from mats.errors import ValidationError
from mats.ports import (
    AlertStore,
    Clock,
    ExecutionStore,
    LedgerStore,
    PortfolioStore,
    RecordStore,
    SignalStore,
)
from mats.services.accounting.investors import (
    CLIENT_VIEWS,
    FUND_RETURNS,
    NAV_HISTORY,
    RETURN_YEARS,
    InvestorBook,
)
from mats.services.accounting.ledger import LedgerBooking
from mats.services.accounting.payouts import Payout, PayoutBook
from mats.services.accounting.quality import ExecutionQuality
from mats.services.accounting.snapshots import Snapshots
from mats.services.accounting.valuing import FundValuer
from mats.services.accounting.views import FUND_SUMMARY, PNL_VIEWS, SENDER_VIEWS, ReadModels
from mats.services.dead_letters import counts as dead_letter_counts
from mats.settings.accounting import AccountingSettings

log = logging.getLogger(__name__)

FUND = "fund"
HEALTH = "health"
TOPICS = "health_topics"
STALE_ACCOUNT_SECONDS = 3600
PNL_GROUPS = ("fund", "account", "strategy", "sender")


@dataclass(frozen=True)
class AccountUpdate:
    """An account's state and the broker's mark of each position, from ``account-updates``."""

    message_id: str
    state: AccountState
    marks: tuple[tuple[str, object], ...]


class AccountingService:
    def __init__(
        self,
        *,
        ledger: LedgerStore,
        records: RecordStore,
        orders: ExecutionStore,
        signals: SignalStore,
        alerts: AlertStore,
        portfolio: PortfolioStore,
        clock: Clock,
        settings: AccountingSettings,
    ) -> None:
        self._ledger = ledger
        self._records = records
        self._orders = orders
        self._signals = signals
        self._alerts = alerts
        self._portfolio = portfolio
        self._clock = clock
        self.settings = settings

    # The fund's settings -------------------------------------------------------------------

    def fund_settings(self) -> FundSettings:
        stored = self._records.get(FUND, "settings", FundSettings)
        return stored or FundSettings(self.settings.base_currency, self._clock.now(), "default")

    @cached_property
    def base_currency(self) -> str:
        return self.fund_settings().base_currency

    def set_base_currency(self, currency: str, *, by: str) -> FundSettings:
        code = validate_currency(currency.strip().upper(), "base_currency")
        if code != self.base_currency and (
            self.investors.latest_strike() is not None or self._ledger.ledgers()
        ):
            raise ValidationError(
                "base_currency",
                f"the fund already keeps its books in {self.base_currency}: the base currency "
                "can change only before the first fill or NAV strike",
            )
        stored = FundSettings(code, self._clock.now(), by)
        self._records.put(FUND, "settings", stored)
        self.__dict__.pop("base_currency", None)
        for name in ("valuer", "booking", "payouts", "views", "investors", "quality", "snapshots"):
            self.__dict__.pop(name, None)
        return stored

    # Components (built on first use, in the fund's base currency) ---------------------------

    @cached_property
    def valuer(self) -> FundValuer:
        return FundValuer(self._ledger, self._records, self.base_currency, self.settings.fx_max_age)

    @cached_property
    def booking(self) -> LedgerBooking:
        return LedgerBooking(self._ledger, self.base_currency, self.settings.fx_max_age)

    @cached_property
    def payouts(self) -> PayoutBook:
        return PayoutBook(self._records, self._clock, self.settings.payout_terms)

    @cached_property
    def views(self) -> ReadModels:
        return ReadModels(
            valuer=self.valuer,
            ledger=self._ledger,
            records=self._records,
            payouts=self.payouts,
            settings=self.settings,
        )

    @cached_property
    def investors(self) -> InvestorBook:
        return InvestorBook(
            records=self._records,
            valuer=self.valuer,
            payouts=self.payouts,
            clock=self._clock,
            strike_time=self.settings.nav_strike_at,
        )

    @cached_property
    def quality(self) -> ExecutionQuality:
        return ExecutionQuality(
            records=self._records,
            ledger=self._ledger,
            orders=self._orders,
            signals=self._signals,
            base_currency=self.base_currency,
            window=self.settings.shortfall_window,
        )

    @cached_property
    def snapshots(self) -> Snapshots:
        return Snapshots(self._records, self.valuer)

    # Messages ------------------------------------------------------------------------------

    def on_fill(self, fill: Fill, *, message_id: str, refresh: bool = True) -> bool:
        """Book a live fill, measure its order, refresh the read models; ``False``: nothing new.

        ``refresh=False`` keeps the facts and leaves the read models to the caller's next
        refresh (a backfill of past days refreshes once a day, at its strike).
        """
        self._seen("fills", message_id)
        key = self.booking.book(fill)
        if key is None:
            return False
        self.quality.record(fill, self._ledger.sender_of(fill.signal_id))
        if refresh:
            self.views.refresh(self._clock.now(), late_fact_at=fill.executed_at)
        return True

    def on_account(self, update: AccountUpdate, *, refresh: bool = True) -> bool:
        """Keep an account update (an older one never replaces a newer) and refresh
        (``refresh=False``: as for :meth:`on_fill`)."""
        self._seen("account-updates", update.message_id)
        marks = [(symbol, price) for symbol, price in update.marks]
        if not self._ledger.record_account(update.state, marks):  # type: ignore[arg-type]
            return False
        if refresh:
            self.views.refresh(self._clock.now(), late_fact_at=update.state.updated_at)
        return True

    def _seen(self, topic: str, message_id: str) -> None:
        self._records.put(TOPICS, topic, TopicMark(topic, message_id, self._clock.now()))

    # Scheduled work ------------------------------------------------------------------------

    def snapshot(self, at: datetime | None = None) -> tuple[Snapshot, bool]:
        moment = at or self._clock.now()
        if moment > self._clock.now():
            raise ValidationError("at", f"{moment:%Y-%m-%d %H:%M} UTC is in the future")
        taken = self.snapshots.take(moment)
        if at is None:
            self.views.refresh(moment)
            self.refresh_health()
        return taken

    def strike(self, on: date | None = None) -> tuple[StrikeRecord, bool]:
        """Strike the NAV per unit now (or at ``MATS_NAV_STRIKE_AT`` on ``on``) and deal."""
        at = self.investors.strike_at(on)
        valuation = self.valuer.value(at)
        states = self.payouts.states(list(valuation.senders), at=at)
        fees = self.views.fees_owed(valuation, states)
        record, new = self.investors.strike(at, fees_owed=fees, valuation=valuation)
        if new:
            self.payouts.total_paid()  # Self-healing: recomputed from the payouts every day.
            self.views.refresh(max(self._clock.now(), at))
        return record, new

    def crystallise(self, month: str) -> list[Payout]:
        """Crystallise every sender's fee for ``month`` at its last NAV strike, once."""
        first = parse_month(month)
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        if following > self._clock.now().date():
            raise ValidationError("month", f"{month} has not ended: its last strike may be ahead")
        strike = self.investors.last_strike_of(month)
        if strike is None:
            raise ValidationError(
                "month", f"no NAV strike in {month}: strike first (`mats nav strike --at DATE`)"
            )
        payouts = self.payouts.crystallise_month(
            month, at=strike.at, cumulative=strike.sender_totals
        )
        self.views.refresh(self._clock.now())
        return payouts

    def refresh(self) -> FundSummary:
        return self.views.refresh(self._clock.now())

    def refresh_health(self) -> HealthView:
        """Recompute the health view: topics, alerts, runs, accounts, bridge, dead letters."""
        now = self._clock.now()
        topics = tuple(sorted(self._records.list(TOPICS, TopicMark), key=lambda mark: mark.topic))
        outstanding = self._alerts.list_alerts(limit=500, outstanding=True)
        runs = self._portfolio.list_runs(limit=1)
        latest_snapshot = self.snapshots.list(limit=1)
        strike = self.investors.latest_strike()
        accounts = self._ledger.latest_accounts()
        view = HealthView(
            topics=topics,
            open_alerts=len(outstanding),
            critical_alerts=sum(1 for a in outstanding if a.severity is AlertSeverity.CRITICAL),
            last_nightly_run=runs[0].run_id if runs else None,
            last_nightly_status=str(runs[0].status) if runs else None,
            last_nightly_at=runs[0].created_at if runs else None,
            last_snapshot_at=latest_snapshot[0].at if latest_snapshot else None,
            last_strike=strike.strike_id if strike else None,
            stale_accounts=tuple(
                a.account
                for a in accounts
                if (now - a.updated_at).total_seconds() > STALE_ACCOUNT_SECONDS
            ),
            as_of=now,
            bridge=self._records.get("bridge_health", "current", BridgeHealth),
            dead_letters=tuple(dead_letter_counts(self._records)),
        )
        self._records.put(HEALTH, "current", view)
        return view

    # Reads (each one document, or one bounded page) ----------------------------------------

    def summary(self) -> FundSummary | None:
        return self._records.get(FUND_SUMMARY, "current", FundSummary)

    def pnl(self, group: str) -> list[PnlView]:
        """The P&L views of one group: ``fund``, ``account``, ``strategy`` or ``sender``."""
        if group not in PNL_GROUPS:
            raise ValidationError("by", f"must be one of {', '.join(PNL_GROUPS)}; got {group!r}")
        found = self._records.list(PNL_VIEWS, PnlView, filters=[("group", "==", group)])
        return sorted(found, key=lambda view: view.name)

    def signal_pnl(
        self,
        *,
        sender_id: str | None = None,
        strategy_id: str | None = None,
        limit: int = 50,
        after: str | None = None,
    ) -> tuple[list[SignalPnl], str | None]:
        """A page of signals with their P&L, newest change first, and the next page's cursor."""
        return self._ledger.signal_pnls_of(
            sender_id=sender_id, strategy_id=strategy_id, limit=limit, after=after
        )

    def sender_view(self, sender_id: str) -> SenderView | None:
        return self._records.get(SENDER_VIEWS, sender_id, SenderView)

    def client_views(self) -> list[ClientView]:
        return sorted(self._records.list(CLIENT_VIEWS, ClientView), key=lambda v: v.client_id)

    def client_view(self, client_id: str) -> ClientView | None:
        self.investors.client(client_id)  # An unknown client is an error naming the known ones.
        return self._records.get(CLIENT_VIEWS, client_id, ClientView)

    def returns(self) -> ReturnsView | None:
        return self._records.get(FUND_RETURNS, "current", ReturnsView)

    def returns_of(self, year: int) -> ReturnsView | None:
        """The fund's returns with every month of ``year`` (one page a year)."""
        return self._records.get(RETURN_YEARS, str(year), ReturnsView)

    def nav_month(self, month: str) -> NavHistory | None:
        """One month's page of NAV per unit, a point per strike."""
        return self._records.get(NAV_HISTORY, month, NavHistory)

    def nav_history(self, year: int) -> NavHistory:
        """A year of NAV per unit: its twelve month pages, read in one round."""
        months = [f"{year:04d}-{number:02d}" for number in range(1, 13)]
        pages = self._records.get_many(NAV_HISTORY, months, NavHistory)
        return NavHistory(str(year), tuple(point for page in pages for point in page.points))

    def health(self) -> HealthView | None:
        return self._records.get(HEALTH, "current", HealthView)
