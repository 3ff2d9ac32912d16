"""An order and its execution so far (``orders/{order_id}``), and how each event moves it.

Every function here is pure: it takes the record and what happened, and returns the record that
should be stored, with the event appended to its history. The services decide when; this module
decides what.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from mats.domain.execution.states import OrderState, Transition, advance, total_state
from mats.domain.market import Quote
from mats.domain.orders import Order
from mats.domain.trading import OrderPurpose
from mats.domain.venues import VenueOrderReport

ATTEMPT_MARK = "~"


@dataclass(frozen=True)
class OrderRecord:
    """An order and its execution so far.

    Cerebro creates it (NEW) with the decision; the bridge moves it forward, one recorded
    transition at a time. Each send is an attempt under its own venue reference (the order id,
    then ``{id}~2``, ``{id}~3``...); only exits are sent again, with backoff (``next_retry_at``),
    until they fill or an operator cancels them (``failures`` counts the failed tries, sent or
    not, and sets the backoff). ``filled_quantity`` counts every attempt's fills;
    ``prior_filled`` is what attempts before the current one filled. ``held_reason`` says why
    an exit is held back unsent (trading is HALTED); it goes when the halt is lifted.
    ``submitted_at`` and ``arrival_mid`` are set once, by the first attempt sent: when the order
    went to the venue and the mid of the freshest quote then (``None`` without a fresh quote),
    the arrival price of its implementation shortfall.
    """

    order: Order
    state: OrderState
    decided_at: datetime
    published_at: datetime | None = None
    transitions: tuple[Transition, ...] = ()
    filled_quantity: Decimal = Decimal(0)
    average_price: Decimal | None = None
    venue: str | None = None
    venue_order_id: str | None = None
    reason: str | None = None
    attempts: int = 0
    next_retry_at: datetime | None = None
    updated_at: datetime | None = None
    venue_reference: str | None = None
    prior_filled: Decimal = Decimal(0)
    failures: int = 0
    held_reason: str | None = None
    submitted_at: datetime | None = None
    arrival_mid: Decimal | None = None

    @property
    def remaining(self) -> Decimal:
        return self.order.quantity - self.filled_quantity

    @property
    def order_id(self) -> str:
        return self.order.id

    @property
    def waiting(self) -> bool:
        """Not ended, but not at a venue either: held, or an exit waiting to be retried."""
        return not self.state.ended and (
            self.held_reason is not None or self.next_retry_at is not None
        )


def new_record(order: Order, at: datetime) -> OrderRecord:
    return OrderRecord(
        order=order,
        state=OrderState.NEW,
        decided_at=at,
        transitions=(Transition(OrderState.NEW, at),),
        updated_at=at,
    )


def base_order_id(venue_reference: str) -> str:
    """The MATS order id behind a venue reference (a retry attempt adds ``~n``)."""
    return venue_reference.split(ATTEMPT_MARK, 1)[0]


def attempt_reference(order_id: str, attempt: int) -> str:
    return order_id if attempt <= 1 else f"{order_id}{ATTEMPT_MARK}{attempt}"


def moved(record: OrderRecord, state: OrderState, at: datetime, note: str | None) -> OrderRecord:
    """The record in ``state``; a refusal or a cancellation keeps its note as the reason."""
    return dataclasses.replace(
        record,
        state=state,
        transitions=(*record.transitions, Transition(state, at, record.filled_quantity, note)),
        reason=note if state in (OrderState.REJECTED, OrderState.CANCELLED) else record.reason,
        updated_at=at,
    )


def noted(record: OrderRecord, at: datetime, note: str) -> OrderRecord:
    """An event in the order's history that leaves its state as it is."""
    return dataclasses.replace(
        record,
        transitions=(
            *record.transitions,
            Transition(record.state, at, record.filled_quantity, note),
        ),
        updated_at=at,
    )


