"""One alert path: stored once, sent once, repeated while CRITICAL and unacknowledged."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from mats.domain.alerts import Alert, AlertSeverity
from mats.errors import NotFoundError
from tests.builders import NOW
from tests.fakes import FakeClock, alert_service

REPEAT = timedelta(minutes=5)


def an_alert(severity: AlertSeverity = AlertSeverity.CRITICAL, **overrides: Any) -> Alert:
    fields: dict[str, Any] = {
        "alert_id": "x_ORD_EXIT_FAILED_1",
        "kind": "EXIT_FAILED",
        "severity": severity,
        "message": "exit x_ORD failed",
        "created_at": NOW,
        "source": "bridge",
    }
    fields.update(overrides)
    return Alert(**fields)


def test_the_same_alert_raised_three_times_is_stored_and_sent_once() -> None:
    service, store, notifier = alert_service(FakeClock(NOW), repeat_every=REPEAT)

    raised = [service.raise_alert(an_alert()) for _ in range(3)]

    assert raised == [True, False, False]
    assert [a.alert_id for a in notifier.sent] == ["x_ORD_EXIT_FAILED_1"]
    assert store.alerts["x_ORD_EXIT_FAILED_1"].notifications == 1


def test_a_critical_alert_repeats_every_interval_until_acknowledged() -> None:
    clock = FakeClock(NOW)
    service, store, notifier = alert_service(clock, repeat_every=REPEAT)
    service.raise_alert(an_alert())

    clock.advance(REPEAT.total_seconds() - 1)
    early = service.sweep()
    clock.advance(1)
    due = service.sweep()
    service.acknowledge("x_ORD_EXIT_FAILED_1", by="ops")
    clock.advance(REPEAT.total_seconds() * 3)
    after_ack = service.sweep()

    assert (early, due, after_ack) == (0, 1, 0)
    assert len(notifier.sent) == 2
    assert notifier.sent[1].notifications == 1  # The second notice says it is a repeat.
    acknowledged = store.alerts["x_ORD_EXIT_FAILED_1"]
    assert (acknowledged.acknowledged_by, acknowledged.acknowledged_at) == (
        "ops",
        NOW + REPEAT,
    )
    assert not acknowledged.outstanding


def test_a_warning_is_sent_once_and_never_repeated() -> None:
    clock = FakeClock(NOW)
    service, _, notifier = alert_service(clock, repeat_every=REPEAT)
    service.raise_alert(an_alert(AlertSeverity.WARNING))

    clock.advance(REPEAT.total_seconds() * 10)
    service.sweep()

    assert len(notifier.sent) == 1


def test_an_info_alert_is_stored_but_never_sent() -> None:
    service, store, notifier = alert_service(FakeClock(NOW), repeat_every=REPEAT)

    service.raise_alert(an_alert(AlertSeverity.INFO))

    assert notifier.sent == []
    assert "x_ORD_EXIT_FAILED_1" in store.alerts


def test_an_alert_that_could_not_be_sent_goes_out_with_the_next_sweep() -> None:
    clock = FakeClock(NOW)
    service, store, notifier = alert_service(clock, repeat_every=REPEAT)
    notifier.failing = True
    service.raise_alert(an_alert(AlertSeverity.WARNING))
    notifier.failing = False

    clock.advance(60)
    sent = service.sweep()

    assert sent == 1
    assert [a.kind for a in notifier.sent] == ["EXIT_FAILED"]
    assert not store.alerts["x_ORD_EXIT_FAILED_1"].outstanding


def test_a_sweep_leaves_an_alert_just_raised_to_whoever_is_sending_it() -> None:
    clock = FakeClock(NOW)
    service, store, _ = alert_service(clock, repeat_every=REPEAT)
    store.create_alert(an_alert())  # Stored by Cerebro's batch; its sender not done yet.

    assert service.sweep() == 0
    clock.advance(30)
    assert service.sweep() == 1


def test_acknowledging_an_unknown_alert_is_a_clear_error() -> None:
    service, _, _ = alert_service(FakeClock(NOW))

    with pytest.raises(NotFoundError, match="does not exist"):
        service.acknowledge("nope", by="ops")
