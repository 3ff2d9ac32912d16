"""Backtests, the nightly optimiser function, the allocation workflow and the sandbox, on the
real local stack, driven through the CLI and the optimizer function's HTTP routes."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mats.domain.strategies import StrategyStatus
from mats.domain.trading import TradingMode
from mats.services.registry import StrategyChanges
from tests.builders import write_backtest
from tests.conftest import Stack, http_post, unique
from tests.integration.test_cli import mats, mats_json


@pytest.fixture(scope="module")
def desk(stack: Stack, services: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Three optimisable strategies with backtests loaded through `mats backtests ingest`."""
    directory = tmp_path_factory.mktemp("backtests")
    ids = [unique("opt") for _ in range(3)]
    for seed, (strategy_id, mean) in enumerate(zip(ids, (0.0009, 0.0007, 0.0005), strict=True)):
        services.strategies.create(
            strategy_id,
            StrategyChanges(
                name="Optimised",
                status=StrategyStatus.ACTIVE,
                trading_mode=TradingMode.PAPER,
                account="IBKR_Main",
                include_in_optimization=True,
            ),
        )
        write_backtest(directory, strategy_id, mean, seed)
    (directory / "metadata.csv").write_text(
        "strategy_id,margin_per_unit,currency,unit_cost\n"
        + "\n".join(f"{i},100,USD,400" for i in ids)
        + "\n"
    )
    result = mats(stack, "backtests", "ingest", "--data-dir", str(directory), "--json")
    assert result.returncode == 0, result.stderr
    return {"ids": ids, "dir": directory}


def register(services: Any, strategy_id: str) -> None:
    """Register a strategy that cannot trade: backtests are kept for registered ones only."""
    services.strategies.create(
        strategy_id,
        StrategyChanges(
            name=strategy_id,
            status=StrategyStatus.INACTIVE,
            trading_mode=TradingMode.PAPER,
            account="IBKR_Main",
        ),
    )


def post_optimizer(stack: Stack, route: str, body: dict[str, Any]) -> tuple[int, Any]:
    status, _, answer = http_post(
        f"{stack.info['function_urls']['optimizer']}{route}",
        json.dumps(body).encode(),
        {"Content-Type": "application/json"},
    )
    return status, answer


def test_ingest_reports_bad_files_by_line_and_stores_only_good_ones(
    stack: Stack, services: Any, tmp_path: Path
) -> None:
    good, bad = unique("good"), unique("bad")
    for strategy_id in (good, bad):
        register(services, strategy_id)
    write_backtest(tmp_path, good, 0.001, 7)
    (tmp_path / f"{bad}.csv").write_text("date,return\n2025-01-02,0.01\n2025-01-03,NaN\n")

    result = mats(stack, "backtests", "ingest", "--data-dir", str(tmp_path))
    listed = mats_json(stack, "backtests", "list")

    assert result.returncode == 1
    assert f"FAILED {bad}.csv: {bad}.csv:3" in result.stdout
    assert f"[1/2] {bad}: failed" in result.stderr
    ids = [b["strategy_id"] for b in listed]
    assert good in ids
    assert bad not in ids
    shown = mats_json(stack, "backtests", "show", good)
    assert shown["statistics"]["observations"] == 400
    assert shown["statistics"]["expected_alpha_per_trade"] is not None


def test_the_sync_job_runs_in_the_background_with_progress(stack: Stack, services: Any) -> None:
    directory = Path(stack.info["function_urls"] and stack.state_dir / "backtests")
    directory.mkdir(exist_ok=True)
    strategy_id = unique("synced")
    register(services, strategy_id)
    write_backtest(directory, strategy_id, 0.001, 11)

    queued = mats_json(stack, "backtests", "sync", "--strategy", strategy_id)
    deadline = time.monotonic() + 20
    job = queued
    while job["status"] in ("QUEUED", "RUNNING") and time.monotonic() < deadline:
        time.sleep(0.2)
        job = mats_json(stack, "backtests", "job", queued["job_id"])

    assert queued["status"] == "QUEUED"
    assert job["status"] == "COMPLETED"
    assert (job["done"], job["total"]) == (1, 1)
    assert job["results"] == {strategy_id: "stored"}
    assert mats_json(stack, "backtests", "show", strategy_id)["strategy_id"] == strategy_id


