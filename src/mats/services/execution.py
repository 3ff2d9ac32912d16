"""Execute orders at their venue, book every fill once, and keep the ledger true to the broker.

One ``ExecutionService`` runs in the bridge (a singleton); its lock makes it the single writer of
orders, fills and positions. For each order it claims the submission with a create, sends the
order under a venue reference made of its MATS id, and from then on only asks the venue about
it by that reference. Before anything is sent again (a redelivery, a crash, a retry) every
earlier reference is looked up first, so an order that reached the venue is never sent twice.

Every venue execution is recorded once by execution id, applied to the strategy's position in
the same batch, and published as ``mats.fill.v1``; sweeps finish whatever a crash interrupted.
Exits are privileged: a failed exit is retried with backoff for what is left until it fills or
an operator cancels it, and every failure raises a critical alert. Entries are sent while they
are fresh, or refused.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from mats.contracts import AccountPositionV1, AccountUpdateV1, FillV1, encode, to_message
from mats.domain.accounting import AccountState, LedgerFill, apply_fill
from mats.domain.alerts import Alert, AlertSeverity
from mats.domain.execution import OrderRecord, OrderState, Transition, advance, new_record
from mats.domain.orders import Fill, Order
from mats.domain.reconciliation import PAPER_SOURCE
from mats.domain.trading import OrderAction, OrderPurpose, OrderType, Side, TimeInForce, TradingMode
from mats.domain.venues import OrderRejectedError, VenueFill, VenueOrderReport
from mats.errors import NotFoundError, PermanentError, TemporaryError
from mats.ports import AccountStore, Broker, Clock, ExecutionStore, Publisher
from mats.services.alerts import AlertService

log = logging.getLogger(__name__)

ATTEMPT_MARK = "~"
PAPER = "PAPER"


class VenueUnavailableError(TemporaryError):
    """The venue is not taking orders now; nothing was sent (Pub/Sub will deliver again)."""


@dataclass(frozen=True)
class ExecutionSettings:
    claim_lease: timedelta = timedelta(seconds=60)
    entry_max_age: timedelta = timedelta(minutes=5)
    exit_retry_min: timedelta = timedelta(seconds=2)
    exit_retry_max: timedelta = timedelta(minutes=5)
    margin_warning: Decimal = Decimal("0.35")
    margin_limit: Decimal = Decimal("0.40")
    outage_alert_after: timedelta = timedelta(seconds=60)
    publish_timeout_seconds: float = 5.0


class VenueRouter:
    """Which venue executes an order: PAPER mode always the paper venue, else by broker name."""

    def __init__(
        self, paper: Broker, live: Mapping[str, Broker], accounts: Mapping[str, str]
    ) -> None:
        self.paper = paper
        self.live = dict(live)
        self.accounts = dict(accounts)  # MATS account -> live venue name

    def for_order(self, order: Order) -> tuple[str, Broker]:
        if order.trading_mode is TradingMode.PAPER:
            return PAPER, self.paper
        venue = self.live.get(order.broker)
        if venue is None:
            raise PermanentError(f"no venue is configured for broker {order.broker!r}")
        if self.accounts.get(order.account) != order.broker:
            raise PermanentError(
                f"account {order.account} is not traded at {order.broker} by this bridge "
                "(MATS_IB_ACCOUNTS / MATS_CCXT_VENUES)"
            )
        return order.broker, venue

    def named(self, name: str) -> Broker | None:
        return self.paper if name == PAPER else self.live.get(name)


def base_order_id(venue_reference: str) -> str:
    """The MATS order id behind a venue reference (a retry attempt adds ``~n``)."""
    return venue_reference.split(ATTEMPT_MARK, 1)[0]


def attempt_reference(order_id: str, attempt: int) -> str:
    return order_id if attempt <= 1 else f"{order_id}{ATTEMPT_MARK}{attempt}"


class ExecutionService:
    def __init__(
        self,
        *,
        store: ExecutionStore,
        router: VenueRouter,
        publisher: Publisher,
        alerts: AlertService,
        accounts: AccountStore,
        clock: Clock,
        settings: ExecutionSettings | None = None,
    ) -> None:
        self._store = store
        self._router = router
        self._publisher = publisher
        self._alerts = alerts
        self._accounts = accounts
        self._clock = clock
        self._settings = settings or ExecutionSettings()
        self._lock = threading.RLock()
        self._raised: set[str] = set()
        self._changed_accounts: set[str] = set()  # Live accounts with fills not yet published.

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the single-writer lock (reconciliation runs under it, between fills)."""
        with self._lock:
            yield

    # Orders in

    def handle_order(self, order: Order) -> OrderRecord:
        """Take one order from ``orders`` (any number of times): claim, look up or send, book.

        Raises ``TemporaryError`` when the order could not be placed yet and must come again.
        """
        with self._lock:
            record = self._current(order)
            if record.state.ended or record.next_retry_at is not None:
                return record
            if order.action is OrderAction.CANCEL_OPEN:
                return self._cancel_open(record)
            try:
                venue_name, venue = self._router.for_order(order)
            except PermanentError as error:
                return self._failed(record, str(error))
            too_late = self._too_late(record)
            if too_late is not None:
                return self._refuse(record, too_late)
            now = self._clock.now()
            claimed = self._store.claim_submission(order.id, now)
            if claimed is not None:
                found = self._find(record, venue, venue_name)
                if found is not None:
                    return found
                if now - claimed < self._settings.claim_lease:
                    raise TemporaryError(f"order {order.id} is being sent by another delivery")
                log.warning("claimed order is not at the venue; sending", extra={"id": order.id})
            status = venue.status()
            if status.accepting_orders:
                return self._submit(record, venue, venue_name)
            reason = f"{venue_name} is not taking orders ({status.reason})"
            if order.purpose is OrderPurpose.EXIT:
                return self._failed(record, reason)
            self._store.release_claim(order.id)
            raise VenueUnavailableError(reason)

    def _current(self, order: Order) -> OrderRecord:
        """The order's record (created if Cerebro's is missing), its bracket legs placed."""
        record = self._store.order(order.id)
        if record is None:
            record = new_record(order, self._clock.now())
            self._store.put_order(record)
        venue = self._router.named(record.venue) if record.venue else None
        separate_legs = venue is not None and not venue.native_brackets
        if record.state is OrderState.FILLED and separate_legs and venue and record.venue:
            self._place_legs(record, venue, record.venue)  # A crash may have come in between.
        return record

    def _too_late(self, record: OrderRecord) -> str | None:
        """Why a fresh entry is too old to send now (exits are never too late)."""
        order = record.order
        if record.attempts or order.purpose is not OrderPurpose.ENTRY:
            return None
        age = self._clock.now() - order.created_at
        if age <= self._settings.entry_max_age:
            return None
        return f"the entry is {age.total_seconds():.0f} s old; too late to send"

    def on_venue_event(self, venue_reference: str) -> None:
        """Refresh an order the venue just told us about (fill, status change, refusal)."""
        with self._lock:
            record = self._store.order(base_order_id(venue_reference))
            if record is None or record.venue is None:
                return
            venue = self._router.named(record.venue)
            if venue is None:
                return
            report = venue.lookup(venue_reference, symbol=record.order.symbol)
            if report is not None:
                self._after_report(record, report, venue, record.venue)

    def cancel(self, order_id: str, *, by: str) -> OrderRecord:
        """An operator's cancel: at the venue if it is working there, and no more retries."""
        with self._lock:
            record = self._store.order(order_id)
            if record is None:
                raise NotFoundError(f"order {order_id!r} does not exist")
            if record.state.ended:
                return record
            venue = self._router.named(record.venue) if record.venue else None
            if venue is not None and record.venue_reference is not None:
                report = venue.cancel(record.venue_reference, symbol=record.order.symbol)
                if report is not None:
                    record = self._apply(record, report, record.venue or "", cancelling=True)
            if record.state.ended:
                return record
            return self._move(
                record, OrderState.CANCELLED, f"cancelled by {by}", next_retry_at=None
            )

    # The background loop's jobs

    def poll(self) -> int:
        """Ask the venues about every working order, retry exits that are due, finish sweeps."""
        with self._lock:
            now = self._clock.now()
            active = self._store.active_orders()
            for record in active:
                try:
                    self._poll_one(record, now)
                except TemporaryError as error:
                    log.info(
                        "venue unavailable while polling",
                        extra={"order_id": record.order_id, "error": str(error)},
                    )
            self._sweep_fills()
            changed, self._changed_accounts = self._changed_accounts, set()
        if changed:
            self.publish_accounts(changed)  # An account changes with every fill.
        return len(active)

    def recover(self, venue_name: str, since: datetime) -> int:
        """After a (re)connect: book every execution the venue reports; return how many were new."""
        with self._lock:
            venue = self._router.named(venue_name)
            if venue is None:
                return 0
            booked = 0
            for fill in venue.executions(since):
                record = self._store.order(base_order_id(fill.order_id))
                if record is not None and self._book_fill(record.order, fill, venue_name):
                    booked += 1
            now = self._clock.now()
            for record in self._store.active_orders():
                if record.venue == venue_name:
                    self._poll_one(record, now)
            self._sweep_fills()
            if booked:
                log.warning(
                    "fills recovered after reconnecting",
                    extra={"venue": venue_name, "fills": booked},
                )
            return booked

    def publish_accounts(self, accounts: Collection[str] | None = None) -> list[AccountState]:
        """Fetch, store and publish live accounts (all, or those given); warn near margin limits."""
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
            self._publish(
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
            self._check_margin(state)
            states.append(state)
        return states

    def check_venues(self) -> None:
        """Raise a critical alert, once per outage, for a live venue down longer than allowed."""
        now = self._clock.now()
        for name, venue in sorted(self._router.live.items()):
            status = venue.status()
            outage = f"VENUE_DOWN:{name}"
            since = status.disconnected_since
            if status.connected or since is None:
                self._raised.discard(outage)
                continue
            down_for = now - since
            if down_for >= self._settings.outage_alert_after and outage not in self._raised:
                self._raised.add(outage)
                self._alert(
                    f"venue-{name}-{since:%Y%m%dT%H%M%S}",
                    "BROKER_DISCONNECTED",
                    AlertSeverity.CRITICAL,
                    f"{name} has been disconnected for {down_for.total_seconds():.0f} s "
                    f"({status.reason or 'no reason given'}); orders are held until it is back",
                )

    # Sending

    def _submit(self, record: OrderRecord, venue: Broker, venue_name: str) -> OrderRecord:
        """Send the next attempt (whatever is left of the order) after checking earlier ones."""
        found = self._find(record, venue, venue_name)
        if found is not None:
            return found
        attempt = record.attempts + 1
        reference = attempt_reference(record.order_id, attempt)
        record = dataclasses.replace(
            record,
            attempts=attempt,
            venue=venue_name,
            venue_reference=reference,
            next_retry_at=None,
            prior_filled=record.filled_quantity,
        )
        record = self._move(
            record, OrderState.SUBMITTED, f"attempt {attempt} sent to {venue_name} as {reference}"
        )
        order = dataclasses.replace(record.order, id=reference, quantity=record.remaining)
        try:
            report = venue.place(order)
        except OrderRejectedError as error:
            return self._failed(record, error.reason)
        except TemporaryError as error:
            if record.order.purpose is OrderPurpose.EXIT:
                return self._failed(record, str(error))
            raise  # The claim stays: the next delivery looks the order up before sending.
        if venue.native_brackets:
            self._record_native_legs(record, venue_name)
        return self._after_report(record, report, venue, venue_name)

    def _find(self, record: OrderRecord, venue: Broker, venue_name: str) -> OrderRecord | None:
        """The order as the venue has it under an earlier attempt, if that settles it.

        An attempt still working, or one that filled the order, settles it; so does an entry's
        attempt that ended (refused, cancelled): entries are never sent twice. An exit's ended
        attempt only has its fills booked, and what is left is sent again.
        """
        for attempt in range(record.attempts, 0, -1):
            reference = attempt_reference(record.order_id, attempt)
            report = venue.lookup(reference, symbol=record.order.symbol)
            if report is None:
                continue
            for fill in report.fills:
                self._book_fill(record.order, fill, venue_name)
            settles = not report.state.ended or report.state is OrderState.FILLED
            if not settles and record.order.purpose is OrderPurpose.EXIT:
                continue
            if reference != record.venue_reference:
                record = dataclasses.replace(record, venue_reference=reference)
                self._store.put_order(record)
            return self._after_report(record, report, venue, venue_name)
        return None

    def _poll_one(self, record: OrderRecord, now: datetime) -> None:
        if record.next_retry_at is not None:
            if now >= record.next_retry_at:
                self._retry(record)
            return
        venue = self._router.named(record.venue) if record.venue else None
        if venue is None or record.venue is None or record.venue_reference is None:
            return
        report = venue.lookup(record.venue_reference, symbol=record.order.symbol)
        if report is not None:
            self._after_report(record, report, venue, record.venue)

    def _retry(self, record: OrderRecord) -> None:
        """Send a failed exit again (what is left of it), or note why it cannot go yet."""
        try:
            venue_name, venue = self._router.for_order(record.order)
        except PermanentError as error:
            self._failed(record, str(error))
            return
        status = venue.status()
        if status.accepting_orders:
            self._submit(record, venue, venue_name)
        else:
            self._failed(record, f"{venue_name} is not taking orders ({status.reason})")

    def _after_report(
        self, record: OrderRecord, report: VenueOrderReport, venue: Broker, venue_name: str
    ) -> OrderRecord:
        updated = self._apply(record, report, venue_name)
        if updated.state is OrderState.FILLED and not venue.native_brackets:
            self._place_legs(updated, venue, venue_name)
        return updated

    def _apply(
        self,
        record: OrderRecord,
        report: VenueOrderReport,
        venue_name: str,
        *,
        cancelling: bool = False,
    ) -> OrderRecord:
        """Book the report's new fills and move the order forward (never backwards)."""
        for fill in report.fills:
            self._book_fill(record.order, fill, venue_name)
        if record.venue_reference not in (None, report.order_id):
            return record  # A report about an attempt that is no longer the current one.
        filled = record.prior_filled + report.filled_quantity
        state = advance(
            record.state,
            _total_state(report.state, filled, record.order.quantity),
            filled_before=record.filled_quantity,
            filled_now=filled,
        )
        if state is None and filled == record.filled_quantity:
            return record
        updated = dataclasses.replace(
            record,
            filled_quantity=filled,
            average_price=_average(record, report) or record.average_price,
            venue_order_id=report.venue_order_id or record.venue_order_id,
        )
        # Refused, or cancelled by the venue itself (an IOC it could not fill, a margin call).
        refused = state is OrderState.REJECTED or (
            state is OrderState.CANCELLED and record.order.purpose is OrderPurpose.EXIT
        )
        if refused and not cancelling:
            if record.next_retry_at is not None:
                return record  # This attempt's failure is already handled; a retry is due.
            return self._failed(updated, report.reason or str(state).lower())
        if state is None:
            self._store.put_order(updated)
            return updated
        moved = self._move(updated, state, report.reason)
        if state is OrderState.FILLED:
            self._cancel_siblings(moved)
        return moved

    # Fills and the ledger

    def _book_fill(self, order: Order, venue_fill: VenueFill, venue_name: str) -> bool:
        """Record one execution and apply it to the ledger, once; ``True`` if it was new."""
        fill = Fill(
            id=venue_fill.execution_id,
            created_at=self._clock.now(),
            order_id=order.id,
            signal_id=order.signal_id,
            strategy_id=order.strategy_id,
            account=order.account,
            broker=venue_name,
            trading_mode=order.trading_mode,
            symbol=order.symbol,
            side=venue_fill.side,
            quantity=venue_fill.quantity,
            price=venue_fill.price,
            commission=venue_fill.commission,
            currency=order.currency,
            executed_at=venue_fill.at,
            purpose=order.purpose,
            multiplier=order.multiplier,
            commission_currency=(
                venue_fill.commission_currency
                if venue_fill.commission_currency not in (None, order.currency)
                else None
            ),
        )
        if not self._store.record_fill(fill):
            return False
        self._apply_to_ledger(fill)
        self._publish_fill(fill)
        if order.trading_mode is TradingMode.LIVE:
            self._changed_accounts.add(order.account)
        return True

    def _apply_to_ledger(self, fill: Fill) -> None:
        position = self._store.position(fill.account, fill.strategy_id, fill.symbol)
        updated = apply_fill(
            position,
            LedgerFill(
                execution_id=fill.id,
                side=fill.side,
                quantity=fill.quantity,
                price=fill.price,
                at=fill.executed_at,
                # A commission charged in another currency (BNB, the bought coin) is not in
                # the instrument's money; the venue's balances carry it, and reconciliation.
                commission=fill.commission if fill.commission_currency is None else Decimal(0),
                multiplier=fill.multiplier,
                currency=fill.currency,
            ),
            account=fill.account,
            strategy_id=fill.strategy_id,
            symbol=fill.symbol,
            source=PAPER_SOURCE if fill.trading_mode is TradingMode.PAPER else "fills",
        )
        self._store.apply_fill(fill, updated)
        log.info(
            "fill booked",
            extra={
                "execution_id": fill.id,
                "order_id": fill.order_id,
                "position": str(updated.quantity),
            },
        )

    def _publish_fill(self, fill: Fill) -> None:
        if self._publish(to_message(fill)):
            self._store.mark_fill_published(fill.id)

    def _publish(self, message: FillV1 | AccountUpdateV1) -> bool:
        try:
            self._publisher.publish(encode(message), timeout=self._settings.publish_timeout_seconds)
        except TemporaryError as error:
            log.warning(
                "publish failed; the sweep retries it",
                extra={"id": message.id, "error": str(error)},
            )
            return False
        return True

    def _sweep_fills(self) -> None:
        """Finish what a crash interrupted: fills recorded but not applied, or not published."""
        for fill in self._store.unapplied_fills():
            self._apply_to_ledger(fill)
        for fill in self._store.unpublished_fills():
            self._publish_fill(fill)

    # Failures, cancels and brackets

    def _failed(self, record: OrderRecord, reason: str) -> OrderRecord:
        """An exit is retried for what is left (and alerts); an entry is refused."""
        order = record.order
        if order.purpose is not OrderPurpose.EXIT:
            return self._refuse(record, reason)
        failures = record.failures + 1
        delay = min(
            self._settings.exit_retry_max, self._settings.exit_retry_min * 2 ** (failures - 1)
        )
        now = self._clock.now()
        retry_at = now + delay
        self._alert(
            f"{order.id}_EXIT_FAILED_{failures}",
            "EXIT_FAILED",
            AlertSeverity.CRITICAL,
            f"exit {order.id} ({order.side.value if order.side else ''} {record.remaining} "
            f"{order.symbol} on {order.account}) failed ({failures} so far): {reason}; "
            f"retrying in {delay.total_seconds():.0f} s until it fills or is cancelled",
            strategy_id=order.strategy_id,
        )
        note = f"failure {failures}: {reason}; retry at {retry_at:%H:%M:%S}"
        updated = dataclasses.replace(
            record,
            reason=reason,
            next_retry_at=retry_at,
            failures=failures,
            transitions=(
                *record.transitions,
                Transition(record.state, now, record.filled_quantity, note),
            ),
            updated_at=now,
        )
        self._store.put_order(updated)
        return updated

    def _refuse(self, record: OrderRecord, reason: str) -> OrderRecord:
        order = record.order
        self._alert(
            f"{order.id}_REJECTED",
            "ENTRY_REJECTED",
            AlertSeverity.WARNING,
            f"entry {order.id} ({order.symbol} on {order.account}) was refused: {reason}",
            strategy_id=order.strategy_id,
        )
        return self._move(record, OrderState.REJECTED, reason)

    def _move(
        self, record: OrderRecord, state: OrderState, note: str | None, **changes: object
    ) -> OrderRecord:
        now = self._clock.now()
        moved = dataclasses.replace(
            record,
            state=state,
            transitions=(*record.transitions, Transition(state, now, record.filled_quantity, note)),
            reason=note if state in (OrderState.REJECTED, OrderState.CANCELLED) else record.reason,
            updated_at=now,
            **changes,  # type: ignore[arg-type]
        )
        self._store.put_order(moved)
        log.info(
            "order state", extra={"order_id": record.order_id, "state": state.value, "note": note}
        )
        return moved

    def _cancel_open(self, record: OrderRecord) -> OrderRecord:
        """A CANCEL_OPEN instruction: cancel the strategy's working orders in the symbol."""
        order = record.order
        cancelled = 0
        for other in self._store.active_orders():
            same = (other.order.account, other.order.strategy_id, other.order.symbol)
            if other.order_id != order.id and same == (
                order.account,
                order.strategy_id,
                order.symbol,
            ):
                self.cancel(other.order_id, by=f"signal {order.signal_id}")
                cancelled += 1
        return self._move(record, OrderState.FILLED, f"cancelled {cancelled} open order(s)")

    def _record_native_legs(self, parent: OrderRecord, venue_name: str) -> None:
        """The venue holds the bracket: record its legs so their fills book as exits."""
        now = self._clock.now()
        for child in _leg_orders(parent.order, parent.order.quantity):
            if self._store.order(child.id) is None:
                leg = new_record(child, now)
                self._store.put_order(
                    dataclasses.replace(leg, attempts=1, venue=venue_name, venue_reference=child.id)
                )

    def _place_legs(self, parent: OrderRecord, venue: Broker, venue_name: str) -> None:
        """Protect a filled entry at a venue without native brackets: one order per leg."""
        for child in _leg_orders(parent.order, parent.filled_quantity):
            if self._store.order(child.id) is not None:
                continue
            leg = new_record(child, self._clock.now())
            self._store.put_order(leg)
            self._store.claim_submission(child.id, self._clock.now())
            self._submit(leg, venue, venue_name)

    def _cancel_siblings(self, record: OrderRecord) -> None:
        """One bracket leg filled: the other leg must not fire too."""
        order_id = record.order_id
        for suffix, sibling in (("_SL", "_TP"), ("_TP", "_SL")):
            if order_id.endswith(suffix):
                other = self._store.order(order_id.removesuffix(suffix) + sibling)
                if other is not None and not other.state.ended:
                    self.cancel(other.order_id, by=f"{order_id} filled (one cancels the other)")

    def _check_margin(self, state: AccountState) -> None:
        if state.equity <= 0:
            return
        used = state.margin_used / state.equity
        key = f"MARGIN:{state.account}"
        if used < self._settings.margin_warning:
            self._raised.discard(key)
        elif key not in self._raised:
            self._raised.add(key)
            self._alert(
                f"margin-{state.account}-{state.updated_at:%Y%m%dT%H%M%S}",
                "MARGIN_NEAR_LIMIT",
                AlertSeverity.CRITICAL,
                f"{state.account} uses {used:.1%} of its equity as margin; the limit is "
                f"{self._settings.margin_limit:.0%}",
            )

    def _alert(
        self,
        alert_id: str,
        kind: str,
        severity: AlertSeverity,
        message: str,
        strategy_id: str | None = None,
    ) -> None:
        alert = Alert(
            alert_id=alert_id,
            kind=kind,
            severity=severity,
            message=message,
            created_at=self._clock.now(),
            source="bridge",
            strategy_id=strategy_id,
        )
        self._alerts.raise_alert(alert)


def _leg_orders(parent: Order, quantity: Decimal) -> list[Order]:
    """A bracket's take-profit (limit) and stop-loss (stop) as exit orders of their own."""
    exit_side = Side.SELL if parent.side is Side.BUY else Side.BUY
    exit_order = dataclasses.replace(
        parent,
        purpose=OrderPurpose.EXIT,
        side=exit_side,
        quantity=quantity,
        time_in_force=TimeInForce.GTC,
        expire_at=None,
        limit_price=None,
        stop_price=None,
        stop_loss=None,
        take_profit=None,
    )
    legs = []
    if parent.take_profit is not None:
        take = parent.take_profit
        legs.append(
            dataclasses.replace(
                exit_order, id=take.order_id, order_type=OrderType.LIMIT, limit_price=take.price
            )
        )
    if parent.stop_loss is not None:
        stop = parent.stop_loss
        legs.append(
            dataclasses.replace(
                exit_order, id=stop.order_id, order_type=OrderType.STOP, stop_price=stop.price
            )
        )
    return legs


def _total_state(reported: OrderState, filled: Decimal, quantity: Decimal) -> OrderState:
    """The whole order's state when an attempt reports on what was left of it."""
    if reported is OrderState.FILLED and filled < quantity:
        return OrderState.PARTIALLY_FILLED
    return reported


def _average(record: OrderRecord, report: VenueOrderReport) -> Decimal | None:
    if report.average_price is None or not report.filled_quantity:
        return None
    prior = record.prior_filled
    if not prior or record.average_price is None:
        return report.average_price
    total = prior + report.filled_quantity
    return (record.average_price * prior + report.average_price * report.filled_quantity) / total
