"""Submit orders: take each order once however often it is delivered, pass the risk gate, send it
under a venue reference made of its MATS id, and follow it at the venue until it ends.

The bridge is the single writer of orders, fills and positions: one lock covers every change.
Before anything is sent again (a redelivery, a crash, a retry) every earlier reference is looked
up first, so an order that reached the venue is never sent twice. Just before any send the risk
gate (``mats.domain.execution.gate``) looks at the risk state and the position once more:
HALTED sends nothing (an entry is refused, an exit held until the halt is lifted), REDUCING
refuses entries, and an exit is trimmed to what is still held. Exits are privileged: a failed
exit is retried with backoff for what is left until it fills or an operator cancels it, and
every failure raises a CRITICAL alert. Entries are sent while they are fresh, or refused.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal

from mats.domain.alerts import Alert, AlertSeverity
from mats.domain.execution import records as rec
from mats.domain.execution.brackets import is_bracket_leg, leg_orders, sibling_of
from mats.domain.execution.gate import GateDecision, Verdict, gate
from mats.domain.execution.records import OrderRecord, base_order_id
from mats.domain.execution.states import OrderState
from mats.domain.orders import Order
from mats.domain.risk import most_restrictive
from mats.domain.trading import OrderAction, OrderPurpose
from mats.domain.venues import OrderRejectedError, VenueOrderReport
from mats.errors import NotFoundError, PermanentError, TemporaryError
from mats.ports import Broker, Clock, ExecutionStore, SendFacts
from mats.services.alerts import AlertService
from mats.services.execution.booking import FillBooking
from mats.services.execution.router import ExecutionSettings, VenueRouter, VenueUnavailableError

log = logging.getLogger(__name__)


class OrderSubmission:
    def __init__(
        self,
        *,
        store: ExecutionStore,
        router: VenueRouter,
        booking: FillBooking,
        alerts: AlertService,
        clock: Clock,
        settings: ExecutionSettings | None = None,
    ) -> None:
        self._store = store
        self._router = router
        self._booking = booking
        self._alerts = alerts
        self._clock = clock
        self._settings = settings or ExecutionSettings()
        self._lock = threading.RLock()

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
            if record.state.ended or record.waiting:
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
            stopped = _with(record, next_retry_at=None, held_reason=None)
            return self._save(
                rec.moved(stopped, OrderState.CANCELLED, self._clock.now(), f"cancelled by {by}")
            )

    # The background loop's jobs

    def poll(self) -> int:
        """Ask the venues about every working order; retry exits due; release held exits."""
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
            self._booking.sweep()
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
                if record is not None and self._booking.book(record.order, fill, venue_name):
                    booked += 1
            now = self._clock.now()
            for record in self._store.active_orders():
                if record.venue == venue_name:
                    self._poll_one(record, now)
            self._booking.sweep()
            if booked:
                log.warning(
                    "fills recovered after reconnecting",
                    extra={"venue": venue_name, "fills": booked},
                )
            return booked

    # Sending

    def _current(self, order: Order) -> OrderRecord:
        """The order's record (created if Cerebro's is missing), its bracket legs placed."""
        record = self._store.order(order.id)
        if record is None:
            record = self._save(rec.new_record(order, self._clock.now()))
        venue = self._router.named(record.venue) if record.venue else None
        if record.state is OrderState.FILLED and venue is not None and not venue.native_brackets:
            self._place_legs(record, venue, record.venue or "")  # A crash may have come between.
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

    def _submit(self, record: OrderRecord, venue: Broker, venue_name: str) -> OrderRecord:
        """Send the next attempt (whatever is left of the order) after checking earlier ones."""
        found = self._find(record, venue, venue_name)
        if found is not None:
            return found
        facts = self._store.send_facts(record.order)
        allowed = self._gate(record, facts)
        if allowed.verdict is Verdict.REFUSE:
            return self._gate_refused(record, allowed)
        if allowed.verdict is Verdict.HOLD:
            return self._hold(record, allowed)
        now = self._clock.now()
        if allowed.code == "TRIMMED":
            record = rec.trimmed(record, allowed.quantity, now, allowed.detail or "")
        fresh = facts.quote is not None and facts.quote.is_fresh(now, self._settings.quote_max_age)
        arrival = rec.quote_mid(facts.quote) if fresh else None
        record, attempt = rec.attempted(record, venue_name, now, arrival_mid=arrival)
        record = self._save(record)
        try:
            report = venue.place(attempt)
        except OrderRejectedError as error:
            return self._failed(record, error.reason)
        except TemporaryError as error:
            if record.order.purpose is OrderPurpose.EXIT:
                return self._failed(record, str(error))
            raise  # The claim stays: the next delivery looks the order up before sending.
        if venue.native_brackets:
            self._record_native_legs(record, venue_name)
        return self._after_report(record, report, venue, venue_name)

    def _gate(self, record: OrderRecord, facts: SendFacts | None = None) -> GateDecision:
        if facts is None:
            facts = self._store.send_facts(record.order)
        risk = most_restrictive(*(s.state for s in (facts.fund, facts.strategy) if s is not None))
        held = facts.position.quantity if facts.position is not None else Decimal(0)
        return gate(record, risk=risk, held=held, working=facts.working)

    def _gate_refused(self, record: OrderRecord, decision: GateDecision) -> OrderRecord:
        if record.order.purpose is OrderPurpose.ENTRY:
            return self._refuse(record, decision.reason)
        # An exit with nothing left to close ends: sending it would open the other way.
        return self._save(
            rec.moved(record, OrderState.CANCELLED, self._clock.now(), decision.reason)
        )

    def _hold(self, record: OrderRecord, decision: GateDecision) -> OrderRecord:
        if record.held_reason is not None:
            return record
        order = record.order
        self._alert(
            f"{order.id}_EXIT_HELD",
            "EXIT_HELD",
            AlertSeverity.CRITICAL,
            f"exit {order.id} ({record.remaining} {order.symbol} on {order.account}) is held: "
            f"{decision.detail}; it goes out when the halt is lifted",
            strategy_id=order.strategy_id,
        )
        return self._save(rec.held(record, decision.reason, self._clock.now()))

    def _find(self, record: OrderRecord, venue: Broker, venue_name: str) -> OrderRecord | None:
        """The order as the venue has it under an earlier attempt, if that settles it.

        An attempt still working, or one that filled the order, settles it; so does an entry's
        attempt that ended (refused, cancelled): entries are never sent twice. An exit's ended
        attempt only has its fills booked, and what is left is sent again.
        """
        for attempt in range(record.attempts, 0, -1):
            reference = rec.attempt_reference(record.order_id, attempt)
            report = venue.lookup(reference, symbol=record.order.symbol)
            if report is None:
                continue
            for fill in report.fills:
                self._booking.book(record.order, fill, venue_name)
            settles = not report.state.ended or report.state is OrderState.FILLED
            if not settles and record.order.purpose is OrderPurpose.EXIT:
                continue
            if reference != record.venue_reference:
                record = self._save(_with(record, venue_reference=reference))
            return self._after_report(record, report, venue, venue_name)
        return None

    def _poll_one(self, record: OrderRecord, now: datetime) -> None:
        if record.held_reason is not None or (
            record.next_retry_at is not None and now >= record.next_retry_at
        ):
            self._retry(record)
            return
        if record.next_retry_at is not None:
            return
        venue = self._router.named(record.venue) if record.venue else None
        if venue is None or record.venue is None or record.venue_reference is None:
            return
        report = venue.lookup(record.venue_reference, symbol=record.order.symbol)
        if report is not None:
            self._after_report(record, report, venue, record.venue)

    def _retry(self, record: OrderRecord) -> None:
        """Send a failed or held exit (what is left of it), or note why it cannot go yet."""
        try:
            venue_name, venue = self._router.for_order(record.order)
        except PermanentError as error:
            self._failed(record, str(error))
            return
        if record.held_reason is not None:
            if self._gate(record).verdict is Verdict.HOLD:
                return  # Still halted: it stays held, and alerted once.
            record = self._save(rec.released(record, self._clock.now()))
        status = venue.status()
        if status.accepting_orders:
            self._submit(record, venue, venue_name)
        else:
            self._failed(record, f"{venue_name} is not taking orders ({status.reason})")

    # Venue reports

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
            self._booking.book(record.order, fill, venue_name)
        moved = rec.progress(record, report)
        if moved is None or not moved.changed:
            return record
        if moved.record.filled_quantity > record.order.quantity:
            self._overfilled(moved.record)
        if moved.refused and not cancelling:
            if record.next_retry_at is not None:
                return record  # This attempt's failure is already handled; a retry is due.
            reason = report.reason or str(moved.state).lower()
            return self._failed(moved.record, reason)
        if moved.state is None:
            return self._save(moved.record)
        updated = self._save(rec.moved(moved.record, moved.state, self._clock.now(), report.reason))
        if moved.state is OrderState.FILLED:
            self._cancel_sibling(updated)
        return updated

    def _overfilled(self, record: OrderRecord) -> None:
        order = record.order
        self._alert(
            f"{order.id}_OVERFILLED",
            "OVERFILLED",
            AlertSeverity.CRITICAL,
            f"{order.id} filled {record.filled_quantity} {order.symbol} of the "
            f"{order.quantity} ordered on {order.account}: the position is larger than decided",
            strategy_id=order.strategy_id,
        )

    # Failures, cancels and brackets

    def _failed(self, record: OrderRecord, reason: str) -> OrderRecord:
        """An exit is retried for what is left (and alerts); an entry is refused."""
        order = record.order
        if order.purpose is not OrderPurpose.EXIT:
            return self._refuse(record, reason)
        settings = self._settings
        failed = rec.exit_failed(
            record,
            reason,
            self._clock.now(),
            retry_min=settings.exit_retry_min,
            retry_max=settings.exit_retry_max,
        )
        delay = (failed.next_retry_at or self._clock.now()) - self._clock.now()
        self._alert(
            f"{order.id}_EXIT_FAILED_{failed.failures}",
            "EXIT_FAILED",
            AlertSeverity.CRITICAL,
            f"exit {order.id} ({order.side.value if order.side else ''} {record.remaining} "
            f"{order.symbol} on {order.account}) failed ({failed.failures} so far): {reason}; "
            f"retrying in {delay.total_seconds():.0f} s until it fills or is cancelled",
            strategy_id=order.strategy_id,
        )
        return self._save(failed)

    def _refuse(self, record: OrderRecord, reason: str) -> OrderRecord:
        order = record.order
        self._alert(
            f"{order.id}_REJECTED",
            "ENTRY_REJECTED",
            AlertSeverity.WARNING,
            f"entry {order.id} ({order.symbol} on {order.account}) was refused: {reason}",
            strategy_id=order.strategy_id,
        )
        return self._save(rec.moved(record, OrderState.REJECTED, self._clock.now(), reason))

    def _cancel_open(self, record: OrderRecord) -> OrderRecord:
        """A CANCEL_OPEN instruction: cancel the strategy's working orders in the symbol, except
        those decided with it (a signal that cancels, then orders, keeps its new order)."""
        order = record.order
        cancelled = 0
        for other in self._store.active_orders():
            same = (other.order.account, other.order.strategy_id, other.order.symbol)
            if other.order.signal_id != order.signal_id and same == (
                order.account,
                order.strategy_id,
                order.symbol,
            ):
                self.cancel(other.order_id, by=f"signal {order.signal_id}")
                cancelled += 1
        note = f"cancelled {cancelled} open order(s)"
        return self._save(rec.moved(record, OrderState.DONE, self._clock.now(), note))

    def _record_native_legs(self, parent: OrderRecord, venue_name: str) -> None:
        """The venue holds the bracket: record its legs so their fills book as exits."""
        now = self._clock.now()
        for child in leg_orders(parent.order, parent.order.quantity):
            if self._store.order(child.id) is None:
                leg = rec.new_record(child, now)
                self._save(_with(leg, attempts=1, venue=venue_name, venue_reference=child.id))

    def _place_legs(self, parent: OrderRecord, venue: Broker, venue_name: str) -> None:
        """Protect a filled entry at a venue without native brackets: one order per leg."""
        for child in leg_orders(parent.order, parent.filled_quantity):
            if self._store.order(child.id) is not None:
                continue
            leg = self._save(rec.new_record(child, self._clock.now()))
            self._store.claim_submission(child.id, self._clock.now())
            self._submit(leg, venue, venue_name)

    def _cancel_sibling(self, record: OrderRecord) -> None:
        """One bracket leg filled: the other leg must not fire too."""
        sibling_id = sibling_of(record.order_id) if is_bracket_leg(record.order_id) else None
        other = self._store.order(sibling_id) if sibling_id else None
        if other is not None and not other.state.ended:
            self.cancel(other.order_id, by=f"{record.order_id} filled (one cancels the other)")

    def _save(self, record: OrderRecord) -> OrderRecord:
        self._store.put_order(record)
        last = record.transitions[-1] if record.transitions else None
        log.info(
            "order state",
            extra={
                "order_id": record.order_id,
                "state": record.state.value,
                "note": last.note if last else None,
            },
        )
        return record

    def _alert(
        self,
        alert_id: str,
        kind: str,
        severity: AlertSeverity,
        message: str,
        strategy_id: str | None = None,
    ) -> None:
        self._alerts.raise_alert(
            Alert(
                alert_id=alert_id,
                kind=kind,
                severity=severity,
                message=message,
                created_at=self._clock.now(),
                source="bridge",
                strategy_id=strategy_id,
            )
        )


def _with(record: OrderRecord, **changes: object) -> OrderRecord:
    return dataclasses.replace(record, **changes)  # type: ignore[arg-type]
