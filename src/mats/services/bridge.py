"""The execution bridge's runtime: order intake, venue events and the background jobs.

The bridge is a singleton (one Cloud Run instance, CPU always allocated). ``Bridge`` owns:

- intake: ``handle_order`` for each pushed ``mats.order.v1``;
- venue events: a venue's callbacks (IB's order status, commissions, refusals) only queue the
  order's reference; one worker thread books them, so no callback ever waits on its own venue;
- after every (re)connect of a venue: book its executions, refresh its orders, reconcile its
  accounts and publish them, all before the venue takes new orders;
- a background loop: poll working orders and due exit retries (every ``poll``), publish
  accounts and check for long outages (every ``accounts``), reconcile (every ``reconcile``),
  write fresh quotes for Cerebro and the exchanges' FX rates (every ``quotes``), and send alerts
  that are due: never sent, or CRITICAL and unacknowledged (every ``alerts``; the bridge is the
  one always-on process).

A job that fails is logged and tried again on its next turn; the loop never dies of it.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from mats.domain.execution.records import OrderRecord
from mats.domain.orders import Order
from mats.domain.venues import BridgeHealth, VenueHealth
from mats.errors import MatsError
from mats.ports import (
    AccountStore,
    BridgeHealthStore,
    Broker,
    Clock,
    ExecutionStore,
    FxFeed,
    MarketDataStore,
    PositionStore,
    Publisher,
    QuoteFeed,
)
from mats.services.alerts import AlertService
from mats.services.execution.accounts import AccountPublisher
from mats.services.execution.booking import FillBooking
from mats.services.execution.fx import FxKeeping, FxRecorder
from mats.services.execution.messages import MessageOut
from mats.services.execution.router import ExecutionSettings, VenueRouter
from mats.services.execution.submission import OrderSubmission
from mats.services.execution.venues import VenueWatch
from mats.services.reconciliation import AccountReconciliation, ReconciliationService

log = logging.getLogger(__name__)


class Session(Protocol):
    """A venue connection the bridge starts and stops (IB's session)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class BridgeSettings:
    poll_seconds: float = 1.0
    account_seconds: float = 30.0
    reconcile_seconds: float = 300.0
    quote_seconds: float = 5.0
    alert_seconds: float = 15.0
    recover_lookback: timedelta = timedelta(days=1)


@dataclass
class _Job:
    name: str
    every: float
    run: Callable[[], object]
    due_at: float = 0.0
    last_ok: datetime | None = None
    last_error: str | None = None


class Bridge:
    def __init__(
        self,
        *,
        submission: OrderSubmission,
        booking: FillBooking,
        accounts: AccountPublisher,
        venues: VenueWatch,
        reconciliation: ReconciliationService,
        router: VenueRouter,
        market: MarketDataStore,
        alerts: AlertService,
        feeds: Mapping[str, QuoteFeed],
        clock: Clock,
        fx: FxRecorder,
        fx_feeds: Mapping[str, FxFeed] | None = None,
        sessions: Sequence[Session] = (),
        settings: BridgeSettings | None = None,
        health: BridgeHealthStore | None = None,
    ) -> None:
        self.submission = submission
        self.booking = booking
        self.accounts = accounts
        self.venues = venues
        self._reconciliation = reconciliation
        self._router = router
        self._market = market
        self._feeds = dict(feeds)
        self._fx = fx
        self._fx_feeds = dict(fx_feeds or {})
        self._sessions = list(sessions)
        self._health = health
        self._clock = clock
        self.settings = settings or BridgeSettings()
        self._events: queue.Queue[str | None] = queue.Queue()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._started_at: datetime | None = None
        self._last_reconciliation: list[AccountReconciliation] = []
        settings = self.settings
        self._jobs = [
            _Job("poll", settings.poll_seconds, self.poll_orders),
            _Job("accounts", settings.account_seconds, self._account_job),
            _Job("reconcile", settings.reconcile_seconds, self.reconcile),
            _Job("quotes", settings.quote_seconds, self.refresh_quotes),
            _Job("fx", settings.quote_seconds, self.refresh_fx),
            _Job("alerts", settings.alert_seconds, alerts.sweep),
            _Job("health", settings.alert_seconds, self.report_health),
        ]

    # Lifecycle

    def start(self) -> None:
        self._started_at = self._clock.now()
        for session in self._sessions:
            session.start()
        for name, target in (("bridge-events", self._event_worker), ("bridge-jobs", self._loop)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self._events.put(None)
        for thread in self._threads:
            thread.join(timeout=10)
        for session in self._sessions:
            session.stop()

    # Intake and venue callbacks

    def handle_order(self, order: Order) -> OrderRecord:
        return self.submission.handle_order(order)

    def cancel(self, order_id: str, *, by: str) -> OrderRecord:
        """An operator's cancel: at the venue if it is working there, and no more retries."""
        return self.submission.cancel(order_id, by=by)

    def venue_event(self, venue_reference: str) -> None:
        """A venue callback: queue the reference; the worker looks it up (never inline)."""
        self._events.put(venue_reference)

    def venue_connected(self, venue_name: str) -> None:
        """Run before a (re)connected venue takes orders: recover, reconcile, publish accounts.

        Raises if it cannot finish, so the venue stays paused and reconnects.
        """
        since = self._clock.now() - self.settings.recover_lookback
        with self.submission.exclusive():
            booked = self.submission.recover(venue_name, since)
            accounts = [a for a, v in sorted(self._router.accounts.items()) if v == venue_name]
            reports = [r for a in accounts for r in self._reconciliation.reconcile(a)]
        self._remember(reports)
        self.accounts.publish()
        log.info(
            "venue ready",
            extra={"venue": venue_name, "fills_recovered": booked, "accounts": len(accounts)},
        )

    # Jobs (also on demand)

    def reconcile(self, account: str | None = None) -> list[AccountReconciliation]:
        since = self._clock.now() - self.settings.recover_lookback
        with self.submission.exclusive():
            for name, venue in sorted(self._router.live.items()):
                if venue.status().connected:
                    self.submission.recover(name, since)
            reports = self._reconciliation.reconcile(account)
        self._remember(reports)
        return reports

    def refresh_quotes(self) -> int:
        """Write a fresh quote for every instrument a connected venue can price."""
        written = 0
        for instrument in self._market.list_instruments():
            for name, feed in self._feeds.items():
                venue = self._router.live.get(name)
                if venue is None or not venue.status().connected or not feed.serves(instrument):
                    continue
                quote = feed.quote(instrument)
                if quote is not None:
                    self._market.put_quote(quote)
                    written += 1
                break
        return written

    def refresh_fx(self) -> int:
        """Keep the rates of every connected FX feed's pairs (``MATS_CCXT_FX_PAIRS``), when due."""
        kept = 0
        for name, feed in sorted(self._fx_feeds.items()):
            venue = self._router.live.get(name)
            if venue is None or not venue.status().connected:
                continue
            kept += sum(self._fx.record(rate) for rate in feed.fx_rates())
        return kept

    # Status

    def ready(self) -> tuple[bool, list[str]]:
        """Ready when every live venue is connected and taking orders."""
        problems = [
            f"{name}: {status.reason or 'not taking orders'}"
            for name, venue in sorted(self._router.live.items())
            if not (status := venue.status()).accepting_orders
        ]
        return not problems, problems

    def status(self) -> dict[str, Any]:
        ready, problems = self.ready()
        return {
            "ready": ready,
            "problems": problems,
            "started_at": self._started_at,
            "venues": {name: _venue_status(venue) for name, venue in self._all_venues().items()},
            "accounts": dict(sorted(self._router.accounts.items())),
            "jobs": {
                job.name: {
                    "every_seconds": job.every,
                    "last_ok": job.last_ok,
                    "last_error": job.last_error,
                }
                for job in self._jobs
            },
            "pending_events": self._events.qsize(),
            "last_reconciliation": self._last_reconciliation,
        }

    def report_health(self) -> None:
        """Keep the session's state for the dashboard's health view."""
        if self._health is None:
            return
        ready, problems = self.ready()
        venues = []
        for name, venue in sorted(self._router.live.items()):
            status = venue.status()
            venues.append(
                VenueHealth(
                    name,
                    status.connected,
                    status.accepting_orders,
                    status.reason,
                    status.disconnected_since,
                )
            )
        self._health.put_bridge_health(
            BridgeHealth(ready, tuple(problems), tuple(venues), self._clock.now(), self._started_at)
        )

    # Internals

    def poll_orders(self) -> None:
        """Follow working orders at their venues, then publish the accounts fills changed."""
        self.submission.poll()
        changed = self.booking.take_changed_accounts()
        if changed:
            self.accounts.publish(changed)  # An account changes with every fill.

    def _account_job(self) -> None:
        self.venues.check()
        self.accounts.publish()

    def _remember(self, reports: Sequence[AccountReconciliation]) -> None:
        if reports:
            by_account = {r.account: r for r in self._last_reconciliation}
            by_account.update({r.account: r for r in reports})
            self._last_reconciliation = [by_account[a] for a in sorted(by_account)]

    def _all_venues(self) -> dict[str, Broker]:
        return {"PAPER": self._router.paper, **self._router.live}

    def _event_worker(self) -> None:
        while True:
            reference = self._events.get()
            if reference is None:
                return
            try:
                self.submission.on_venue_event(reference)
            except MatsError as error:
                log.warning(
                    "venue event not processed; polling will catch up",
                    extra={"reference": reference, "error": str(error)},
                )
            except Exception:
                log.exception("venue event failed", extra={"reference": reference})

    def _loop(self) -> None:
        while not self._stop.wait(min(job.every for job in self._jobs) / 2):
            now = time.monotonic()
            for job in self._jobs:
                if now < job.due_at:
                    continue
                job.due_at = now + job.every
                try:
                    job.run()
                except Exception as error:  # The loop outlives any one job's failure.
                    job.last_error = f"{type(error).__name__}: {error}"
                    log.exception("bridge job failed", extra={"job": job.name})
                else:
                    job.last_ok, job.last_error = self._clock.now(), None


def _venue_status(venue: Broker) -> dict[str, Any]:
    status = venue.status()
    return {
        "connected": status.connected,
        "accepting_orders": status.accepting_orders,
        "reason": status.reason,
        "disconnected_since": status.disconnected_since,
        **status.details,
    }


def assemble_bridge(
    *,
    store: ExecutionStore,
    router: VenueRouter,
    publisher: Publisher,
    alerts: AlertService,
    accounts: AccountStore,
    positions: PositionStore,
    market: MarketDataStore,
    clock: Clock,
    feeds: Mapping[str, QuoteFeed] | None = None,
    fx_feeds: Mapping[str, FxFeed] | None = None,
    sessions: Sequence[Session] = (),
    execution: ExecutionSettings | None = None,
    runtime: BridgeSettings | None = None,
    reconcile_tolerance: Decimal = Decimal(0),
    fx_keeping: FxKeeping | None = None,
    health: BridgeHealthStore | None = None,
) -> Bridge:
    """The bridge and its jobs over the given ports (the composition root passes adapters).

    ``feeds`` price instruments and ``fx_feeds`` currencies, each under its venue's name; the
    FX rates of accounts and feeds are kept through ``market`` as ``fx_keeping`` says.
    """
    execution = execution or ExecutionSettings()
    out = MessageOut(publisher, execution.publish_timeout_seconds)
    booking = FillBooking(store=store, out=out, clock=clock)
    fx = FxRecorder(market, fx_keeping)
    return Bridge(
        submission=OrderSubmission(
            store=store,
            router=router,
            booking=booking,
            alerts=alerts,
            clock=clock,
            settings=execution,
        ),
        booking=booking,
        accounts=AccountPublisher(
            router=router,
            accounts=accounts,
            out=out,
            alerts=alerts,
            clock=clock,
            fx=fx,
            margin_warning=execution.margin_warning,
            margin_limit=execution.margin_limit,
        ),
        venues=VenueWatch(
            router=router,
            alerts=alerts,
            clock=clock,
            outage_alert_after=execution.outage_alert_after,
        ),
        reconciliation=ReconciliationService(
            venues=router.live,
            accounts=router.accounts,
            positions=positions,
            market=market,
            alerts=alerts,
            clock=clock,
            tolerance=reconcile_tolerance,
        ),
        router=router,
        market=market,
        alerts=alerts,
        feeds=feeds or {},
        fx=fx,
        fx_feeds=fx_feeds,
        sessions=sessions,
        clock=clock,
        settings=runtime,
        health=health,
    )
