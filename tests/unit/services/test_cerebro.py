from datetime import timedelta
from decimal import Decimal

import pytest

from mats.contracts import encode, to_message
from mats.domain.cerebro.decisions import DecisionStatus, Reason
from mats.domain.risk import GLOBAL_SCOPE, RiskSetting, RiskState
from mats.domain.trading import Intent, Position, PositionSide, Side
from mats.errors import TemporaryError
from mats.ports import DecisionSupersededError
from mats.services.cerebro import CerebroService, PubSubEvent
from tests.builders import NOW, a_position, a_signal, decision_inputs
from tests.fakes import (
    FakeClock,
    FakePublisher,
    InMemoryAlertStore,
    InMemoryDecisionStore,
    alert_service,
)


def service(
    inputs: object = None,
) -> tuple[CerebroService, InMemoryDecisionStore, InMemoryAlertStore, FakePublisher]:
    store = InMemoryDecisionStore(inputs or decision_inputs())
    publisher = FakePublisher()
    clock = FakeClock(NOW + timedelta(seconds=1))
    raising, alerts, _ = alert_service(clock)
    return (
        CerebroService(store=store, alerts=raising, publisher=publisher, clock=clock),
        store,
        alerts,
        publisher,
    )


def event(
    signal: object = None, *, published_seconds_ago: float = 1, message_id: str = "1"
) -> PubSubEvent:
    data = encode(to_message(signal or a_signal())).data
    return PubSubEvent(message_id, data, NOW - timedelta(seconds=published_seconds_ago), {})


def test_a_decided_signal_is_recorded_and_its_orders_published_once() -> None:
    cerebro, _, _, publisher = service()

    first = cerebro.handle(event())
    again = cerebro.handle(event(message_id="2"))

    assert first.decision.status is DecisionStatus.APPROVED
    assert again.decision == first.decision
    assert [m.data for m in publisher.messages] == [
        encode(to_message(first.decision.orders[0])).data
    ]
    assert publisher.messages[0].ordering_key == "IBKR_Main/AAPL"


def test_a_failed_publish_raises_for_redelivery_and_the_retry_sends_the_stored_bytes() -> None:
    cerebro, _, _, publisher = service()
    publisher.failing = True

    with pytest.raises(TemporaryError):
        cerebro.handle(event())
    publisher.failing = False
    retried = cerebro.handle(event(message_id="2"))

    assert retried.published
    assert [m.data for m in publisher.messages] == [m.data for m in retried.messages]


def test_an_event_older_than_the_limit_is_recorded_as_dropped() -> None:
    cerebro, _, _, publisher = service()

    stored = cerebro.handle(event(published_seconds_ago=7200))

    assert stored.decision.status is DecisionStatus.DROPPED
    assert stored.decision.reasons == (Reason.EVENT_TOO_OLD,)
    assert publisher.messages == []


def test_a_late_exit_with_a_position_open_raises_hell() -> None:
    cerebro, _, _, _ = service(decision_inputs(position=a_position("10")))
    late_exit = a_signal(
        intent=Intent.EXIT,
        side=Side.SELL,
        previous=Position(PositionSide.LONG, None),
        target=Position(PositionSide.FLAT),
    )

    stored = cerebro.handle(event(late_exit, published_seconds_ago=7200))

    assert [a.kind for a in stored.decision.alerts] == ["EXIT_DROPPED"]


def test_a_message_that_breaks_the_contract_is_alerted_and_acknowledged() -> None:
    cerebro, store, alerts, _ = service()

    result = cerebro.handle(
        PubSubEvent("99", b'{"schema": "mats.signal.v1"}', NOW, {"strategy_id": "x"})
    )

    assert result is None
    assert store.decisions == {}
    [alert] = alerts.alerts.values()
    assert alert.alert_id == "message-99_BAD_CONTRACT"
    assert "mats.signal.v1" in alert.message


def test_a_decision_overtaken_by_another_on_the_account_is_decided_again_on_fresh_facts() -> None:
    cerebro, store, _, publisher = service()
    first = a_signal(id="momentum_20261120_143000_1")
    second = a_signal(id="momentum_20261120_143000_2")
    # The second signal is decided and recorded while the first is being recorded.
    store.meanwhile = lambda: cerebro.handle(event(second, message_id="2"))

    stored = cerebro.handle(event(first, message_id="1"))

    assert store.superseded == 1
    quantities = [record.order.quantity for record in store.orders.values()]
    assert sum(quantities) == Decimal(50)  # Not 2 x 50: the allocation is spent once.
    assert stored.decision.status is DecisionStatus.REJECTED
    assert stored.decision.reasons == (Reason.ALLOCATION_REACHED,)
    assert stored.decision.sequence == 2
    assert len(publisher.messages) == 1


def test_a_signal_overtaken_too_often_is_handed_back_to_pub_sub() -> None:
    cerebro, store, _, _ = service()
    # Someone else always claims the sequence first.
    store.record = _always_superseded  # type: ignore[method-assign]

    with pytest.raises(TemporaryError, match="superseded"):
        cerebro.handle(event())


def _always_superseded(*_: object) -> object:
    raise DecisionSupersededError("taken")


def test_cerebros_critical_alerts_are_sent_to_people_once() -> None:
    halted = RiskSetting(GLOBAL_SCOPE, RiskState.HALTED, NOW)
    inputs = decision_inputs(position=a_position("10"), risk_global=halted)
    store = InMemoryDecisionStore(inputs)
    clock = FakeClock(NOW + timedelta(seconds=1))
    raising, _, notifier = alert_service(clock)
    cerebro = CerebroService(store=store, alerts=raising, publisher=FakePublisher(), clock=clock)
    blocked_exit = a_signal(
        intent=Intent.EXIT,
        side=Side.SELL,
        previous=Position(PositionSide.LONG, Decimal(10)),
        target=Position(PositionSide.FLAT),
    )

    cerebro.handle(event(blocked_exit, message_id="1"))
    cerebro.handle(event(blocked_exit, message_id="2"))

    assert [(a.kind, a.severity.value) for a in notifier.sent] == [("EXIT_BLOCKED", "CRITICAL")]
