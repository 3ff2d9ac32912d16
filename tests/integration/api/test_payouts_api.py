"""Senders' payouts over the API, in a fund of its own on the stack's Firestore: what is due and
what was paid, a page at a time and filtered; a payout marked paid once — a repeat (also at
once, from many threads) is the same answer and no second payment, another reference a 409."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from mats.services.accounting.payouts import PAYMENTS, payout_id
from tests.conftest import Stack, unique
from tests.integration.api.client import Answer, ApiClient
from tests.integration.api.writes import audit_of, newest_audit

SEPTEMBER, OCTOBER = "2026-09", "2026-10"


@pytest.fixture(scope="module")
def fund(stack: Stack) -> Iterator[ApiClient]:
    """An API over a project of its own: its payouts are only this module's."""
    from mats.bootstrap import bootstrap  # noqa: PLC0415 - needs the stack's environment.

    env = {**os.environ, "GOOGLE_CLOUD_PROJECT": unique("payouts")}
    services = bootstrap({**env, "MATS_BRIDGE_URL": stack.info["bridge_url"]})
    try:
        yield ApiClient(services)
    finally:
        services.close()


@pytest.fixture(scope="module")
def senders(fund: ApiClient) -> tuple[str, str]:
    """Alpha earns a payable fee in both months (100, then 60); beta's stays under the 50
    minimum and is carried."""
    alpha, beta = unique("alpha"), unique("beta")
    payouts = fund.services.accounting.payouts
    for month, day, pnl in ((SEPTEMBER, 30, ("500", "100")), (OCTOBER, 31, ("800", "150"))):
        at = datetime(2026, int(month[-2:]), day, 16, tzinfo=UTC)
        payouts.crystallise_month(
            month, at=at, cumulative={alpha: Decimal(pnl[0]), beta: Decimal(pnl[1])}
        )
    return alpha, beta


def ids(answer: Answer) -> list[str]:
    return [item["payout_id"] for item in answer.body["items"]]


def test_payouts_are_listed_newest_first_filtered_and_paged(
    fund: ApiClient, senders: tuple[str, str]
) -> None:
    alpha, beta = senders

    every = fund.get("/api/payouts")
    due = fund.get("/api/payouts?status=DUE")
    betas = fund.get(f"/api/payouts?sender_id={beta}")
    first = fund.get("/api/payouts?limit=3")
    rest = fund.get(f"/api/payouts?limit=3&cursor={first.body['next_cursor']}")

    assert every.status == 200, every.body
    assert ids(every)[:2] in (
        [payout_id(alpha, OCTOBER), payout_id(beta, OCTOBER)],
        [payout_id(beta, OCTOBER), payout_id(alpha, OCTOBER)],
    )
    assert len(ids(every)) == 4
    assert every.body["next_cursor"] is None
    assert set(ids(due)) <= {payout_id(alpha, SEPTEMBER), payout_id(alpha, OCTOBER)}
    assert ids(due)
    assert {item["status"] for item in due.body["items"]} == {"DUE"}
    assert {item["status"] for item in betas.body["items"]} == {"CARRIED"}
    assert ids(betas) == [payout_id(beta, OCTOBER), payout_id(beta, SEPTEMBER)]
    assert ids(first) + ids(rest) == ids(every)
    assert rest.body["next_cursor"] is None
    october = next(i for i in every.body["items"] if i["payout_id"] == payout_id(alpha, OCTOBER))
    assert october["crystallisation"]["payable"] == "60.00"


def test_a_payout_is_marked_paid_once_and_another_reference_is_refused(
    fund: ApiClient, senders: tuple[str, str]
) -> None:
    alpha, _ = senders
    target = payout_id(alpha, SEPTEMBER)
    path = f"/api/payouts/{target}/mark-paid"

    paid = fund.post(path, {"reference": "WIRE-0930"})
    again = fund.post(path, {"reference": "WIRE-0930"})
    audit_after_repeat = newest_audit(fund)
    other = fund.post(path, {"reference": "WIRE-OTHER"})
    listed_paid = fund.get(f"/api/payouts?status=PAID&sender_id={alpha}")
    listed_due = fund.get(f"/api/payouts?status=DUE&sender_id={alpha}")

    assert paid.status == 200, paid.body
    assert (paid.body["status"], paid.body["paid_reference"]) == ("PAID", "WIRE-0930")
    assert paid.body["paid_by"] == "admin@example.test"
    assert again.status == 200
    assert again.body == paid.body
    assert (other.status, other.body["field"]) == (409, "payout")
    assert "WIRE-0930" in other.body["error"]
    assert newest_audit(fund) == audit_after_repeat
    assert ids(listed_paid) == [target]
    assert listed_paid.body["items"][0] == paid.body
    assert ids(listed_due) == [payout_id(alpha, OCTOBER)]
    (entry,) = audit_of(fund, target)
    assert (entry["operation"], entry["by_email"]) == ("mark_payout_paid", "admin@example.test")
    assert (entry["before"]["status"], entry["after"]) == ("DUE", paid.body)


def test_a_payout_marked_paid_from_many_threads_at_once_is_paid_once(
    fund: ApiClient, senders: tuple[str, str]
) -> None:
    alpha, _ = senders
    target = payout_id(alpha, OCTOBER)
    path = f"/api/payouts/{target}/mark-paid"

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: fund.post(path, {"reference": "WIRE-1031"}), range(6)))

    assert [a.status for a in answers] == [200] * 6, [a.body for a in answers]
    assert len({a.body["paid_at"] for a in answers}) == 1
    stored = fund.services.accounting.payouts.get(target)
    assert stored.paid_reference == "WIRE-1031"
    records = fund.services.records
    assert [p.payout_id for p in records.list(PAYMENTS, type(stored))].count(target) == 1
    assert len(audit_of(fund, target)) == 1


def test_bad_payout_requests_are_refused_and_change_nothing(
    fund: ApiClient, senders: tuple[str, str]
) -> None:
    _, beta = senders
    before = fund.get("/api/payouts").body
    audit_before = newest_audit(fund)
    carried = f"/api/payouts/{payout_id(beta, SEPTEMBER)}/mark-paid"

    cases = [
        (fund.post(carried, {"reference": "WIRE-X"}), 422, "payout"),
        (fund.post("/api/payouts/nobody__2026-09/mark-paid", {"reference": "W"}), 404, None),
        (fund.post(carried, {}), 422, "reference"),
        (fund.post(carried, {"reference": ""}), 422, "reference"),
        (fund.post(carried, {"reference": "W", "amount": "5"}), 422, "amount"),
        (fund.get("/api/payouts?status=OPEN"), 422, "status"),
        (fund.get("/api/payouts?cursor=nope"), 422, "cursor"),
        (fund.get("/api/payouts?limit=0"), 422, "limit"),
    ]

    for answer, status, field in cases:
        assert answer.status == status, answer.body
        assert answer.body.get("field") == field, answer.body
    assert fund.get("/api/payouts").body == before
    assert newest_audit(fund) == audit_before