def attempted(
    record: OrderRecord, venue: str, at: datetime, *, arrival_mid: Decimal | None = None
) -> tuple[OrderRecord, Order]:
    """The next attempt: the record SUBMITTED under a fresh reference, and what to send (the
    order under that reference, for what is left of it). The first attempt also records when
    the order was submitted and ``arrival_mid``; later attempts keep them."""
    attempt = record.attempts + 1
    reference = attempt_reference(record.order_id, attempt)
    first = record.submitted_at is None
    record = dataclasses.replace(
        record,
        attempts=attempt,
        venue=venue,
        venue_reference=reference,
        next_retry_at=None,
        held_reason=None,
        prior_filled=record.filled_quantity,
        submitted_at=at if first else record.submitted_at,
        arrival_mid=arrival_mid if first else record.arrival_mid,
    )
    record = moved(
        record, OrderState.SUBMITTED, at, f"attempt {attempt} sent to {venue} as {reference}"
    )
    return record, dataclasses.replace(record.order, id=reference, quantity=record.remaining)


def quote_mid(quote: Quote | None) -> Decimal | None:
    """The quote's mid: halfway between bid and ask when it has both, else its last price."""
    if quote is None:
        return None
    if quote.bid is not None and quote.ask is not None:
        return (quote.bid + quote.ask) / 2
    return quote.last


def exit_failed(
    record: OrderRecord, reason: str, at: datetime, *, retry_min: timedelta, retry_max: timedelta
) -> OrderRecord:
    """A failed exit, to be retried for what is left after a backoff that doubles each time."""
    failures = record.failures + 1
    retry_at = at + min(retry_max, retry_min * 2 ** (failures - 1))
    failed = dataclasses.replace(record, reason=reason, next_retry_at=retry_at, failures=failures)
    return noted(failed, at, f"failure {failures}: {reason}; retry at {retry_at:%H:%M:%S}")


def held(record: OrderRecord, reason: str, at: datetime) -> OrderRecord:
    """An exit held back, unsent, until trading may send it again."""
    return noted(dataclasses.replace(record, held_reason=reason), at, f"held: {reason}")


def released(record: OrderRecord, at: datetime) -> OrderRecord:
    """A held exit let go: trading may send it again."""
    note = f"released: no longer held ({record.held_reason})"
    return noted(dataclasses.replace(record, held_reason=None), at, note)


def trimmed(record: OrderRecord, quantity: Decimal, at: datetime, why: str) -> OrderRecord:
    """An exit cut to what is still held, so that it can never open the other way."""
    order = dataclasses.replace(record.order, quantity=record.filled_quantity + quantity)
    note = f"trimmed from {record.remaining} to {quantity}: {why}"
    return noted(dataclasses.replace(record, order=order), at, note)


@dataclass(frozen=True)
class Progress:
    """What one venue report does to a record: its fills counted, the state it moves to."""

    record: OrderRecord  # Fills, average price and venue id applied; no transition yet.
    state: OrderState | None  # Forward state the report reaches, if any.
    refused: bool  # Refused by the venue, or an exit it ended on its own (to be retried).
    changed: bool  # Anything worth storing.


def progress(record: OrderRecord, report: VenueOrderReport) -> Progress | None:
    """How ``report`` moves ``record``; ``None`` when it is about an earlier attempt."""
    if record.venue_reference not in (None, report.order_id):
        return None
    filled = record.prior_filled + report.filled_quantity
    state = advance(
        record.state,
        total_state(report.state, filled, record.order.quantity),
        filled_before=record.filled_quantity,
        filled_now=filled,
    )
    updated = dataclasses.replace(
        record,
        filled_quantity=filled,
        average_price=_average(record, report) or record.average_price,
        venue_order_id=report.venue_order_id or record.venue_order_id,
    )
    refused = state is OrderState.REJECTED or (
        state is OrderState.CANCELLED and record.order.purpose is OrderPurpose.EXIT
    )
    changed = state is not None or filled != record.filled_quantity
    return Progress(updated, state, refused, changed)


def _average(record: OrderRecord, report: VenueOrderReport) -> Decimal | None:
    if report.average_price is None or not report.filled_quantity:
        return None
    prior = record.prior_filled
    if not prior or record.average_price is None:
        return report.average_price
    total = prior + report.filled_quantity
    return (record.average_price * prior + report.average_price * report.filled_quantity) / total
