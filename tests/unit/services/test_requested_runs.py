"""Runs asked for under a request id (the nightly schedule's): one run per request, however often
and however concurrently it is sent, and a run left RUNNING by a dead process taken over."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest

from mats.domain.optimization import OptimizationRun, RunStatus
from mats.errors import TemporaryError
from mats.services.optimizer import ABANDONED_AFTER
from tests.unit.services.test_portfolio import World, three_strategies


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def test_the_same_request_makes_one_run_and_another_request_another(world: World) -> None:
    three_strategies(world)

    first = world.optimizer.run_requested("RUN_A", requested_by="admin@example.test")
    world.clock.advance(60)
    repeat = world.optimizer.run_requested("RUN_A", requested_by="admin@example.test")
    other = world.optimizer.run_requested("RUN_B", requested_by="scheduler")

    assert first.status is RunStatus.COMPLETED
    assert (first.request_id, first.attempt, first.requested_by) == (
        "RUN_A",
        1,
        "admin@example.test",
    )
    assert repeat == first
    assert other.run_id != first.run_id
    assert len(world.store.runs) == 2
    # A request holds no date: the day's own nightly run is still to be made.
    assert world.optimizer.run_nightly(requested_by="scheduler").request_id is None
    assert len(world.store.runs) == 3


def test_concurrent_sends_of_one_request_make_one_run(world: World) -> None:
    three_strategies(world)
    answers: list[OptimizationRun | Exception] = []
    start = threading.Barrier(3)

    def send() -> None:
        start.wait()
        try:
            answers.append(world.optimizer.run_requested("RUN_C", requested_by="x"))
        except TemporaryError as error:  # The winner had claimed it but not stored its run.
            answers.append(error)

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(world.store.runs) == 1
    (run,) = world.store.runs.values()
    assert {a.run_id for a in answers if isinstance(a, OptimizationRun)} == {run.run_id}
    assert world.optimizer.run_requested("RUN_C", requested_by="x").status is RunStatus.COMPLETED


def left_running(world: World, request_id: str) -> OptimizationRun:
    """What a process killed mid-optimisation leaves: its claim, and its run RUNNING."""
    now = world.clock.now()
    assert world.store.claim_run_request(request_id, 1, now) is None
    run = OptimizationRun(
        run_id="OPT_20261120_143000",
        run_date=now.date(),
        created_at=now,
        status=RunStatus.RUNNING,
        method="max_return",
        settings=world.optimizer.settings(),
        requested_by="scheduler",
        request_id=request_id,
    )
    world.store.create_run(run)
    return run


def test_a_run_left_running_is_answered_as_running_until_it_is_abandoned(world: World) -> None:
    three_strategies(world)
    stuck = left_running(world, "NIGHTLY_20261120_1430")

    world.clock.advance(60)
    assert world.optimizer.run_requested("NIGHTLY_20261120_1430", requested_by="x") == stuck

    world.clock.advance(ABANDONED_AFTER.total_seconds())
    again = world.optimizer.run_requested("NIGHTLY_20261120_1430", requested_by="x")

    assert (again.status, again.attempt) == (RunStatus.COMPLETED, 2)
    abandoned = world.store.runs[stuck.run_id]
    assert (abandoned.status, abandoned.error_code) == (RunStatus.FAILED, "ABANDONED")
    assert world.optimizer.run_requested("NIGHTLY_20261120_1430", requested_by="x") == again
    assert len(world.store.runs) == 2


def test_a_claim_without_its_run_is_starting_and_later_taken_over(world: World) -> None:
    three_strategies(world)
    world.store.claim_run_request("RUN_D", 1, world.clock.now())

    with pytest.raises(TemporaryError, match="starting"):
        world.optimizer.run_requested("RUN_D", requested_by="x")

    world.clock.advance((ABANDONED_AFTER + timedelta(seconds=1)).total_seconds())
    run = world.optimizer.run_requested("RUN_D", requested_by="x")

    assert (run.status, run.attempt) == (RunStatus.COMPLETED, 2)
    assert len(world.store.runs) == 1
