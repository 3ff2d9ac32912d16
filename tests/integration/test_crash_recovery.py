"""Crashes on the real stack: SIGKILL of the bridge, of each function process, mid-flow.

A bridge killed right after IB accepted an entry: the supervisor starts a new one, and the entry
still ends as one order at the venue, one fill and the right position.

The kill suite: alerts stream in (one fresh stock each, so every entry's outcome stands alone)
from a sender that retries a post nothing answered; after the fourth, the process under test is
killed and the supervisor restarts it. Then, once nothing is left to deliver (no signal waits in
the outbox, no subscription has a message outstanding, every order has ended), every accepted
signal must have exactly one decision, its order exactly one order at the venue, fills of exactly
its quantity, and that position. Killing the optimizer mid backtest-sync must finish the job once.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mats.contracts import encode, to_message
from mats.domain.execution.states import OrderState
from mats.domain.optimization import JobStatus
from mats.domain.strategies import StrategyStatus
from mats.domain.trading import TradingMode
from mats.services.registry import StrategyChanges
from tests.conftest import Stack, start_stack, stop_stack, unique
from tests.integration.stack_control import (
    kill,
    process,
    wait_for,
    wait_restarted,
    wait_settled,
)
from tests.integration.trading_desk import (
    ACCOUNT,
    Desk,
    account_for,
    all_orders_ended,
    all_published,
    control,
    direct_order,
    entry_alert,
    new_stocks,
    open_desk,
    order_reaches,
    post,
    venue_orders,
    webhook_url,
)

ALERTS = 10
KILL_AFTER = 4
PUSHED = (
    "cerebro-signals",
    "bridge-orders",
    "optimizer-backtest-jobs",
    "dashboard-fills",
    "dashboard-account-updates",
)


@pytest.fixture(scope="module")
def crash_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack(tmp_path_factory.mktemp("crashes"), "--no-demo")
    saved = {name: os.environ.get(name) for name in running.env()}
    os.environ.update(running.env())
    try:
        yield running
    finally:
        stop_stack(running)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="module")
def crash_services(crash_stack: Stack) -> Iterator[Any]:
    from mats.bootstrap import bootstrap  # noqa: PLC0415 - needs the stack's environment.

    services = bootstrap({**os.environ, **crash_stack.env()})
    yield services
    services.close()


@pytest.fixture(scope="module")
def desk(crash_stack: Stack, crash_services: Any) -> Desk:
    return open_desk(crash_stack, crash_services)


@pytest.mark.parametrize("release", ["after the restart", "while the bridge is down"])
def test_a_bridge_killed_after_an_entry_was_accepted_ends_with_one_order_and_one_fill(
    crash_stack: Stack, crash_services: Any, desk: Desk, release: str
) -> None:
    (symbol,) = new_stocks(crash_stack, crash_services, 1)
    control(crash_stack, "/fill-mode", {"hold": True})
    try:
        status, answer = post(webhook_url(crash_stack, desk), entry_alert(desk, symbol))
        assert status == 202, answer
        order_id = f"{answer['signal_id']}_ORD"
        accepted = order_reaches(crash_services, order_id, OrderState.ACCEPTED)
        restarts = process(crash_stack, "bridge")["restarts"]

        kill(crash_stack, "bridge")
        if release == "while the bridge is down":
            control(crash_stack, "/fill", {"order_ref": order_id})
        wait_restarted(crash_stack, "bridge", restarts + 1)
        if release == "after the restart":
            control(crash_stack, "/fill", {"order_ref": order_id})
    finally:
        control(crash_stack, "/fill-mode", {"hold": False})

    filled = order_reaches(crash_services, order_id, OrderState.FILLED)
    # The marker: an order behind it on the same ordering key, filled, and nothing outstanding.
    marker = direct_order(desk, symbol, 1)
    crash_services.publisher.publish(encode(to_message(marker)), timeout=10)
    order_reaches(crash_services, marker.id, OrderState.FILLED)
    wait_settled(crash_stack, ["bridge-orders"])

    at_venue = [o for o in venue_orders(crash_stack) if o["order_ref"].split("~")[0] == order_id]
    fills = [
        f
        for f in crash_services.execution_store.list_fills(
            strategy_id=desk.strategy_id, account=None, limit=100
        )
        if f.order_id == order_id
    ]
    position = crash_services.execution_store.position(ACCOUNT, desk.strategy_id, symbol)
    quantity = accepted.order.quantity
    print(
        f"bridge SIGKILL, fill released {release}: {len(at_venue)} order(s) at the venue, "
        f"{len(fills)} fill(s) of {[str(f.quantity) for f in fills]}, position "
        f"{position.quantity if position else 0} = {quantity} + marker 1"
    )
    assert [(o["status"], o["filled"]) for o in at_venue] == [("Filled", float(quantity))]
    assert [f.quantity for f in fills] == [quantity]
    assert filled.filled_quantity == quantity
    assert position is not None
    assert position.quantity == quantity + 1


@pytest.mark.parametrize("victim", ["ingest", "cerebro", "bridge", "dashboard"])
def test_a_process_killed_mid_flow_loses_and_doubles_nothing(
    crash_stack: Stack, crash_services: Any, desk: Desk, victim: str
) -> None:
    symbols = new_stocks(crash_stack, crash_services, ALERTS)
    url = webhook_url(crash_stack, desk)
    restarts = process(crash_stack, victim)["restarts"]
    failed_pushes = push_failures(crash_stack)
    retried = 0

    for number, symbol in enumerate(symbols, start=1):
        body = entry_alert(desk, symbol)
        deadline = time.monotonic() + 60
        # A sender that posts again when nothing answered (TradingView would not; MATS must
        # then neither lose what it stored nor take the repeat as a second alert).
        while (answer := post(url, body))[0] not in (200, 202):
            assert time.monotonic() < deadline, answer
            retried += 1
            time.sleep(0.2)
        if number == KILL_AFTER:
            kill(crash_stack, victim)
        time.sleep(0.05)

    wait_restarted(crash_stack, victim, restarts + 1)
    wait_for(lambda: all_published(crash_services, desk), 60, "the outbox empty")
    wait_settled(crash_stack, PUSHED)
    wait_for(lambda: all_orders_ended(crash_services, desk, symbols), 60, "every order ended")
    figures = account_for(crash_stack, crash_services, desk, symbols)
    figures.retried_posts = retried
    redelivered = push_failures(crash_stack) - failed_pushes
    print(
        figures.line(f"SIGKILL {victim} after alert {KILL_AFTER} of {ALERTS}")
        + f"; {redelivered} pushes failed and were delivered again"
    )

    assert figures.lost == 0
    assert figures.doubled == 0
    assert figures.accepted == figures.decisions == ALERTS
    assert figures.venue_orders == figures.orders
    assert figures.filled_quantity == figures.position_quantity > 0
    # The accounting booked every fill once: each ledger holds what the bridge's position does.
    books = accounting_for(crash_services, desk, symbols)
    print(f"accounting after SIGKILL {victim}: {books}")
    assert books == {"fills": figures.fills, "quantity": figures.position_quantity}


def test_the_optimizer_killed_during_a_backtest_sync_finishes_it_once(
    crash_stack: Stack, crash_services: Any
) -> None:
    strategy_ids = [unique("synced") for _ in range(40)]
    write_backtests(Path(crash_stack.state_dir) / "backtests", strategy_ids)
    for strategy_id in strategy_ids:
        crash_services.strategies.create(
            strategy_id,
            StrategyChanges(
                name=strategy_id,
                status=StrategyStatus.ACTIVE,
                trading_mode=TradingMode.PAPER,
                account="IBKR_Main",
            ),
        )
    restarts = process(crash_stack, "optimizer")["restarts"]
    job = crash_services.backtests.start_sync(strategy_ids, requested_by="kill suite")

    running = wait_for(
        lambda: (found := crash_services.backtests.job(job.job_id)).done >= 2 and found,
        60,
        "the sync under way",
    )
    kill(crash_stack, "optimizer")
    wait_restarted(crash_stack, "optimizer", restarts + 1)
    done = wait_for(
        lambda: (
            (found := crash_services.backtests.job(job.job_id)).status is JobStatus.COMPLETED
            and found
        ),
        120,
        "the sync completed after its redelivery",
    )
    wait_settled(crash_stack, PUSHED)

    stored = {s.strategy_id for s in crash_services.backtests.list()} & set(strategy_ids)
    print(
        f"SIGKILL optimizer at {running.done}/{running.total} of backtest sync {job.job_id}: "
        f"{done.status.value} {done.done}/{done.total}, {len(stored)} backtests stored, "
        f"{len(set(strategy_ids) - stored)} lost"
    )
    assert done.done == done.total == len(strategy_ids)
    assert set(done.results.values()) == {"stored"}
    assert stored == set(strategy_ids)


def accounting_for(services: Any, desk: Desk, symbols: list[str]) -> dict[str, Any]:
    """The fills and quantity the accounting's ledgers hold for ``symbols``."""
    fills, quantity = 0, Decimal(0)
    for symbol in symbols:
        ledger = services.ledger_store.ledger(f"{ACCOUNT}__{desk.strategy_id}__{symbol}")
        if ledger is not None:
            fills += ledger.fills_applied
            quantity += ledger.quantity
    return {"fills": fills, "quantity": quantity}


def push_failures(stack: Stack) -> int:
    """Pushes the Pub/Sub service logged as failed so far (each is delivered again)."""
    log = Path(stack.state_dir) / "logs" / "pubsub.log"
    return sum('"push delivery failed"' in line for line in log.read_text().splitlines())


def write_backtests(directory: Path, strategy_ids: list[str]) -> None:
    """Three years of daily returns per strategy, in the ingest format."""
    directory.mkdir(parents=True, exist_ok=True)
    generator = np.random.default_rng(7)
    days = np.busday_offset("2023-11-01", np.arange(756), roll="forward")
    for strategy_id in strategy_ids:
        returns = generator.normal(0.0004, 0.01, len(days))
        rows = [f"{day},{value:.8f},1" for day, value in zip(days, returns, strict=True)]
        (directory / f"{strategy_id}.csv").write_text("date,return,trades\n" + "\n".join(rows))
