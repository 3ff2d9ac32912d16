"""At-least-once delivery, on the real stack: every message a MATS process consumes, delivered
three times and in shuffled order, leaves the same stored state as one delivery of each."""

from __future__ import annotations

import json
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from mats.codec import to_primitive
from mats.contracts import BacktestJobV1, encode, to_message
from mats.domain.execution.states import OrderState
from mats.domain.market import AssetClass
from mats.domain.signals.signal import Signal
from mats.domain.strategies import StrategyStatus
from mats.domain.trading import Intent, Position, PositionSide, Side, TradingMode
from mats.services.registry import StrategyChanges
from tests import builders
from tests.builders import write_backtest
from tests.conftest import Stack, unique
from tests.integration.trading import control, push_message, until, venue_orders

COPIES = 3
IB_ACCOUNT = "IBKR_Main"


def deliver(url: str, messages: list[tuple[str, bytes]], topic: str) -> list[int]:
    """Each message ``COPIES`` times, all shuffled, eight at a time; the answers' statuses."""
    copies = [m for m in messages for _ in range(COPIES)]
    random.Random(20261202).shuffle(copies)  # noqa: S311 - a test's order, not a secret
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(
            pool.map(lambda m: push_message(url, f"{m[0]}-{unique('d')}", m[1], topic), copies)
        )


def test_signals_delivered_three_times_in_any_order_are_decided_once_each(
    stack: Stack, services: Any
) -> None:
    account, symbol = unique("REPLAY"), unique("R").upper()[:8]
    services.operations.set_account(
        account,
        broker="IB",
        base_currency="USD",
        equity=Decimal(1_000_000),
        cash=Decimal(1_000_000),
        margin_used=Decimal(0),
    )
    services.operations.set_instrument(
        symbol,
        asset_class=AssetClass.STOCK,
        currency="USD",
        tick_size=Decimal("0.01"),
        lot_size=Decimal(1),
        margin_rate=Decimal("0.25"),
    )
    strategies = [unique("replay") for _ in range(3)]
    for strategy_id in strategies:
        services.strategies.create(
            strategy_id,
            StrategyChanges(
                name=strategy_id,
                status=StrategyStatus.ACTIVE,
                trading_mode=TradingMode.PAPER,
                account=account,
            ),
        )
    services.allocations.set_custom(
        dict.fromkeys(strategies, Decimal(10)), approved_by="test", allow_close=True
    )
    signals = [
        Signal(
            id=f"{strategy_id}_{n}",
            created_at=datetime.now(UTC),
            strategy_id=strategy_id,
            sender_id="replay",
            source_format="mats",
            symbol=symbol,
            intent=Intent.ENTRY_LONG,
            trading_mode=TradingMode.PAPER,
            account=account,
            side=Side.BUY,
            price=Decimal(100),
            previous=Position(PositionSide.FLAT, Decimal(0)),
        )
        for strategy_id in strategies
        for n in range(2)
    ]
    messages = [(s.id, encode(to_message(s)).data) for s in signals]
    cerebro = stack.info["function_urls"]["cerebro"]

    statuses = deliver(cerebro, messages, "signals")
    first = [_decision_state(services, s.id) for s in signals]
    statuses += deliver(cerebro, messages, "signals")
    second = [_decision_state(services, s.id) for s in signals]

    orders = [o for state in first for o in state["orders"]]
    print(
        f"\n{len(messages)} signals x {COPIES} x 2 rounds = {len(statuses)} deliveries: "
        f"{len(first)} decisions, {len(orders)} orders"
    )
    assert set(statuses) == {200}
    assert first == second
    # Two entries per strategy, each strategy's allocation spent once: one order each.
    assert sorted(o["strategy_id"] for o in orders) == sorted(strategies)
    assert len({o["id"] for o in orders}) == len(orders)


def _decision_state(services: Any, signal_id: str) -> dict[str, Any]:
    stored = services.decision_store.get(signal_id)
    assert stored is not None, f"{signal_id} was not decided"
    decision = to_primitive(stored.decision)
    return {key: decision[key] for key in ("status", "reasons", "orders", "sequence")}


