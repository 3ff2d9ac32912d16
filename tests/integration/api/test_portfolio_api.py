"""Allocations over the API: an admin approves or rejects a recommendation as themselves, a
stale write is a 409 that changes nothing, and each write is in the audit log once."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from mats.domain.strategies import StrategyStatus
from mats.domain.trading import TradingMode
from mats.services.registry import StrategyChanges
from tests.conftest import unique
from tests.integration.api.client import ApiClient
from tests.integration.api.shapes import answer_schema, problems

ACCOUNT = "IBKR_Main"


def recommend(services: Any) -> tuple[str, str]:
    strategy_id = unique("api-alloc")
    services.strategies.create(
        strategy_id,
        StrategyChanges(
            name=strategy_id,
            status=StrategyStatus.ACTIVE,
            trading_mode=TradingMode.PAPER,
            account=ACCOUNT,
        ),
    )
    # What other tests on this stack left trading keeps its percent: only this strategy is new.
    active = services.allocations.current()
    kept = dict(active.allocations) if active is not None else {}
    proposal = services.allocations.propose(
        {**kept, strategy_id: Decimal(5)}, run_id=unique("OPT"), metrics={}
    )
    return strategy_id, proposal.allocation_id


def audit_of(api: ApiClient, target: str) -> list[dict[str, Any]]:
    entries = api.get("/api/audit-log?limit=200").body["items"]
    return [entry for entry in entries if entry["target"] == target]


def test_an_admin_approves_a_recommendation_as_themselves(api: ApiClient) -> None:
    services = api.services
    strategy_id, allocation_id = recommend(services)
    shown = api.get("/api/portfolio/allocations/latest-recommendation")
    assert shown.body["allocation_id"] == allocation_id

    approved = api.post(f"/api/portfolio/allocations/{allocation_id}/approve", {})

    assert approved.status == 200, approved.body
    assert approved.body["allocation"]["status"] == "ACTIVE"
    assert approved.body["allocation"]["approved_by"] == "admin@example.test"
    current = api.get("/api/portfolio/allocations/current").body
    assert current["allocation_id"] == allocation_id
    assert current["allocations"][strategy_id] == "5"
    (entry,) = audit_of(api, allocation_id)
    assert entry["operation"] == "approve_allocation"
    assert entry["by_email"] == "admin@example.test"
    assert entry["before"]["status"] == "PENDING_APPROVAL"
    assert entry["after"]["status"] == "ACTIVE"
    # The same approval again is answered and changes nothing (no second audit record).
    again = api.post(f"/api/portfolio/allocations/{allocation_id}/approve")
    assert again.status == 200
    assert len(audit_of(api, allocation_id)) == 1


def test_rejecting_what_is_no_longer_pending_is_a_conflict_that_changes_nothing(
    api: ApiClient,
) -> None:
    _, allocation_id = recommend(api.services)
    assert api.post(f"/api/portfolio/allocations/{allocation_id}/approve").status == 200

    refused = api.post(f"/api/portfolio/allocations/{allocation_id}/reject", {"reason": "late"})

    assert refused.status == 409
    assert "ACTIVE" in refused.body["error"]
    assert api.services.allocations.get(allocation_id).status.value == "ACTIVE"
    assert [e["operation"] for e in audit_of(api, allocation_id)] == ["approve_allocation"]


def test_a_rejection_records_the_admin_and_the_reason(api: ApiClient) -> None:
    _, allocation_id = recommend(api.services)

    rejected = api.post(
        f"/api/portfolio/allocations/{allocation_id}/reject", {"reason": "too concentrated"}
    )

    assert rejected.status == 200
    assert rejected.body["rejected_by"] == "admin@example.test"
    assert rejected.body["rejection_reason"] == "too concentrated"
    assert [e["operation"] for e in audit_of(api, allocation_id)] == ["reject_allocation"]


def test_bad_requests_name_the_problem_and_change_nothing(api: ApiClient) -> None:
    _, allocation_id = recommend(api.services)
    path = f"/api/portfolio/allocations/{allocation_id}/reject"

    cases = [
        (api.call("POST", path, raw=b"{not json"), 400, "body"),
        (api.call("POST", path, raw=b"[1]"), 400, "body"),
        (api.post(path, {"reason": ""}), 422, "reason"),
        (api.post(path, {"reason": "x", "force": True}), 422, "force"),
        (api.post("/api/portfolio/allocations/ALLOC_NOPE/reject", {"reason": "x"}), 404, None),
        (api.get(path), 405, None),
        (api.get("/api/portfolio/nothing"), 404, None),
    ]

    for answer, status, field in cases:
        assert answer.status == status, answer.body
        assert isinstance(answer.body["error"], str)
        assert answer.body.get("field") == field
    assert api.services.allocations.get(allocation_id).status.value == "PENDING_APPROVAL"
    assert audit_of(api, allocation_id) == []


def test_history_pages_with_cursors_never_repeat_or_skip(api: ApiClient) -> None:
    for _ in range(3):
        recommend(api.services)
    seen: list[str] = []
    cursor = None
    for _ in range(100):
        query = "/api/portfolio/allocations/history?limit=2" + (
            f"&cursor={cursor}" if cursor else ""
        )
        answer = api.get(query)
        assert answer.status == 200, answer.body
        seen += [item["allocation_id"] for item in answer.body["items"]]
        cursor = answer.body["next_cursor"]
        if cursor is None:
            break
    every = [a.allocation_id for a in api.services.allocations.history(limit=1000)]

    assert seen == every
    stale = api.get("/api/portfolio/allocations/history?cursor=ALLOC_NOPE")
    assert (stale.status, stale.body["field"]) == (422, "cursor")


def test_the_current_allocation_shows_each_strategys_capital_at_the_funds_equity(
    api: ApiClient,
) -> None:
    _, allocation_id = recommend(api.services)
    api.post(f"/api/portfolio/allocations/{allocation_id}/approve", {})
    fund = api.services.accounting.refresh()

    current = api.get("/api/portfolio/allocations/current")

    assert current.status == 200
    assert problems(current.body, answer_schema("/api/portfolio/allocations/current")) == []
    capital = current.body["capital"]
    assert (capital["base_currency"], capital["equity"]) == (
        fund.base_currency,
        str(fund.equity),
    )
    equity = Decimal(capital["equity"])
    for strategy_id, percent in current.body["allocations"].items():
        worked_out = (equity * Decimal(percent) / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert Decimal(capital["by_strategy"][strategy_id]) == worked_out
    assert set(capital["by_strategy"]) == set(current.body["allocations"])


def test_a_recommendation_lists_every_strategy_beside_the_allocation_in_force(
    api: ApiClient,
) -> None:
    strategy_id, allocation_id = recommend(api.services)
    active = api.get("/api/portfolio/allocations/current").body
    in_force = active["allocations"] if active else {}

    shown = api.get("/api/portfolio/allocations/latest-recommendation")

    assert shown.body["allocation_id"] == allocation_id
    path = "/api/portfolio/allocations/latest-recommendation"
    assert problems(shown.body, answer_schema(path)) == []
    lines = {line["strategy_id"]: line for line in shown.body["against_current"]}
    assert list(lines) == sorted(set(in_force) | set(shown.body["allocations"]))
    assert lines[strategy_id] == {
        "strategy_id": strategy_id,
        "current": "0",
        "recommended": "5",
        "change": "5",
    }
    for line in lines.values():
        assert Decimal(line["current"]) == Decimal(in_force.get(line["strategy_id"], "0"))
        recommended = Decimal(shown.body["allocations"].get(line["strategy_id"], "0"))
        assert Decimal(line["recommended"]) == recommended
        assert Decimal(line["change"]) == recommended - Decimal(line["current"])
