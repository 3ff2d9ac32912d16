"""A sender's own pages over the API: the page itself (their P&L view, never a list that grows
with the history) and their payouts, paged newest month first without a repeat or a gap; another
sender's payouts are a 404."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from mats.domain.funds.payouts import Crystallisation
from mats.services.accounting.payouts import PAYOUTS, Payout, payout_id
from tests.conftest import unique
from tests.integration.api.client import ApiClient

MONTHS = [f"{year}-{month:02d}" for year in (2024, 2025) for month in range(1, 13)]


def _payout(sender_id: str, month: str) -> Payout:
    at = datetime.fromisoformat(f"{month}-28T22:00:00+00:00").astimezone(UTC)
    fee = Decimal(f"{int(month[-2:]) * 10}.25")
    return Payout(
        payout_id=payout_id(sender_id, month),
        sender_id=sender_id,
        month=month,
        crystallised_at=at,
        open=False,
        crystallisation=Crystallisation(
            sender_id=sender_id,
            month=month,
            at=at,
            cumulative_pnl=Decimal(10_000),
            hwm_before=Decimal(9_000),
            hwm_after=Decimal(10_000),
            fee=fee,
            carried_in=Decimal(0),
            payable=fee,
            carried_out=Decimal(0),
            payment_date=date.fromisoformat(f"{month}-28"),
        ),
        paid_at=at,
        paid_reference=f"wire-{month}",
        paid_by="ops@example.test",
    )


def _senders_with_payouts(api: ApiClient) -> tuple[str, str]:
    services: Any = api.services
    ours = services.senders.create(unique("Payout Sender")).sender.sender_id
    theirs = services.senders.create(unique("Other Sender")).sender.sender_id
    for month in MONTHS:
        services.records.create(PAYOUTS, payout_id(ours, month), _payout(ours, month))
    services.records.create(PAYOUTS, payout_id(theirs, "2025-06"), _payout(theirs, "2025-06"))
    return ours, theirs


def test_a_sender_pages_through_their_payouts_newest_first(api: ApiClient) -> None:
    ours, theirs = _senders_with_payouts(api)
    sender = api.user(unique("sender"), {"role": "sender", "sender_id": ours})
    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    pages = 0
    while True:
        query = f"?limit=10&cursor={cursor}" if cursor else "?limit=10"
        answer = api.get(f"/api/senders/{ours}/payouts{query}", as_=sender)
        assert answer.status == 200, answer.body
        seen += answer.body["items"]
        pages += 1
        cursor = answer.body["next_cursor"]
        if cursor is None:
            break

    assert pages == 3
    assert [p["month"] for p in seen] == sorted(MONTHS, reverse=True)
    assert {p["sender_id"] for p in seen} == {ours}
    december = seen[0]
    assert december["crystallisation"]["payable"] == "120.25"
    assert december["paid_reference"] == "wire-2025-12"
    assert api.get(f"/api/senders/{theirs}/payouts", as_=sender).status == 404
    page = api.get("/api/me", as_=sender).body["sender"]
    assert page["sender_id"] == ours
    assert "payouts" not in page  # The page is constant-size: its payouts are this list.


def test_a_cursor_that_is_not_one_is_refused_by_name(api: ApiClient) -> None:
    ours, _ = _senders_with_payouts(api)

    refused = api.get(f"/api/senders/{ours}/payouts?cursor=no-such-payout")

    assert (refused.status, refused.body["field"]) == (422, "cursor")
