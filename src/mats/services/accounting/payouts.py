"""Senders' payouts: terms, month-end crystallisation, what is accrued, due and paid.

A sender's fee is crystallised once per month, at the month's last NAV strike, from the
cumulative P&L C its signals' lots had made at that strike (kept on the strike):
``rate x max(0, C - HWM)``, then ``HWM = max(HWM, C)``; an amount under the minimum is carried to
the next month; what is payable is due on the payment day of the next month until an admin
records it paid. Between crystallisations the fee on the new profit accrues daily as a fund
liability, so the investors' NAV is always net of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from mats.domain.funds.payouts import (
    Crystallisation,
    PayoutTerms,
    accrued_fee,
    crystallise,
    next_payment_date,
    parse_month,
)
from mats.errors import ConflictError, NotFoundError, ValidationError
from mats.ports import Clock, RecordStore

PAYOUTS = "payouts"
PAYOUT_TERMS = "payout_terms"
PAYMENTS = "payout_payments"
PAYOUT_TOTALS = "payout_totals"
NAV_STRIKES = "nav_strikes"
DUE = "DUE"
PAID = "PAID"


@dataclass(frozen=True)
class Payout:
    """One sender's crystallisation for one month and, once it is paid, the payment.

    ``sender_id``, ``month``, ``crystallised_at`` and ``open`` (payable and not yet paid) are
    kept beside the crystallisation so the accounting finds a sender's latest and what is due
    with bounded queries, whatever the history.
    """

    payout_id: str
    sender_id: str
    month: str
    crystallised_at: datetime
    open: bool
    crystallisation: Crystallisation
    paid_at: datetime | None = None
    paid_reference: str | None = None
    paid_by: str | None = None

    @property
    def outstanding(self) -> Decimal:
        return Decimal(0) if self.paid_at is not None else self.crystallisation.payable

    @property
    def status(self) -> str:
        """``PAID``, ``DUE`` (payable, unpaid), ``CARRIED`` (under the minimum) or ``NO FEE``."""
        if self.paid_at is not None:
            return PAID
        if self.crystallisation.payable > 0:
            return DUE
        return "CARRIED" if self.crystallisation.carried_out > 0 else "NO FEE"


@dataclass(frozen=True)
class Payment:
    """A payout as paid, and whether this call recorded the payment (``False``: a repeat)."""

    payout: Payout
    new: bool = True


@dataclass(frozen=True)
class PaidTotal:
    """Everything paid to one sender so far (``payout_totals/{sender}``): recomputed from its
    payouts when one is paid and at every NAV strike."""

    sender_id: str
    paid: Decimal


@dataclass(frozen=True)
class SenderTerms:
    sender_id: str
    terms: PayoutTerms
    updated_at: datetime


@dataclass(frozen=True)
class PayoutState:
    """Where a sender stands: HWM, what is carried, due (payable, unpaid), paid, accrued."""

    sender_id: str
    terms: PayoutTerms
    hwm: Decimal
    carried: Decimal
    due: Decimal
    paid: Decimal
    last_month: str | None
    next_payment_date: date | None

    def accrued(self, cumulative_pnl: Decimal) -> Decimal:
        return accrued_fee(cumulative_pnl, self.hwm, self.terms)

    def liability(self, cumulative_pnl: Decimal) -> Decimal:
        """What the fund owes this sender now: accrued + due + carried."""
        return self.accrued(cumulative_pnl) + self.due + self.carried


def payout_id(sender_id: str, month: str) -> str:
    return f"{sender_id}__{month}"


class PayoutBook:
    def __init__(self, records: RecordStore, clock: Clock, default_terms: PayoutTerms) -> None:
        self._records = records
        self._clock = clock
        self._default = default_terms

    def terms(self, sender_id: str) -> PayoutTerms:
        found = self._records.get(PAYOUT_TERMS, sender_id, SenderTerms)
        return found.terms if found is not None else self._default

    def set_terms(
        self,
        sender_id: str,
        *,
        rate: Decimal | None = None,
        min_payout: Decimal | None = None,
        payment_day: int | None = None,
    ) -> PayoutTerms:
        current = self.terms(sender_id)
        terms = PayoutTerms(
            rate=current.rate if rate is None else rate,
            min_payout=current.min_payout if min_payout is None else min_payout,
            payment_day=current.payment_day if payment_day is None else payment_day,
        )
        self._records.put(PAYOUT_TERMS, sender_id, SenderTerms(sender_id, terms, self._clock.now()))
        return terms

    def payouts(self, *, sender_id: str | None = None, month: str | None = None) -> list[Payout]:
        """Payouts by month and sender, filtered by the store (not read whole and sifted)."""
        filters = [
            (field, "==", value)
            for field, value in (("sender_id", sender_id), ("month", month))
            if value is not None
        ]
        found = self._records.list(PAYOUTS, Payout, filters=filters)
        return sorted(found, key=lambda p: (p.month, p.sender_id))

    def get(self, payout: str) -> Payout | None:
        return self._records.get(PAYOUTS, payout, Payout)

    def states(
        self, sender_ids: Sequence[str], *, at: datetime | None = None
    ) -> dict[str, PayoutState]:
        """Each sender's state from its payouts crystallised (and paid) at or before ``at``:
        a query for what is open and one per sender for its latest crystallisation."""
        moment = at or self._clock.now()
        owed = [
            p
            for p in (
                *self._records.list(PAYOUTS, Payout, filters=[("open", "==", True)]),
                *self._records.list(PAYOUTS, Payout, filters=[("paid_at", ">", moment)]),
            )
            if p.crystallised_at <= moment and p.crystallisation.payable > 0
        ]
        owed = list({p.payout_id: p for p in owed}.values())
        senders = sorted({*sender_ids, *(p.sender_id for p in owed)})
        paid = {
            t.sender_id: t.paid for t in self._records.get_many(PAYOUT_TOTALS, senders, PaidTotal)
        }
        states = {}
        for sender in senders:
            latest = self._records.list(
                PAYOUTS,
                Payout,
                filters=[("sender_id", "==", sender), ("crystallised_at", "<=", moment)],
                order_by="crystallised_at",
                descending=True,
                limit=1,
            )
            last = latest[0].crystallisation if latest else None
            unpaid = [p for p in owed if p.sender_id == sender]
            terms = self.terms(sender)
            states[sender] = PayoutState(
                sender_id=sender,
                terms=terms,
                hwm=last.hwm_after if last else Decimal(0),
                carried=last.carried_out if last else Decimal(0),
                due=sum((p.crystallisation.payable for p in unpaid), Decimal(0)),
                paid=paid.get(sender, Decimal(0)),
                last_month=last.month if last else None,
                next_payment_date=(
                    min(p.crystallisation.payment_date for p in unpaid)
                    if unpaid
                    else next_payment_date(moment.date(), terms)
                ),
            )
        return states

    def total_paid(self, sender_ids: Sequence[str] | None = None) -> None:
        """Recompute what each sender has been paid (all of them when none is named)."""
        every = self.payouts()
        names = sorted(set(sender_ids) if sender_ids is not None else {p.sender_id for p in every})
        self._records.put_all(
            PAYOUT_TOTALS,
            [
                (
                    name,
                    PaidTotal(
                        name,
                        sum(
                            (
                                p.crystallisation.payable
                                for p in every
                                if p.sender_id == name and p.paid_at is not None
                            ),
                            Decimal(0),
                        ),
                    ),
                )
                for name in names
            ],
        )

    def crystallise_month(
        self, month: str, *, at: datetime, cumulative: Mapping[str, Decimal]
    ) -> list[Payout]:
        """Crystallise every sender for ``month`` at its last strike ``at``, once per sender and
        month: a repeat answers with what the first run stored."""
        parse_month(month)
        states = self.states(list(cumulative), at=None)
        results = []
        for sender_id in sorted({*cumulative, *states}):
            identifier = payout_id(sender_id, month)
            existing = self.get(identifier)
            if existing is not None:
                results.append(existing)
                continue
            state = states[sender_id]
            if state.last_month is not None and state.last_month > month:
                raise ValidationError(
                    "month", f"{sender_id} is already crystallised up to {state.last_month}"
                )
            crystallised = crystallise(
                sender_id=sender_id,
                month=month,
                at=at,
                cumulative_pnl=cumulative.get(sender_id, Decimal(0)),
                hwm=state.hwm,
                carried=state.carried,
                terms=state.terms,
            )
            record = Payout(
                payout_id=identifier,
                sender_id=sender_id,
                month=month,
                crystallised_at=at,
                open=crystallised.payable > 0,
                crystallisation=crystallised,
            )
            if not self._records.create(PAYOUTS, identifier, record):
                record = self.get(identifier) or record
            results.append(record)
        return results

    def mark_paid(self, payout: str, *, reference: str, by: str) -> Payment:
        """Record a payout paid, once: a repeat with its reference answers the payment and
        changes nothing; another reference, or a payout with nothing payable, is refused."""
        reference = reference.strip()
        if not reference:
            raise ValidationError("reference", "say how it was paid (a transfer reference)")
        found = self.get(payout)
        if found is None:
            raise NotFoundError(f"no payout {payout!r}; see `mats payouts list`")
        if found.paid_at is not None:
            return Payment(_same_payment(found, reference), new=False)
        if found.crystallisation.payable <= 0:
            raise ValidationError(
                "payout",
                f"{payout} has nothing payable (carried {found.crystallisation.carried_out})",
            )
        paid = replace(
            found, open=False, paid_at=self._clock.now(), paid_reference=reference, paid_by=by
        )
        new = self._records.create(PAYMENTS, payout, paid)  # Two at once: one wins.
        if not new:
            # The payment is the fact; a payout a failure left unmarked is marked from it.
            paid = _same_payment(self._records.get(PAYMENTS, payout, Payout) or paid, reference)
        self._records.put(PAYOUTS, payout, paid)
        self.total_paid([paid.sender_id])
        return Payment(paid, new=new)

    def page(
        self,
        *,
        sender_id: str | None = None,
        status: str | None = None,
        limit: int,
        after: str | None = None,
    ) -> tuple[list[Payout], str | None]:
        """Payouts newest month first, a page at a time: every one, the ``DUE`` (payable,
        unpaid) or the ``PAID`` ones, of one sender or all; one bounded query."""
        filters: list[tuple[str, str, object]] = []
        if sender_id is not None:
            filters.append(("sender_id", "==", sender_id))
        collection = PAYMENTS if status == PAID else PAYOUTS
        if status == DUE:
            filters.append(("open", "==", True))
        elif status not in (None, PAID):
            raise ValidationError("status", f"must be {DUE} or {PAID}; got {status!r}")
        return self._records.page(
            collection,
            Payout,
            filters=filters,
            order_by="month",
            descending=True,
            limit=limit,
            after=after,
        )


def _same_payment(paid: Payout, reference: str) -> Payout:
    if paid.paid_reference != reference:
        raise ConflictError(
            f"{paid.payout_id} was already paid on {paid.paid_at:%Y-%m-%d} "
            f"(reference {paid.paid_reference})",
            field="payout",
        )
    return paid
