"""One contract per store port, passed by the in-memory fake the unit tests use and by its Firestore
adapter on the emulator: a fake that drifts from the real store fails here, not in production."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from mats.domain.accounting import StrategyPosition
from mats.domain.alerts import Alert, AlertSeverity
from mats.domain.cerebro.decisions import Decision, DecisionStatus
from mats.domain.dead_letters import DeadLetterCount
from mats.domain.execution.records import new_record
from mats.domain.execution.states import OrderState
from mats.domain.market import Quote
from mats.domain.optimization import RunStatus, SandboxRun
from mats.domain.orders import Fill
from mats.domain.portfolio import Activation, Allocation, AllocationStatus
from mats.domain.risk import GLOBAL_SCOPE, RiskSetting, RiskState, strategy_scope
from mats.domain.strategies import StrategyFilter
from mats.domain.trading import Intent, OrderPurpose, Side, TradingMode
from mats.errors import ConflictError, ValidationError
from mats.ports import CountedIn, DecisionSupersededError
from tests.builders import a_position, a_sender, a_signal, a_strategy, an_order, decision_inputs
from tests.conftest import unique
from tests.fakes import (
    InMemoryAlertStore,
    InMemoryDecisionStore,
    InMemoryExecutionStore,
    InMemoryPortfolio,
    InMemoryRecords,
    InMemorySenderStore,
    InMemoryStrategyStore,
)

NOW = datetime.now(UTC).replace(microsecond=0)
KINDS = ["memory", "firestore"]


def pick(request: pytest.FixtureRequest, memory: Callable[[], Any], real: str) -> Any:
    if request.param == "memory":
        return memory()
    return getattr(request.getfixturevalue("services"), real)


@pytest.fixture(params=KINDS)
def senders(request: pytest.FixtureRequest) -> Any:
    return pick(request, InMemorySenderStore, "sender_store")


@pytest.fixture(params=KINDS)
def strategies(request: pytest.FixtureRequest) -> Any:
    return pick(request, InMemoryStrategyStore, "strategy_store")


@pytest.fixture(params=KINDS)
def alerts(request: pytest.FixtureRequest) -> Any:
    return pick(request, InMemoryAlertStore, "trading_state")


@pytest.fixture(params=KINDS)
def execution(request: pytest.FixtureRequest) -> Any:
    return pick(request, InMemoryExecutionStore, "execution_store")


@pytest.fixture(params=KINDS)
def portfolio(request: pytest.FixtureRequest) -> Any:
    return pick(request, InMemoryPortfolio, "portfolio")


@pytest.fixture(params=KINDS)
def records(request: pytest.FixtureRequest) -> Any:
    return pick(request, InMemoryRecords, "records")


@pytest.fixture(params=KINDS)
def decisions(request: pytest.FixtureRequest) -> Any:
    return pick(request, lambda: InMemoryDecisionStore(decision_inputs()), "decision_store")


def test_a_sender_is_created_once_and_saved_and_listed(senders: Any) -> None:
    sender = a_sender(unique("s"))
    senders.create(sender)

    with pytest.raises(ConflictError):
        senders.create(sender)
    senders.save(dataclasses.replace(sender, name="Renamed"))

    assert senders.get(sender.sender_id).name == "Renamed"
    assert sender.sender_id in [s.sender_id for s in senders.list()]
    assert senders.get(unique("nobody")) is None


def test_a_strategy_is_created_once_and_filtered(strategies: Any) -> None:
    strategy = a_strategy(unique("contract"), notes="needle-in-the-notes")
    strategies.create(strategy)

    with pytest.raises(ConflictError):
        strategies.create(strategy)
    found = strategies.list(StrategyFilter(search="needle-in-the-notes"))

    assert strategy.strategy_id in [s.strategy_id for s in found]
    assert strategies.get(strategy.strategy_id) == strategy


def test_a_strategy_is_deleted_and_deleting_it_again_changes_nothing(strategies: Any) -> None:
    strategy = a_strategy(unique("contract"))
    strategies.create(strategy)

    strategies.delete(strategy.strategy_id)
    strategies.delete(strategy.strategy_id)

    assert strategies.get(strategy.strategy_id) is None
    assert strategy.strategy_id not in [s.strategy_id for s in strategies.list(StrategyFilter())]
    strategies.create(strategy)  # The id is free again.


def an_alert(**overrides: Any) -> Alert:
    fields: dict[str, Any] = {
        "alert_id": unique("alert"),
        "kind": "EXIT_FAILED",
        "severity": AlertSeverity.CRITICAL,
        "message": "exit failed",
        "created_at": NOW,
        "source": "bridge",
    }
    fields.update(overrides)
    return Alert(**fields)


def test_an_alert_is_created_once_then_notified_and_acknowledged(alerts: Any) -> None:
    alert = an_alert()

    first, again = alerts.create_alert(alert), alerts.create_alert(alert)
    alerts.mark_notified(alert, NOW)
    notified = alerts.get_alert(alert.alert_id)
    outstanding_before = [a.alert_id for a in alerts.list_alerts(limit=500, outstanding=True)]
    acknowledged = alerts.acknowledge(alert.alert_id, by="ops", at=NOW + timedelta(seconds=1))
    outstanding_after = [a.alert_id for a in alerts.list_alerts(limit=500, outstanding=True)]

    assert (first, again) == (True, False)
    assert (notified.notifications, notified.notified_at) == (1, NOW)
    assert alert.alert_id in outstanding_before
    assert acknowledged.acknowledged_by == "ops"
    assert alerts.get_alert(alert.alert_id).acknowledged
    assert alert.alert_id not in outstanding_after
    assert alerts.acknowledge(unique("none"), by="ops", at=NOW) is None


def test_a_warning_is_outstanding_until_it_has_been_sent_once(alerts: Any) -> None:
    warning = an_alert(severity=AlertSeverity.WARNING)
    alerts.create_alert(warning)

    before = [a.alert_id for a in alerts.list_alerts(limit=500, outstanding=True)]
    alerts.mark_notified(warning, NOW)
    after = [a.alert_id for a in alerts.list_alerts(limit=500, outstanding=True)]

    assert warning.alert_id in before
    assert warning.alert_id not in after


def a_fill(order_id: str, **overrides: Any) -> Fill:
    fields: dict[str, Any] = {
        "id": unique("E"),
        "created_at": NOW,
        "order_id": order_id,
        "signal_id": order_id.removesuffix("_ORD"),
        "strategy_id": "momentum",
        "account": "IBKR_Main",
        "broker": "IB",
        "trading_mode": TradingMode.LIVE,
        "symbol": "AAPL",
        "side": Side.BUY,
        "quantity": Decimal(10),
        "price": Decimal(100),
        "commission": Decimal(1),
        "currency": "USD",
        "executed_at": NOW,
        "purpose": OrderPurpose.ENTRY,
    }
    fields.update(overrides)
    return Fill(**fields)


def test_an_order_is_claimed_once_and_listed_while_active(execution: Any) -> None:
    order_id = unique("c").replace("-", "_") + "_ORD"
    record = new_record(an_order(order_id), NOW)
    execution.put_order(record)

    first = execution.claim_submission(order_id, NOW)
    second = execution.claim_submission(order_id, NOW + timedelta(seconds=5))
    active = [r.order_id for r in execution.active_orders()]
    execution.put_order(dataclasses.replace(record, state=OrderState.FILLED))
    ended = [r.order_id for r in execution.active_orders()]
    execution.release_claim(order_id)

    assert (first, second) == (None, NOW)
    assert order_id in active
    assert order_id not in ended
    assert execution.claim_submission(order_id, NOW) is None
    assert execution.order(order_id).state is OrderState.FILLED


def test_a_fill_is_recorded_once_then_applied_and_published(execution: Any) -> None:
    strategy = unique("ledger")
    fill = a_fill(unique("f") + "_ORD", strategy_id=strategy)
    position = StrategyPosition("IBKR_Main", strategy, "AAPL", Decimal(10), NOW)

    assert execution.record_fill(fill) is True
    assert execution.record_fill(fill) is False
    assert fill.id in [f.id for f in execution.unapplied_fills()]
    execution.apply_fill(fill, position)
    assert fill.id not in [f.id for f in execution.unapplied_fills()]
    assert fill.id in [f.id for f in execution.unpublished_fills()]
    execution.mark_fill_published(fill.id)
    assert fill.id not in [f.id for f in execution.unpublished_fills()]
    assert execution.position("IBKR_Main", strategy, "AAPL").quantity == Decimal(10)


def test_send_facts_hold_the_risk_states_the_position_and_only_its_working_orders(
    execution: Any, request: pytest.FixtureRequest
) -> None:
    strategy = unique("risky")
    setting = RiskSetting(strategy_scope(strategy), RiskState.HALTED, NOW, "test", "ops")
    if isinstance(execution, InMemoryExecutionStore):
        execution.risk[setting.scope] = setting
    else:
        request.getfixturevalue("services").trading_state.put_risk(setting)
    order = an_order(unique("w").replace("-", "_") + "_ORD", strategy_id=strategy)
    execution.put_order(new_record(order, NOW))
    ended = an_order(unique("e").replace("-", "_") + "_ORD", strategy_id=strategy)
    execution.put_order(dataclasses.replace(new_record(ended, NOW), state=OrderState.FILLED))
    elsewhere = an_order(
        unique("x").replace("-", "_") + "_ORD", strategy_id=strategy, symbol="MSFT"
    )
    execution.put_order(new_record(elsewhere, NOW))
    fill = a_fill(order.id, strategy_id=strategy)
    execution.record_fill(fill)
    execution.apply_fill(fill, StrategyPosition("IBKR_Main", strategy, "AAPL", Decimal(10), NOW))

    facts = execution.send_facts(order)

    assert facts.strategy == setting
    assert facts.fund is None or facts.fund.scope == GLOBAL_SCOPE
    assert facts.position.quantity == Decimal(10)
    assert [r.order_id for r in facts.working] == [order.id]


def test_send_facts_hold_the_instruments_stored_quote(
    execution: Any, request: pytest.FixtureRequest
) -> None:
    symbol = unique("QUOTED").upper().replace("-", "")
    quote = Quote(symbol, NOW, last=Decimal("100.5"), bid=Decimal(100), ask=Decimal(101))
    if isinstance(execution, InMemoryExecutionStore):
        execution.put_quote(quote)
    else:
        request.getfixturevalue("services").trading_state.put_quote(quote)
    quoted = an_order(unique("q").replace("-", "_") + "_ORD", symbol=symbol)
    unquoted = an_order(unique("n").replace("-", "_") + "_ORD", symbol=symbol + "X")

    assert execution.send_facts(quoted).quote == quote
    assert execution.send_facts(unquoted).quote is None


def test_an_orders_submission_time_and_arrival_mid_are_stored(execution: Any) -> None:
    order_id = unique("a").replace("-", "_") + "_ORD"
    record = dataclasses.replace(
        new_record(an_order(order_id), NOW),
        submitted_at=NOW + timedelta(milliseconds=250),
        arrival_mid=Decimal("100.125"),
    )

    execution.put_order(record)
    stored = execution.order(order_id)

    assert (stored.submitted_at, stored.arrival_mid) == (record.submitted_at, Decimal("100.125"))


def an_allocation(allocation_id: str) -> Allocation:
    return Allocation(allocation_id, {"a": Decimal(10)}, AllocationStatus.PENDING_APPROVAL, NOW)


def test_allocations_and_activations_are_created_once(portfolio: Any) -> None:
    allocation = an_allocation(unique("ALLOC"))
    portfolio.create_allocation(allocation)
    head = portfolio.head()
    sequence = (head.sequence if head else 0) + 1
    activation = Activation(sequence, allocation.allocation_id, {"a": Decimal(10)}, NOW, "ops")

    with pytest.raises(ConflictError):
        portfolio.create_allocation(allocation)
    portfolio.append_activation(activation)
    with pytest.raises(ConflictError):
        portfolio.append_activation(activation)

    assert portfolio.head() == activation
    assert portfolio.get_allocation(allocation.allocation_id) == allocation


def test_a_run_date_is_claimed_by_the_first_run(portfolio: Any) -> None:
    day = date(2000, 1, 1) + timedelta(days=int(unique("").strip("-"), 16) % 300_000)

    first = portfolio.claim_run_date(day, "OPT_A")
    second = portfolio.claim_run_date(day, "OPT_B")

    assert (first, second) == (None, "OPT_A")


def test_sandbox_runs_page_newest_first_without_repeats_or_gaps(portfolio: Any) -> None:
    # Ids above any real one (SBX_{now}), so these are the newest in a shared store.
    stamp = unique("SBX_99991231").replace("-", "_")
    ids = [f"{stamp}_{n}" for n in range(5)]
    for sandbox_id in ids:
        portfolio.put_sandbox(
            SandboxRun(sandbox_id, NOW, "contract", RunStatus.COMPLETED, settings={})
        )

    first, after_first = portfolio.sandbox_page(limit=2)
    second, after_second = portfolio.sandbox_page(limit=2, after=after_first)
    third, _ = portfolio.sandbox_page(limit=1, after=after_second)

    newest = [run.sandbox_id for run in first + second + third]
    assert newest == sorted(ids, reverse=True)
    assert (after_first, after_second) == (newest[1], newest[3])
    with pytest.raises(ValidationError):
        portfolio.sandbox_page(limit=2, after="SBX_NOPE")


def a_decision(signal_id: str, account: str, sequence: int) -> Decision:
    return Decision(
        signal_id=signal_id,
        strategy_id="momentum",
        account=account,
        symbol="AAPL",
        decided_at=NOW,
        signal_intent=Intent.ENTRY_LONG,
        status=DecisionStatus.APPROVED,
        summary="APPROVED BUY 10 AAPL (entry)",
        orders=(an_order(f"{signal_id}_ORD", account=account),),
        sequence=sequence,
    )


def test_a_decision_claims_its_accounts_sequence_once_and_is_stored_once(
    decisions: Any,
) -> None:
    account = unique("ACCT")
    first_id, second_id = unique("first"), unique("second")
    signal = a_signal(id=first_id, account=account)
    before, _ = decisions.inputs_for(signal)

    stored = decisions.record(a_decision(first_id, account, before.sequence + 1), [])
    with pytest.raises(DecisionSupersededError):
        decisions.record(a_decision(second_id, account, before.sequence + 1), [])
    again = decisions.record(a_decision(first_id, account, before.sequence + 2), [])
    after, existing = decisions.inputs_for(signal)

    assert stored.decision.sequence == before.sequence + 1
    assert again.decision.sequence == before.sequence + 1  # The first decision stands.
    # The emulator keeps a failed batch's earlier writes (the claim of the repeat, DESIGN.md §6)
    # where Firestore keeps none: a number may be skipped, never reused or taken back.
    assert after.sequence in (before.sequence + 1, before.sequence + 2)
    assert existing is not None
    assert f"{first_id}_ORD" in [r.order_id for r in after.orders]
    assert decisions.get(second_id) is None


def test_a_record_created_with_its_count_is_counted_once_and_listed_newest_first(
    records: Any,
) -> None:
    collection, counters, name = unique("letters"), unique("counts"), unique("sub")

    def counted(message_id: str, at: datetime) -> CountedIn[DeadLetterCount]:
        return CountedIn(
            counters,
            name,
            DeadLetterCount,
            lambda current: (
                DeadLetterCount(name, 1, at, message_id)
                if current is None
                else DeadLetterCount(name, current.count + 1, at, message_id)
            ),
        )

    first = a_position("1", strategy_id="first", updated_at=NOW)
    second = a_position("2", strategy_id="second", updated_at=NOW + timedelta(seconds=1))
    made = [
        records.create_counted(collection, "a", first, counter=counted("a", NOW)),
        records.create_counted(collection, "a", second, counter=counted("a", NOW)),
        records.create_counted(collection, "b", second, counter=counted("b", second.updated_at)),
        records.create(collection, "b", first),
    ]

    assert made == [True, False, True, False]
    assert records.get(counters, name, DeadLetterCount) == DeadLetterCount(
        name, 2, second.updated_at, "b"
    )
    assert records.get(collection, "a", StrategyPosition) == first
    newest = records.list(
        collection, StrategyPosition, order_by="updated_at", descending=True, limit=1
    )
    assert newest == [second]
    only = records.list(collection, StrategyPosition, filters=[("strategy_id", "==", "first")])
    assert only == [first]
