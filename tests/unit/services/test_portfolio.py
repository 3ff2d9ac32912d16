"""The allocation workflow, backtest loading and the optimiser service, over in-memory stores."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mats.adapters.backtest_files import DirectoryBacktestFiles
from mats.domain.backtests import BacktestFileError
from mats.domain.optimization import JobStatus, RunStatus
from mats.domain.optimizer.settings import NOISE_WEIGHT
from mats.domain.portfolio import AllocationStatus
from mats.domain.strategies import StrategyStatus
from mats.errors import ConflictError, ValidationError
from mats.services.allocations import AllocationService
from mats.services.backtests import BacktestService, parse_hypothetical
from mats.services.optimizer import OptimizerService, SandboxRequest
from mats.services.registry import StrategyService
from tests.builders import a_strategy
from tests.fakes import (
    FakeClock,
    FakePublisher,
    InMemoryAccountStore,
    InMemoryExecutionStore,
    InMemoryPortfolio,
    InMemorySenderStore,
    InMemoryStrategyStore,
)


class World:
    def __init__(self, data_dir: Path) -> None:
        self.clock = FakeClock()
        self.store = InMemoryPortfolio()
        self.strategies = InMemoryStrategyStore()
        self.publisher = FakePublisher()
        self.accounts = InMemoryAccountStore("IBKR_Futures", "IBKR_Main")
        self.execution = InMemoryExecutionStore()
        self.registry = StrategyService(
            self.strategies,
            InMemorySenderStore(),
            self.accounts,
            self.clock,
            allocations=self.store,
            positions=self.execution,
            orders=self.execution,
        )
        self.allocations = AllocationService(
            self.store,
            self.strategies,
            positions=self.execution,
            orders=self.execution,
            clock=self.clock,
        )
        self.backtests = BacktestService(self.store, self.registry, self.publisher, self.clock)
        self.optimizer = OptimizerService(self.store, self.strategies, self.allocations, self.clock)
        self.data_dir = data_dir
        self.files = DirectoryBacktestFiles(data_dir)

    def strategy(self, strategy_id: str, **overrides: Any) -> None:
        fields = {"status": StrategyStatus.ACTIVE, "include_in_optimization": True} | overrides
        self.strategies.create(a_strategy(strategy_id, **fields))


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def write_backtest(
    directory: Path, strategy_id: str, mean: float, seed: int, days: int = 300
) -> None:
    generator = np.random.default_rng(seed)
    dates = np.busday_offset("2025-01-01", np.arange(days), roll="forward")
    returns = mean + 0.01 * generator.standard_t(5, days) / np.sqrt(5 / 3)
    rows = "\n".join(f"{d},{r:.8f},1" for d, r in zip(dates, returns, strict=True))
    (directory / f"{strategy_id}.csv").write_text(f"date,return,trades\n{rows}\n")


def three_strategies(world: World) -> None:
    for seed, (strategy_id, mean) in enumerate(
        {"alpha": 0.0008, "beta": 0.0006, "gamma": 0.0004}.items()
    ):
        world.strategy(strategy_id)
        write_backtest(world.data_dir, strategy_id, mean, seed)
    (world.data_dir / "metadata.csv").write_text(
        "strategy_id,margin_per_unit,currency,unit_cost\nalpha,5000,USD,50000\nbeta,100,USD,400\n"
    )
    world.backtests.ingest(world.files)


# --- the allocation workflow ---------------------------------------------------------------


def test_approving_a_recommendation_archives_the_previous_active_one(world: World) -> None:
    world.strategy("alpha")
    first = world.allocations.set_custom({"alpha": Decimal(20)}, approved_by="ops")
    world.clock.advance(1)
    proposal = world.allocations.propose({"alpha": Decimal(30)}, run_id="OPT_1", metrics={})

    approved = world.allocations.approve(proposal.allocation_id, approved_by="pm")

    assert approved.allocation.status is AllocationStatus.ACTIVE
    assert approved.archived == (first.allocation.allocation_id,)
    assert world.allocations.current().allocation_id == proposal.allocation_id
    statuses = [a.status for a in world.store.allocations.values()]
    assert statuses.count(AllocationStatus.ACTIVE) == 1
    assert (
        world.store.allocations[first.allocation.allocation_id].status is AllocationStatus.ARCHIVED
    )


def test_concurrent_approvals_leave_exactly_one_active(world: World) -> None:
    world.strategy("alpha")
    proposals = []
    for percent in range(8):
        world.clock.advance(1)
        proposals.append(
            world.allocations.propose({"alpha": Decimal(percent)}, run_id="OPT", metrics={})
        )
    outcomes: list[str] = []
    barrier = threading.Barrier(len(proposals))

    def approve(allocation_id: str) -> None:
        barrier.wait()
        try:
            world.allocations.approve(allocation_id, approved_by="pm")
            outcomes.append("approved")
        except ConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=approve, args=(p.allocation_id,)) for p in proposals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    head = world.store.head()
    assert len(world.store.activations) == outcomes.count("approved")
    assert world.allocations.current().allocation_id == head.allocation_id


def test_reject_and_the_states_that_cannot_be_approved(world: World) -> None:
    world.strategy("alpha")
    proposal = world.allocations.propose({"alpha": Decimal(10)}, run_id="OPT", metrics={})

    rejected = world.allocations.reject(proposal.allocation_id, rejected_by="pm", reason="too much")

    assert rejected.status is AllocationStatus.REJECTED
    assert rejected.rejection_reason == "too much"
    with pytest.raises(ConflictError, match="REJECTED"):
        world.allocations.approve(proposal.allocation_id, approved_by="pm")


def test_custom_edits_are_validated_against_the_caps_and_the_registry(world: World) -> None:
    world.strategy("alpha")
    world.strategy("beta")
    with pytest.raises(ValidationError, match="50% cap"):
        world.allocations.set_custom({"alpha": Decimal(51)}, approved_by="pm")
    with pytest.raises(ValidationError, match="does not exist"):
        world.allocations.set_custom({"ghost": Decimal(5)}, approved_by="pm")
    activated = world.allocations.set_custom(
        {"alpha": Decimal(50), "beta": Decimal(50)}, approved_by="pm"
    )
    again = world.allocations.set_custom(
        {"alpha": Decimal(10)}, approved_by="pm", based_on=activated.allocation.allocation_id
    )

    assert again.allocation.allocation_id == f"{activated.allocation.allocation_id}_2"
    assert again.allocation.based_on == activated.allocation.allocation_id


def test_a_custom_edit_from_an_allocation_no_longer_active_is_a_conflict(world: World) -> None:
    world.strategy("alpha")
    first = world.allocations.set_custom({"alpha": Decimal(10)}, approved_by="pm")
    world.clock.advance(1)
    second = world.allocations.set_custom({"alpha": Decimal(20)}, approved_by="other pm")
    stored = dict(world.store.allocations)

    with pytest.raises(ConflictError, match=f"is {second.allocation.allocation_id}, not "):
        world.allocations.set_custom(
            {"alpha": Decimal(30)},
            approved_by="pm",
            expected_current=first.allocation.allocation_id,
        )
    unchanged = dict(world.store.allocations)
    world.clock.advance(1)
    third = world.allocations.set_custom(
        {"alpha": Decimal(30)}, approved_by="pm", expected_current=second.allocation.allocation_id
    )

    assert unchanged == stored
    assert world.allocations.current() == third.allocation


def test_history_pages_backwards(world: World) -> None:
    world.strategy("alpha")
    for percent in range(5):
        world.clock.advance(1)
        world.allocations.set_custom({"alpha": Decimal(percent)}, approved_by="pm")

    first = world.allocations.history(limit=2)
    second = world.allocations.history(limit=2, before=first[-1].allocation_id)
    third = world.allocations.history(limit=2, before=second[-1].allocation_id)

    ids = [a.allocation_id for a in (*first, *second, *third)]
    assert len(ids) == len(set(ids)) == 5
    assert ids == sorted(ids, reverse=True)


# --- backtests -------------------------------------------------------------------------------


def test_ingest_scores_each_file_and_stores_nothing_for_a_bad_one(world: World) -> None:
    world.strategy("good")
    world.strategy("bad")
    write_backtest(world.data_dir, "good", 0.001, 1)
    (world.data_dir / "bad.csv").write_text("date,return\n2025-01-02,0.01\n2025-01-02,0.02\n")
    progress: list[tuple[str, str]] = []

    report = world.backtests.ingest(
        world.files, progress=lambda s, o, d, t: progress.append((s, o))
    )

    assert [s.strategy_id for s in report.stored] == ["good"]
    assert "bad.csv:3" in report.failed["bad.csv"]
    assert "bad" not in world.store.backtests
    assert [s for s, _ in progress] == ["bad", "good"]
    assert world.store.backtests["good"].summary.statistics.expected_alpha_per_trade is not None


def test_a_sync_job_is_queued_published_and_run_with_progress(world: World) -> None:
    world.strategy("alpha")
    world.strategy("missing")
    write_backtest(world.data_dir, "alpha", 0.001, 1)

    job = world.backtests.start_sync(["alpha", "missing"], requested_by="admin")
    finished = world.backtests.run_job(job.job_id, world.files)

    assert job.status is JobStatus.QUEUED
    [message] = world.publisher.messages
    assert message.topic == "backtest-jobs"
    assert finished.status is JobStatus.FAILED
    assert (finished.done, finished.total) == (2, 2)
    assert finished.results["alpha"] == "stored"
    assert finished.results["missing"].startswith("failed:")
    assert world.backtests.run_job(job.job_id, world.files) == finished


def test_hypothetical_strategies_come_from_csv_files(world: World) -> None:
    write_backtest(world.data_dir, "idea", 0.001, 1)

    assert list(parse_hypothetical([world.data_dir / "idea.csv"])) == ["idea"]
    (world.data_dir / "broken.csv").write_text("when,return\n")
    with pytest.raises(BacktestFileError):
        parse_hypothetical([world.data_dir / "broken.csv"])


# --- the optimiser service ---------------------------------------------------------------


def test_nightly_run_records_exclusions_and_a_pending_recommendation(world: World) -> None:
    three_strategies(world)
    world.strategy("testing", status=StrategyStatus.TESTING)
    world.strategy("off", status=StrategyStatus.INACTIVE)
    world.strategy("manual", include_in_optimization=False)
    world.strategy("fresh")
    write_backtest(world.data_dir, "short", 0.001, 9, days=20)
    world.strategy("short")
    world.backtests.ingest(world.files, strategy_ids=["short"])

    run = world.optimizer.run_nightly(requested_by="scheduler")

    assert run.status is RunStatus.COMPLETED
    assert run.run_id == "OPT_20261120_143000"
    assert set(run.eligible) == {"alpha", "beta", "gamma"}
    reasons = {e.strategy_id: e.reason for e in run.excluded}
    assert reasons["testing"] == "status TESTING"
    assert reasons["off"] == "status INACTIVE"
    assert reasons["manual"] == "not included in optimisation"
    assert reasons["fresh"] == "no backtest data"
    assert reasons["short"] == "only 20 daily returns; at least 60 are needed"
    assert run.metrics["cvar"] <= 0.02 + 1e-9
    assert set(run.correlation["alpha"]) == {"alpha", "beta", "gamma"}
    recommendation = world.allocations.recommendation()
    assert recommendation.allocation_id == run.allocation_id
    assert recommendation.status is AllocationStatus.PENDING_APPROVAL
    assert all(p <= 50 for p in recommendation.allocations.values())
    assert recommendation.metrics["total_allocation_pct"] == sum(
        recommendation.allocations.values()
    )
    assert run.minimum_account["unknown_unit"] in ([], ["gamma"])


def test_nightly_run_is_idempotent_per_date_unless_forced(world: World) -> None:
    three_strategies(world)

    first = world.optimizer.run_nightly(requested_by="scheduler")
    world.clock.advance(60)
    repeat = world.optimizer.run_nightly(requested_by="scheduler")
    forced = world.optimizer.run_nightly(requested_by="ops", force=True)
    next_day = world.optimizer.run_nightly(requested_by="scheduler", run_date=date(2026, 11, 21))

    assert repeat == first
    assert forced.run_id != first.run_id
    assert next_day.run_date == date(2026, 11, 21)
    assert len(world.store.runs) == 3


def test_a_failed_run_is_recorded_with_a_specific_code(world: World) -> None:
    three_strategies(world)
    world.optimizer.update_settings({"cvar_limit": 0.0001, "min_total_allocation": 1.0})

    run = world.optimizer.run_nightly(requested_by="scheduler")

    assert run.status is RunStatus.FAILED
    assert run.error_code == "CVAR_LIMIT_TOO_LOW"
    assert run.error.startswith("the CVaR limit 0.0100% is below the lowest CVaR")
    assert run.error.endswith("raise the limit or lower min_total_allocation")
    assert run.allocation_id is None
    assert world.allocations.recommendation() is None


def test_max_sharpe_invests_the_stored_sharpe_total(world: World) -> None:
    three_strategies(world)
    world.optimizer.update_settings(
        {"method": "max_sharpe", "cvar_limit": None, "sharpe_total_allocation": 1.2}
    )

    run = world.optimizer.run_nightly(requested_by="scheduler")

    assert run.status is RunStatus.COMPLETED, run.error
    assert sum(run.weights.values()) == pytest.approx(1.2, abs=1e-9)
    assert world.optimizer.settings()["sharpe_total_allocation"] == 1.2


def test_runs_store_no_solver_noise_and_size_the_account_by_real_allocations(
    world: World,
) -> None:
    # On these backtests Clarabel leaves epsilon at 6e-10: one $4,000 unit "needed" $6.6 trillion.
    means = {"alpha": 0.0008, "beta": 0.0006, "gamma": 0.0004, "delta": 0.0002, "epsilon": 0.0001}
    for seed, (strategy_id, mean) in enumerate(means.items(), start=100):
        world.strategy(strategy_id)
        write_backtest(world.data_dir, strategy_id, mean, seed)
    (world.data_dir / "metadata.csv").write_text(
        "strategy_id,margin_per_unit,currency,unit_cost\n"
        + "".join(f"{strategy_id},100,USD,4000\n" for strategy_id in means)
    )
    world.backtests.ingest(world.files)
    world.optimizer.update_settings({"method": "max_sharpe", "cvar_limit": None})

    run = world.optimizer.run_nightly(requested_by="scheduler")
    sandbox = world.optimizer.sandbox(SandboxRequest())

    for stored in (run, sandbox):
        assert stored.status is RunStatus.COMPLETED, stored.error
        assert stored.weights["epsilon"] == 0.0
        assert not [w for w in stored.weights.values() if 0 < w < NOISE_WEIGHT]
        assert sum(stored.weights.values()) == pytest.approx(1.0, abs=1e-12)
        account = stored.minimum_account
        assert account is not None
        assert stored.weights[account["binding"]] >= 0.01
        assert "epsilon" not in account["per_strategy"]
        assert Decimal(account["minimum_capital"]) < 100_000
    assert run.risk_contributions["epsilon"] == {"volatility": 0.0, "cvar": 0.0}


def test_a_sharpe_total_outside_the_total_range_is_refused_and_not_stored(world: World) -> None:
    with pytest.raises(ValidationError) as refused:
        world.optimizer.update_settings({"method": "max_sharpe", "sharpe_total_allocation": 2.5})

    assert refused.value.field == "sharpe_total_allocation"
    assert world.optimizer.settings()["sharpe_total_allocation"] == 1.0
    assert world.optimizer.settings()["method"] == "max_return"


def test_no_eligible_strategy_fails_cleanly(world: World) -> None:
    world.strategy("alone", status=StrategyStatus.TESTING)

    run = world.optimizer.run_nightly(requested_by="scheduler")

    assert (run.status, run.error_code) == (RunStatus.FAILED, "NO_STRATEGIES")
    assert [e.strategy_id for e in run.excluded] == ["alone"]


def test_settings_are_validated_before_they_are_stored(world: World) -> None:
    with pytest.raises(ValidationError):
        world.optimizer.update_settings({"max_weight": -1})
    with pytest.raises(ValidationError):
        world.optimizer.update_settings({"colour": "blue"})

    changed = world.optimizer.update_settings({"method": "min_cvar", "min_total_allocation": 1.0})
    assert changed["method"] == "min_cvar"
    with pytest.raises(ValidationError, match="min_total_allocation"):
        world.optimizer.update_settings({"min_total_allocation": 0.0})


def test_sandbox_adds_hypothetical_strategies_and_never_touches_live_allocations(
    world: World,
) -> None:
    three_strategies(world)
    active = world.allocations.set_custom({"alpha": Decimal(25)}, approved_by="pm")
    write_backtest(world.data_dir, "idea", 0.0012, 42)

    result = world.optimizer.sandbox(
        SandboxRequest(
            hypothetical=parse_hypothetical([world.data_dir / "idea.csv"]),
            settings={"method": "min_cvar", "min_total_allocation": 1.0},
        )
    )

    assert result.status is RunStatus.COMPLETED
    assert result.hypothetical == ("idea",)
    assert "idea" in result.strategies
    assert len(result.frontier) == 25
    assert len(result.proposed_equity) == len(result.dates) == len(result.current_drawdown)
    assert result.current_allocation_id == active.allocation.allocation_id
    assert world.allocations.current() == active.allocation
    assert world.allocations.recommendation() is None
    assert world.store.get_sandbox(result.sandbox_id) == result


def on_or_below(frontier: tuple[dict[str, float], ...], mark: dict[str, float]) -> bool:
    """Whether the frontier reaches at least ``mark``'s return at no more than its CVaR."""
    reach = next((p for p in frontier if p["cvar_limit"] >= mark["cvar"]), frontier[-1])
    return reach["expected_return_annual"] >= mark["expected_return_annual"] - 1e-9