def test_nightly_run_recommends_and_an_approval_drives_cerebro(
    stack: Stack, services: Any, desk: dict[str, Any]
) -> None:
    status, run = post_optimizer(stack, "/run", {"run_date": "2031-01-02"})
    repeat_status, repeat = post_optimizer(stack, "/run", {"run_date": "2031-01-02"})
    recommendation = mats_json(stack, "allocations", "recommendation")["recommendation"]
    latest = mats_json(stack, "optimize", "latest")

    assert status == repeat_status == 200
    assert run["status"] == "COMPLETED"
    assert repeat["run_id"] == run["run_id"]
    assert set(desk["ids"]) <= set(run["eligible"])
    assert run["metrics"]["cvar"] <= 0.02 + 1e-9
    assert latest["run_id"] == run["run_id"]
    assert recommendation["allocation_id"] == run["allocation_id"]
    assert recommendation["status"] == "PENDING_APPROVAL"
    assert set(recommendation["metrics"]) >= {
        "expected_sharpe",
        "expected_volatility",
        "expected_cvar",
        "total_allocation_pct",
        "leverage_ratio",
    }

    # The session's stack is shared: earlier tests' strategies may still hold positions.
    approved = mats_json(stack, "allocations", "approve", run["allocation_id"], "--allow-close")
    current = mats_json(stack, "allocations", "current")
    history = mats_json(stack, "allocations", "history", "--limit", "50")

    assert approved["allocation"]["status"] == "ACTIVE"
    assert current["allocation_id"] == run["allocation_id"]
    assert [a["status"] for a in history].count("ACTIVE") == 1
    active = services.decision_store  # Cerebro reads the activation log on every signal.
    assert active is not None
    head = services.portfolio.head()
    assert head.allocation_id == run["allocation_id"]
    assert head.allocations == {k: Decimal(v) for k, v in recommendation["allocations"].items()}


def test_reject_and_custom_edit_through_the_cli(stack: Stack, desk: dict[str, Any]) -> None:
    _, run = post_optimizer(stack, "/run", {"run_date": "2031-01-03"})
    rejected = mats_json(
        stack, "allocations", "reject", run["allocation_id"], "--reason", "too concentrated"
    )
    again = mats(stack, "allocations", "approve", run["allocation_id"])
    first, second = desk["ids"][:2]
    edited = mats_json(
        stack,
        "allocations",
        "set",
        f"{first}=10",
        f"{second}=5",
        "--based-on",
        run["allocation_id"],
        "--allow-close",
    )

    assert rejected["status"] == "REJECTED"
    assert again.returncode == 1
    assert "only a PENDING_APPROVAL one can be approved" in again.stderr
    assert edited["allocation"]["based_on"] == run["allocation_id"]
    assert (
        mats_json(stack, "allocations", "current")["allocation_id"]
        == edited["allocation"]["allocation_id"]
    )


def test_a_run_that_cannot_allocate_is_recorded_as_failed(
    stack: Stack, desk: dict[str, Any]
) -> None:
    mats_json(stack, "optimize", "settings", "--cvar-limit", "0.00001", "--min-total", "1")
    try:
        status, run = post_optimizer(stack, "/run", {"run_date": "2031-01-04"})
    finally:
        mats_json(stack, "optimize", "settings", "--cvar-limit", "0.02", "--min-total", "0")

    assert status == 200
    assert run["status"] == "FAILED"
    assert run["error_code"] == "CVAR_LIMIT_TOO_LOW"
    assert run["error"].startswith("the CVaR limit 0.0010% is below the lowest CVaR")
    assert run["allocation_id"] is None


