"""Money writes an operator may repeat: a deposit keyed by its request id is booked once however
often (and however concurrently) it is sent, a request id reused for another flow is refused, and
a payout is paid once per reference."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest

from mats.domain.funds.payouts import PayoutTerms
from mats.domain.funds.units import FlowKind
from mats.errors import ConflictError, NotFoundError, ValidationError
from mats.services.accounting.flows import FLOWS
from mats.services.accounting.investors import InvestorBook
from mats.services.accounting.payouts import PAYMENTS, PayoutBook, payout_id
from tests.fakes import FakeClock, InMemoryRecords

MONTH = "2026-10"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def records() -> InMemoryRecords:
    return InMemoryRecords()


@pytest.fixture
def payouts(records: InMemoryRecords, clock: FakeClock) -> PayoutBook:
    return PayoutBook(records, clock, PayoutTerms())


@pytest.fixture
def investors(records: InMemoryRecords, clock: FakeClock, payouts: PayoutBook) -> InvestorBook:
    book = InvestorBook(
        records=records,
        valuer=None,  # type: ignore[arg-type] # No strike is struck here.
        payouts=payouts,
        clock=clock,
        strike_time=time(16),
    )
    book.create_client("jane", "Jane")
    return book


def flows_of(records: InMemoryRecords) -> dict[str, Any]:
    return records.collections.get(FLOWS, {})


def test_a_deposit_sent_three_times_with_one_request_id_is_booked_once(
    investors: InvestorBook, records: InMemoryRecords, clock: FakeClock
) -> None:
    first = investors.deposit("jane", "1000.50", request_id="req-0001-abcd")
    clock.advance(5)
    again = [investors.deposit("jane", "1000.50", request_id="req-0001-abcd") for _ in range(2)]

    assert first.new
    assert [booked.new for booked in again] == [False, False]
    assert {booked.flow for booked in again} == {first.flow}
    assert list(flows_of(records)) == [first.flow.flow_id]
    assert first.flow.amount == Decimal("1000.50")


def test_concurrent_repeats_book_once_and_different_requests_each_book(
    investors: InvestorBook, records: InMemoryRecords
) -> None:
    requests = ["req-same-0001"] * 6 + ["req-other-0002", "req-other-0003"]

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        booked = list(
            pool.map(lambda key: investors.deposit("jane", "250", request_id=key), requests)
        )

    assert sum(b.new for b in booked) == 3
    assert len({b.flow.flow_id for b in booked}) == 3
    assert len(flows_of(records)) == 3


def test_a_request_id_reused_for_another_flow_is_a_conflict_that_changes_nothing(
    investors: InvestorBook, records: InMemoryRecords
) -> None:
    investors.deposit("jane", "100", request_id="req-0001-abcd")
    before = dict(flows_of(records))

    with pytest.raises(ConflictError) as other_amount:
        investors.deposit("jane", "200", request_id="req-0001-abcd")
    with pytest.raises(ConflictError):
        investors.withdraw("jane", amount="100", request_id="req-0001-abcd")
    with pytest.raises(ConflictError):
        investors.deposit("jane", "100", on=date(2026, 11, 1), request_id="req-0001-abcd")

    assert other_amount.value.field == "request_id"
    assert flows_of(records) == before


@pytest.mark.parametrize("request_id", ["short", "has_underscore", "x" * 65, "with space 1"])
def test_a_malformed_request_id_is_refused(investors: InvestorBook, request_id: str) -> None:
    with pytest.raises(ValidationError) as refused:
        investors.deposit("jane", "100", request_id=request_id)

    assert refused.value.field == "request_id"


def test_request_ids_of_two_clients_never_share_a_flow(investors: InvestorBook) -> None:
    investors.create_client("jane_req", "Another")

    mine = investors.deposit("jane", "100", request_id="req-0001-abcd")
    theirs = investors.deposit("jane_req", "100", request_id="req-0001-abcd")

    assert (mine.new, theirs.new) == (True, True)
    assert mine.flow.flow_id != theirs.flow.flow_id
    assert theirs.flow.kind is FlowKind.DEPOSIT


def a_payout(payouts: PayoutBook, clock: FakeClock, pnl: str = "500") -> str:
    at = datetime(2026, 10, 31, 16, tzinfo=UTC)
    payouts.crystallise_month(MONTH, at=at, cumulative={"alpha": Decimal(pnl)})
    clock.advance(60)
    return payout_id("alpha", MONTH)


def test_a_payout_marked_paid_again_with_its_reference_is_not_paid_twice(
    payouts: PayoutBook, records: InMemoryRecords, clock: FakeClock
) -> None:
    identifier = a_payout(payouts, clock)

    first = payouts.mark_paid(identifier, reference="WIRE-1", by="ops@fund")
    clock.advance(60)
    again = payouts.mark_paid(identifier, reference=" WIRE-1 ", by="someone else")

    assert (first.new, again.new) == (True, False)
    assert again.payout == first.payout == payouts.get(identifier)
    assert first.payout.paid_by == "ops@fund"
    assert list(records.collections[PAYMENTS]) == [identifier]


def test_another_reference_on_a_paid_payout_is_a_conflict(
    payouts: PayoutBook, clock: FakeClock
) -> None:
    identifier = a_payout(payouts, clock)
    paid = payouts.mark_paid(identifier, reference="WIRE-1", by="ops").payout

    with pytest.raises(ConflictError, match="already paid") as refused:
        payouts.mark_paid(identifier, reference="WIRE-2", by="ops")

    assert refused.value.field == "payout"
    assert payouts.get(identifier) == paid


def test_a_payout_left_unmarked_after_its_payment_was_recorded_is_marked_by_the_repeat(
    payouts: PayoutBook, records: InMemoryRecords, clock: FakeClock
) -> None:
    identifier = a_payout(payouts, clock)
    paid = payouts.mark_paid(identifier, reference="WIRE-1", by="ops").payout
    unmarked = replace(paid, open=True, paid_at=None, paid_reference=None, paid_by=None)
    records.put("payouts", identifier, unmarked)  # As a failure after the payment would leave.

    repeat = payouts.mark_paid(identifier, reference="WIRE-1", by="ops")

    assert not repeat.new
    assert payouts.get(identifier) == paid


def test_an_unknown_payout_is_not_found_and_nothing_payable_is_refused(
    payouts: PayoutBook, clock: FakeClock
) -> None:
    identifier = a_payout(payouts, clock, pnl="0")

    with pytest.raises(NotFoundError):
        payouts.mark_paid("nobody__2026-10", reference="WIRE-1", by="ops")
    with pytest.raises(ValidationError, match="nothing payable"):
        payouts.mark_paid(identifier, reference="WIRE-1", by="ops")
