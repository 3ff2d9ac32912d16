"""Optimisation runs, the sandbox and custom allocations over the API: a what-if run with
hypothetical strategies answers with its frontier and curves and never touches the live
allocation; runs page by cursor; a custom allocation is approved by the signed-in admin, and
every refusal names its field and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from mats.domain.optimization import OptimizationRun, RunStatus
from tests.builders import write_backtest
from tests.conftest import unique
from tests.integration.api.client import ApiClient
from tests.integration.api.writes import audit_of, newest_audit, put, recorded_account, register

CUSTOM = "/api/portfolio/allocations/custom"


def backtest_csv(directory: Path, mean: float, seed: int) -> str:
    return write_backtest(directory, unique("csv"), mean, seed).read_text()


def sandbox_ids(api: ApiClient) -> list[str]:
    stored = api.services.firestore.collection("sandbox_runs").stream()
    return sorted((snapshot.id for snapshot in stored), reverse=True)


def test_a_sandbox_run_of_hypothetical_strategies_has_its_frontier_and_curves(
    api: ApiClient, tmp_path: Path
) -> None:
    current = api.get("/api/portfolio/allocations/current").body
    body = {
        "hypothetical": {
            "what-if": backtest_csv(tmp_path, 0.0015, 3),
            "or-else": backtest_csv(tmp_path, 0.0010, 4),
        },
        "include_live": False,
        "settings": {"method": "min_cvar", "min_total_allocation": 1.0, "max_weight": 1},
    }

    run = api.post("/api/sandbox/runs", body)
    stored = api.get(f"/api/sandbox/runs/{run.body['sandbox_id']}")

    assert run.status == 201, run.body
    result = run.body
    assert result["status"] == "COMPLETED", result
    assert set(result["weights"]) == {"what-if", "or-else"}
    assert result["hypothetical"] == ["or-else", "what-if"]
    assert result["requested_by"] == "admin@example.test"
    assert len(result["frontier"]) == 25
    days = len(result["dates"])
    assert days > 300
    assert len(result["proposed_equity"]) == len(result["proposed_drawdown"]) == days
    assert max(result["proposed_drawdown"]) <= 0
    assert stored.body == result
    assert api.get("/api/portfolio/allocations/current").body == current
    (entry,) = audit_of(api, result["sandbox_id"])
    assert entry["operation"] == "run_sandbox"
    assert "proposed_equity" not in entry["after"]


def test_a_sandbox_run_the_optimiser_cannot_solve_is_stored_as_failed(
    api: ApiClient, tmp_path: Path
) -> None:
    body = {"hypothetical": {"alone": backtest_csv(tmp_path, 0.001, 8)}, "include_live": False}

    run = api.post("/api/sandbox/runs", body)

    assert run.status == 201
    assert (run.body["status"], run.body["error_code"]) == ("FAILED", "ONE_STRATEGY")
    assert api.get(f"/api/sandbox/runs/{run.body['sandbox_id']}").body == run.body


def test_bad_sandbox_requests_name_the_field_and_store_nothing(
    api: ApiClient, tmp_path: Path
) -> None:
    good = backtest_csv(tmp_path, 0.001, 9)
    live = register(api)
    runs_before, audit_before = sandbox_ids(api), newest_audit(api)

    def posted(body: dict[str, Any]) -> Any:
        return api.post("/api/sandbox/runs", {"include_live": False, **body})

    cases = [
        (posted({"settings": {"max_weight": 0}}), "settings.max_weight", "must be"),
        (posted({"settings": {"cvar_confidence": 1}}), "settings.cvar_confidence", ""),
        (posted({"settings": {"bogus": 1}}), "settings.bogus", "not a field"),
        (posted({"settings": {"method": "best"}}), "settings.method", "one of"),
        (posted({"hypothetical": {"bad id!": good}}), "hypothetical.bad id!", "letters"),
        (posted({"hypothetical": {"idea": 5}}), "hypothetical.idea", "CSV"),
        (
            posted({"hypothetical": {"idea": "date,return\n2024-01-02,0.01\n2024-01-03,x\n"}}),
            "hypothetical.idea",
            "line 3: return 'x' is not a number",
        ),
        (
            api.post("/api/sandbox/runs", {"hypothetical": {live: good}}),
            f"hypothetical.{live}",
            "registered strategy",
        ),
        (posted({"include_live": "no"}), "include_live", "boolean"),
    ]

    for answer, field, words in cases:
        assert answer.status == 422, answer.body
        assert answer.body["field"] == field
        assert words in answer.body["error"], answer.body
    assert sandbox_ids(api) == runs_before
    assert newest_audit(api) == audit_before
    assert api.get("/api/sandbox/runs/SBX_NOPE").status == 404


def test_sandbox_runs_page_newest_first_and_never_repeat_or_skip(
    api: ApiClient, tmp_path: Path
) -> None:
    body = {"hypothetical": {"alone": backtest_csv(tmp_path, 0.001, 10)}, "include_live": False}
    for _ in range(3):
        assert api.post("/api/sandbox/runs", body).status == 201
    seen: list[str] = []
    cursor = None
    for _ in range(100):
        answer = api.get("/api/sandbox/runs?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        assert answer.status == 200, answer.body
        assert len(answer.body["items"]) <= 2
        seen += [item["sandbox_id"] for item in answer.body["items"]]
        assert all("proposed_equity" not in item for item in answer.body["items"])
        cursor = answer.body["next_cursor"]
        if cursor is None:
            break

    assert seen == sandbox_ids(api)
    assert len(seen) >= 3
    stale = api.get("/api/sandbox/runs?cursor=SBX_NOPE")
    assert (stale.status, stale.body["field"]) == (422, "cursor")
    assert api.get("/api/sandbox/runs?limit=51").status == 422


def test_the_latest_optimisation_run_and_any_run_by_id_show_the_correlation_matrix(
    api: ApiClient,
) -> None:
    run_id = unique("OPT")
    correlation = {"a": {"a": 1.0, "b": 0.25}, "b": {"a": 0.25, "b": 1.0}}
    api.services.portfolio.create_run(
        OptimizationRun(
            run_id=run_id,
            run_date=datetime.now(UTC).date(),
            created_at=datetime.now(UTC),
            status=RunStatus.COMPLETED,
            method="max_return",
            settings={"method": "max_return"},
            requested_by="test",
            eligible=("a", "b"),
            weights={"a": 0.3, "b": 0.2},
            correlation=correlation,
        )
    )

    latest = api.get("/api/portfolio/optimization/latest")
    by_id = api.get(f"/api/portfolio/optimization/runs/{run_id}")

    assert latest.status == 200
    assert latest.body["run_id"] == run_id
    assert latest.body["correlation"] == correlation
    assert by_id.body == latest.body
    assert api.get("/api/portfolio/optimization/runs/OPT_NOPE").status == 404


def test_a_custom_allocation_is_approved_by_the_signed_in_admin(api: ApiClient) -> None:
    first, second = register(api), register(api)
    before = api.get("/api/portfolio/allocations/current").body

    answer = put(
        api,
        CUSTOM,
        {
            "allocations": {first: "10", second: "5.25"},
            "notes": "desk decision",
            "allow_close": True,
            **({"expected_current": before["allocation_id"]} if before else {}),
        },
    )

    assert answer.status == 200, answer.body
    allocation = answer.body["allocation"]
    assert allocation["status"] == "ACTIVE"
    assert allocation["allocations"] == {first: "10", second: "5.25"}
    assert allocation["approved_by"] == "admin@example.test"
    assert allocation["notes"] == "desk decision"
    current = api.get("/api/portfolio/allocations/current").body
    assert {name: value for name, value in current.items() if name != "capital"} == allocation
    (entry,) = audit_of(api, allocation["allocation_id"])
    assert entry["operation"] == "set_custom_allocation"
    in_force = (
        {name: value for name, value in before.items() if name != "capital"} if before else None
    )
    assert (entry["before"], entry["after"]) == (in_force, allocation)


def test_bad_custom_allocations_name_the_field_and_change_nothing(api: ApiClient) -> None:
    held, other = register(api), register(api)
    assert put(api, CUSTOM, {"allocations": {held: "10"}, "allow_close": True}).status == 200
    current = api.get("/api/portfolio/allocations/current").body
    audit_before = newest_audit(api)

    cases = [
        (put(api, CUSTOM, {"allocations": {other: 10}}), 422, f"allocations.{other}", "JSON"),
        (put(api, CUSTOM, {"allocations": {other: "51"}}), 422, f"allocations.{other}", "cap"),
        (put(api, CUSTOM, {"allocations": {other: "-1"}}), 422, f"allocations.{other}", ""),
        (put(api, CUSTOM, {"allocations": {"ghost": "5"}}), 422, "allocations.ghost", "exist"),
        (put(api, CUSTOM, {"allocations": {}}), 422, "allocations", "at least one"),
        (put(api, CUSTOM, {"notes": "x"}), 422, "allocations", "required"),
        (
            put(api, CUSTOM, {"allocations": {other: "5"}, "based_on": "ALLOC_NOPE"}),
            422,
            "based_on",
            "does not exist",
        ),
        (
            put(api, CUSTOM, {"allocations": {other: "5"}, "expected_current": "ALLOC_OLD"}),
            409,
            None,
            f"the ACTIVE allocation is {current['allocation_id']}, not ALLOC_OLD",
        ),
        (api.get(CUSTOM), 405, None, "not a method"),
    ]

    for answer, status, field, words in cases:
        assert answer.status == status, answer.body
        assert answer.body.get("field") == field, answer.body
        assert words in answer.body["error"], answer.body
    assert api.get("/api/portfolio/allocations/current").body == current
    assert newest_audit(api) == audit_before


def test_a_custom_allocation_that_drops_a_strategy_still_trading_needs_allow_close(
    api: ApiClient,
) -> None:
    account = recorded_account(api)
    held, other = register(api, account), register(api, account)
    assert put(api, CUSTOM, {"allocations": {held: "10"}, "allow_close": True}).status == 200
    api.services.operations.set_position(account, held, "MSFT", Decimal(600))
    current = api.get("/api/portfolio/allocations/current").body
    try:
        refused = put(api, CUSTOM, {"allocations": {other: "5"}})
        unchanged = api.get("/api/portfolio/allocations/current").body
        allowed = put(api, CUSTOM, {"allocations": {other: "5"}, "allow_close": True})
    finally:
        api.services.operations.set_position(account, held, "MSFT", Decimal(0))

    assert (refused.status, refused.body["field"]) == (422, "allocations")
    assert f"{held} (was 10%; holds long 600 MSFT on {account})" in refused.body["error"]
    assert unchanged == current
    assert allowed.status == 200
    assert allowed.body["closed"] == [held]