def test_sandbox_endpoint_and_cli_never_change_live_allocations(
    stack: Stack, desk: dict[str, Any], tmp_path: Path
) -> None:
    before = mats_json(stack, "allocations", "current")
    generator = np.random.default_rng(5)
    days = [str(d) for d in np.busday_offset("2024-06-03", np.arange(400), roll="forward")]
    idea = {"dates": days, "returns": list(0.001 + 0.008 * generator.standard_normal(400))}

    status, result = post_optimizer(
        stack,
        "/sandbox",
        {
            "strategies": {"idea": idea},
            "settings": {"method": "min_cvar", "min_total_allocation": 1.0},
        },
    )
    bad_status, bad = post_optimizer(
        stack, "/sandbox", {"strategies": {"idea": {"dates": days[:3], "returns": [0.1]}}}
    )
    csv_file = write_backtest(tmp_path, "what-if", 0.0015, 3)
    other_file = write_backtest(tmp_path, "or-else", 0.0010, 4)
    cli = mats_json(
        stack,
        "sandbox",
        "run",
        "--strategy-csv",
        str(csv_file),
        "--strategy-csv",
        str(other_file),
        "--no-live",
        "--method",
        "min_cvar",
        "--min-total",
        "1",
        "--max-weight",
        "1",
    )
    stored = mats_json(stack, "sandbox", "show", result["sandbox_id"])

    assert status == 200
    assert result["status"] == "COMPLETED"
    assert "idea" in result["weights"]
    assert len(result["frontier"]) == 25
    assert len(result["proposed_equity"]) == len(result["dates"]) == len(result["current_equity"])
    assert bad_status == 422
    assert bad["field"] == "strategies.idea"
    assert cli["status"] == "COMPLETED"
    assert set(cli["weights"]) == {"what-if", "or-else"}
    assert sum(cli["weights"].values()) == pytest.approx(1.0)
    single = mats(stack, "sandbox", "run", "--strategy-csv", str(csv_file), "--no-live", "--json")
    assert single.returncode == 1
    assert (json.loads(single.stdout)["status"], json.loads(single.stdout)["error_code"]) == (
        "FAILED",
        "ONE_STRATEGY",
    )
    assert stored["sandbox_id"] == result["sandbox_id"]
    assert mats_json(stack, "allocations", "current") == before


def test_sandbox_max_sharpe_holds_a_tight_cvar_limit(stack: Stack, tmp_path: Path) -> None:
    files = [
        str(write_backtest(tmp_path, f"idea-{n}", mean, seed=20 + n))
        for n, mean in enumerate((0.0012, 0.0009, 0.0006, 0.0003))
    ]
    csvs = [argument for path in files for argument in ("--strategy-csv", path)]
    common = ["sandbox", "run", *csvs, "--no-live", "--max-weight", "0.5"]
    lowest = mats_json(
        stack, *common, "--method", "min_cvar", "--min-total", "1", "--max-total", "1"
    )
    free = mats_json(stack, *common, "--method", "max_sharpe", "--cvar-limit", "1")
    limit = lowest["metrics"]["cvar"] + 0.05 * (free["metrics"]["cvar"] - lowest["metrics"]["cvar"])

    bound = mats_json(stack, *common, "--method", "max_sharpe", "--cvar-limit", str(limit))

    assert (lowest["status"], free["status"], bound["status"]) == ("COMPLETED",) * 3
    assert bound["metrics"]["cvar"] <= limit
    assert sum(bound["weights"].values()) == pytest.approx(1.0)
    assert lowest["metrics"]["sharpe"] < bound["metrics"]["sharpe"] < free["metrics"]["sharpe"]


def test_a_max_sharpe_sandbox_run_stores_the_frontier_with_its_proposal_on_or_below_it(
    stack: Stack, tmp_path: Path
) -> None:
    files = [
        str(write_backtest(tmp_path, f"curve-{n}", mean, seed=40 + n))
        for n, mean in enumerate((0.0011, 0.0008, 0.0005))
    ]
    csvs = [argument for path in files for argument in ("--strategy-csv", path)]

    run = mats_json(stack, "sandbox", "run", *csvs, "--no-live", "--method", "max_sharpe")
    text = mats(stack, "sandbox", "show", run["sandbox_id"])
    stored = mats_json(stack, "sandbox", "show", run["sandbox_id"])

    assert run["status"] == "COMPLETED"
    frontier = run["frontier"]
    assert len(frontier) == 25
    assert [p["cvar"] for p in frontier] == sorted(p["cvar"] for p in frontier)
    proposal = run["metrics"]
    reach = next((p for p in frontier if p["cvar_limit"] >= proposal["cvar"]), frontier[-1])
    assert reach["expected_return_annual"] >= proposal["expected_return_annual"] - 1e-9
    assert stored["frontier"] == frontier
    assert text.returncode == 0
    assert "frontier (daily CVaR -> return/yr): " in text.stdout


