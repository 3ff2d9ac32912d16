"""Backtests are kept for registered strategies only, unless ingestion is told to register them."""

from __future__ import annotations

from pathlib import Path

import pytest

from mats.domain.optimization import JobStatus
from mats.domain.strategies import StrategyFilter, StrategyStatus
from mats.domain.trading import TradingMode
from mats.errors import ValidationError
from tests.unit.services.test_portfolio import World, write_backtest


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def test_ingest_skips_an_unregistered_strategy_with_the_reason_and_stores_the_rest(
    world: World,
) -> None:
    world.strategy("known")
    write_backtest(world.data_dir, "known", 0.001, 1)
    write_backtest(world.data_dir, "stranger", 0.001, 2)
    progress: list[tuple[str, str]] = []

    report = world.backtests.ingest(
        world.files, progress=lambda s, o, d, t: progress.append((s, o))
    )

    assert [s.strategy_id for s in report.stored] == ["known"]
    assert report.skipped["stranger"].startswith("strategy 'stranger' is not registered;")
    assert "--register --account ACCOUNT" in report.skipped["stranger"]
    assert "stranger" not in world.store.backtests
    assert world.strategies.get("stranger") is None
    assert dict(progress)["stranger"].startswith("skipped: strategy 'stranger'")


def test_naming_an_unregistered_strategy_refuses_the_whole_ingestion(world: World) -> None:
    world.strategy("known")
    write_backtest(world.data_dir, "known", 0.001, 1)
    write_backtest(world.data_dir, "stranger", 0.001, 2)

    with pytest.raises(ValidationError) as raised:
        world.backtests.ingest(world.files, strategy_ids=["known", "stranger"])

    assert raised.value.field == "strategy"
    assert raised.value.message.startswith("strategy 'stranger' is not registered")
    assert world.store.backtests == {}


def test_register_creates_strategies_that_cannot_trade_then_stores_their_backtests(
    world: World,
) -> None:
    write_backtest(world.data_dir, "newcomer", 0.001, 3)

    report = world.backtests.ingest(world.files, register_account="IBKR_Main")

    [strategy] = report.registered
    assert strategy == world.strategies.get("newcomer")
    assert (strategy.status, strategy.trading_mode, strategy.account) == (
        StrategyStatus.INACTIVE,
        TradingMode.PAPER,
        "IBKR_Main",
    )
    assert strategy.include_in_optimization is False
    assert strategy.sender_ids == ()
    assert [s.strategy_id for s in report.stored] == ["newcomer"]


def test_register_leaves_registered_strategies_as_they_are(world: World) -> None:
    world.strategy("known", trading_mode=TradingMode.LIVE)
    write_backtest(world.data_dir, "known", 0.001, 1)

    report = world.backtests.ingest(world.files, register_account="IBKR_Main")

    assert report.registered == ()
    assert world.strategies.get("known").trading_mode is TradingMode.LIVE


def test_register_on_an_unknown_account_changes_nothing(world: World) -> None:
    write_backtest(world.data_dir, "newcomer", 0.001, 3)

    with pytest.raises(ValidationError) as raised:
        world.backtests.ingest(world.files, register_account="NoSuchAccount")

    assert raised.value.field == "account"
    assert world.strategies.list(StrategyFilter()) == []
    assert world.store.backtests == {}


def test_register_never_registers_a_strategy_whose_file_is_bad(world: World) -> None:
    (world.data_dir / "broken.csv").write_text("date,return\n2025-01-02,0.01\n2025-01-02,0.02\n")
    write_backtest(world.data_dir, "bad id", 0.001, 4)

    report = world.backtests.ingest(world.files, register_account="IBKR_Main")

    assert set(report.failed) == {"broken.csv", "bad id.csv"}
    assert report.failed["bad id.csv"].startswith("strategy_id:")
    assert world.strategies.list(StrategyFilter()) == []


def test_a_sync_job_skips_unregistered_strategies_and_still_completes(world: World) -> None:
    world.strategy("known")
    write_backtest(world.data_dir, "known", 0.001, 1)
    write_backtest(world.data_dir, "stranger", 0.001, 2)

    job = world.backtests.start_sync([], requested_by="scheduler")
    finished = world.backtests.run_job(job.job_id, world.files)

    assert finished.status is JobStatus.COMPLETED
    assert finished.results["known"] == "stored"
    assert finished.results["stranger"].startswith("skipped: strategy 'stranger' is not registered")
    assert "stranger" not in world.store.backtests


def test_a_sync_naming_an_unregistered_strategy_is_refused_before_it_is_queued(
    world: World,
) -> None:
    with pytest.raises(ValidationError, match="'stranger' is not registered") as raised:
        world.backtests.start_sync(["stranger"], requested_by="cli")

    assert raised.value.field == "strategy"
    assert world.store.jobs == {}
    assert world.publisher.messages == []