@pytest.mark.parametrize(
    "overrides",
    [
        {"method": "max_sharpe", "cvar_limit": None},
        {"method": "max_sharpe", "cvar_limit": 0.015},
        {"method": "max_return"},
        {"method": "min_cvar", "min_total_allocation": 1.0},
        {"method": "max_sharpe", "turnover_limit": 0.5, "cvar_limit": None},
    ],
)
def test_every_sandbox_run_stores_the_frontier_with_its_proposal_and_the_active_allocation(
    world: World, overrides: dict[str, Any]
) -> None:
    three_strategies(world)
    # Fully invested within every cap, so inside each run's bounds: on or below its frontier too.
    active = world.allocations.set_custom(
        {"alpha": Decimal(50), "beta": Decimal(50)}, approved_by="pm"
    )

    result = world.optimizer.sandbox(SandboxRequest(settings=overrides))

    assert result.status is RunStatus.COMPLETED, result.error
    assert len(result.frontier) == 25
    cvars = [point["cvar"] for point in result.frontier]
    assert cvars == sorted(cvars)
    assert on_or_below(result.frontier, result.metrics)
    assert result.current_allocation_id == active.allocation.allocation_id
    assert result.current_metrics["leverage"] == pytest.approx(1.0)
    assert on_or_below(result.frontier, result.current_metrics)
    assert world.store.get_sandbox(result.sandbox_id) == result


def test_sandbox_refuses_a_hypothetical_id_that_shadows_a_live_strategy(world: World) -> None:
    three_strategies(world)

    result = world.optimizer.sandbox(
        SandboxRequest(hypothetical=parse_hypothetical([world.data_dir / "alpha.csv"]))
    )

    assert result.status is RunStatus.FAILED
    assert "shares a live strategy's id" in result.error


def test_the_run_clock_is_the_injected_one(world: World) -> None:
    world.clock.advance(timedelta(days=1).total_seconds())

    assert world.optimizer.run_nightly(requested_by="x").run_date == date(2026, 11, 21)