def test_a_sandbox_run_that_failed_prints_its_error_and_exits_1(
    stack: Stack, tmp_path: Path
) -> None:
    alone = ["--strategy-csv", str(write_backtest(tmp_path, "alone", 0.001, 8)), "--no-live"]

    text = mats(stack, "sandbox", "run", *alone)
    as_json = mats(stack, "sandbox", "run", *alone, "--json")
    document = json.loads(as_json.stdout)
    shown = mats(stack, "sandbox", "show", document["sandbox_id"])

    assert text.returncode == as_json.returncode == shown.returncode == 1
    assert " FAILED" in text.stdout.splitlines()[0]
    assert text.stderr.startswith("error: ONE_STRATEGY: only alone is eligible")
    assert (document["status"], document["error_code"]) == ("FAILED", "ONE_STRATEGY")
    assert document["error"].startswith("only alone is eligible")
    assert shown.stderr == text.stderr


def test_an_optimize_run_that_failed_exits_1_in_text_and_json(
    stack: Stack, desk: dict[str, Any]
) -> None:
    mats_json(stack, "optimize", "settings", "--cvar-limit", "0.00001", "--min-total", "1")
    try:
        text = mats(stack, "optimize", "run", "--date", "2031-02-01")
        as_json = mats(stack, "optimize", "run", "--date", "2031-02-02", "--json")
    finally:
        mats_json(stack, "optimize", "settings", "--cvar-limit", "0.02", "--min-total", "0")
    document = json.loads(as_json.stdout)
    shown = mats(stack, "optimize", "show", document["run_id"], "--json")
    latest = mats(stack, "optimize", "latest")

    assert text.returncode == as_json.returncode == shown.returncode == latest.returncode == 1
    assert "FAILED, method max_return" in text.stdout
    assert text.stderr.startswith("error: CVAR_LIMIT_TOO_LOW: the CVaR limit 0.0010% is below")
    assert (document["status"], document["error_code"]) == ("FAILED", "CVAR_LIMIT_TOO_LOW")
    assert json.loads(shown.stdout)["run_id"] == document["run_id"]
    assert latest.stderr.startswith("error: CVAR_LIMIT_TOO_LOW:")
    completed = mats(stack, "optimize", "run", "--date", "2031-02-03")
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""


def test_a_backtest_job_that_failed_exits_1(stack: Stack, services: Any) -> None:
    # Registered, so the job is queued, but with no CSV file: the job itself fails.
    (stack.state_dir / "backtests").mkdir(exist_ok=True)
    strategy_id = unique("fileless")
    services.strategies.create(
        strategy_id,
        StrategyChanges(
            name="No file",
            status=StrategyStatus.ACTIVE,
            trading_mode=TradingMode.PAPER,
            account="IBKR_Main",
        ),
    )
    queued = mats_json(stack, "backtests", "sync", "--strategy", strategy_id)
    deadline = time.monotonic() + 20
    shown = mats(stack, "backtests", "job", queued["job_id"], "--json")
    while json.loads(shown.stdout)["status"] in ("QUEUED", "RUNNING"):
        assert time.monotonic() < deadline, shown.stdout
        assert shown.returncode == 0
        time.sleep(0.2)
        shown = mats(stack, "backtests", "job", queued["job_id"], "--json")
    text = mats(stack, "backtests", "job", queued["job_id"])

    assert json.loads(shown.stdout)["status"] == "FAILED"
    assert shown.returncode == text.returncode == 1
    assert f"{queued['job_id']} FAILED" in text.stdout
    assert text.stderr.startswith(f"error: {strategy_id}.csv:0: no such file in ")


def test_optimizer_routes_and_methods(stack: Stack) -> None:
    assert post_optimizer(stack, "/nowhere", {})[0] == 404
    assert post_optimizer(stack, "/run", {"run_date": "tomorrow"})[0] == 422