def test_orders_delivered_three_times_in_any_order_reach_ib_once_and_fill_once(
    stack: Stack, services: Any
) -> None:
    until(lambda: any(a.account == IB_ACCOUNT for a in services.trading_state.list_accounts()))
    strategy, symbols = unique("orders"), [unique("O").upper()[:8] for _ in range(3)]
    for symbol in symbols:
        services.operations.set_instrument(
            symbol,
            asset_class=AssetClass.STOCK,
            currency="USD",
            tick_size=Decimal("0.01"),
            lot_size=Decimal(1),
            margin_rate=Decimal("0.25"),
        )
    control(stack, "/prices", dict.fromkeys(symbols, 20))
    orders = [
        builders.an_order(
            unique("o").replace("-", "_") + "_ORD",
            created_at=datetime.now(UTC),
            strategy_id=strategy,
            account=IB_ACCOUNT,
            symbol=symbol,
            quantity=Decimal(quantity),
            reference_price=Decimal(20),
        )
        for symbol in symbols
        for quantity in (3, 4)
    ]
    messages = [(o.id, encode(to_message(o)).data) for o in orders]
    bridge = f"{stack.info['bridge_url']}/pubsub/orders"

    deliver(bridge, messages, "orders")
    records = [
        until(
            lambda o=order: (r := services.execution_store.order(o.id)) and r.state.ended and r,
            what=f"{order.id} ended",
        )
        for order in orders
    ]
    deliver(bridge, messages, "orders")

    at_ib = [len(venue_orders(stack, o.id)) for o in orders]
    fills = services.execution_store.list_fills(strategy_id=strategy, account=None, limit=100)
    held = {s: services.execution_store.position(IB_ACCOUNT, strategy, s).quantity for s in symbols}
    print(
        f"\n{len(orders)} orders x {COPIES} x 2 rounds: {sum(at_ib)} at IB, {len(fills)} fills, "
        f"positions {json.dumps({s: str(q) for s, q in held.items()})}"
    )
    assert {r.state for r in records} == {OrderState.FILLED}
    assert at_ib == [1] * len(orders)
    assert sorted(f.order_id for f in fills) == sorted(o.id for o in orders)
    assert held == dict.fromkeys(symbols, Decimal(7))


def test_a_backtest_job_delivered_three_times_in_any_order_runs_to_one_result(
    stack: Stack, services: Any
) -> None:
    strategy_id = unique("replayed")
    services.strategies.create(
        strategy_id,
        StrategyChanges(
            name=strategy_id,
            status=StrategyStatus.INACTIVE,
            trading_mode=TradingMode.PAPER,
            account=IB_ACCOUNT,
        ),
    )
    directory = stack.state_dir / "backtests"  # The stack's MATS_BACKTEST_DIR.
    directory.mkdir(exist_ok=True)
    write_backtest(directory, strategy_id, 0.0005, 3)
    first = services.backtests.start_sync((strategy_id,), requested_by="replay test")
    job = BacktestJobV1(
        id=first.job_id,
        created_at=datetime.now(UTC) - timedelta(seconds=1),
        strategy_ids=(strategy_id,),
    )
    optimizer = f"{stack.info['function_urls']['optimizer']}/jobs/backtest-sync"

    statuses = deliver(optimizer, [(job.id, encode(job).data)], "backtest-jobs")
    done = until(
        lambda: (j := services.backtests.job(job.id)) and j.status.value == "COMPLETED" and j,
        what="the job completed",
    )
    stored = services.backtests.get(strategy_id)
    again = deliver(optimizer, [(job.id, encode(job).data)], "backtest-jobs")

    print(f"\nbacktest job x {COPIES} x 2 rounds: {done.status.value}, {done.done}/{done.total}")
    assert set(statuses + again) == {200}
    assert services.backtests.job(job.id) == done
    assert services.backtests.get(strategy_id) == stored
