"""The Firestore signal store's claim semantics against the real (npm) Firestore emulator."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from mats.domain.signals.records import (
    OutboxState,
    SignalClaim,
    SignalRecord,
    SignalStatus,
    claim_for,
)
from mats.ports import Duplicate, Recorded
from tests.conftest import unique

T0 = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)


def builder(strategy_id: str, key: str, received_at: datetime = T0) -> Any:
    def build(signal_id: str) -> SignalRecord:
        return SignalRecord(
            signal_id=signal_id,
            strategy_id=strategy_id,
            sender_id="store-test",
            received_at=received_at,
            business_key=key,
            status=SignalStatus.ACCEPTED,
            raw_payload="{}",
            message="{}",
            source_format="mats",
            symbol="AAPL",
            intent="EXIT",
            outbox_state=OutboxState.PENDING,
        )

    return build


def claim(
    strategy_id: str, key: str, at: datetime = T0, window: float | None = None
) -> SignalClaim:
    span = timedelta(seconds=window) if window is not None else None
    return claim_for(key, f"{strategy_id}_{T0:%Y%m%d_%H%M%S}", at, span)


def in_parallel(count: int, work: Any) -> list[Any]:
    barrier = threading.Barrier(count)

    def run(_: int) -> Any:
        barrier.wait()
        return work()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def signals_with_key(services: Any, strategy_id: str, key: str) -> list[SignalRecord]:
    found = services.signal_store.list(
        strategy_id=strategy_id, sender_id=None, status=None, limit=100
    )
    return [record for record in found if record.business_key == key]


def test_concurrent_claims_of_one_key_record_exactly_one_signal(services: Any) -> None:
    store = services.signal_store
    strategy_id, key = unique("store"), unique("key")

    results = in_parallel(
        16, lambda: store.record(claim(strategy_id, key), builder(strategy_id, key))
    )

    recorded = [r for r in results if isinstance(r, Recorded)]
    duplicates = [r for r in results if isinstance(r, Duplicate)]
    assert len(recorded) == 1
    assert len(duplicates) == 15
    assert {d.existing.signal_id for d in duplicates} == {recorded[0].record.signal_id}
    assert len(signals_with_key(services, strategy_id, key)) == 1


def test_distinct_signals_in_the_same_second_get_consecutive_ids(services: Any) -> None:
    store = services.signal_store
    strategy_id = unique("store")
    keys = iter([unique("key") for _ in range(8)])
    lock = threading.Lock()

    def record() -> Any:
        with lock:
            key = next(keys)
        return store.record(claim(strategy_id, key), builder(strategy_id, key))

    results = in_parallel(8, record)

    ids = sorted(r.record.signal_id for r in results)
    assert all(isinstance(r, Recorded) for r in results)
    assert ids == sorted(f"{strategy_id}_20261120_143000_{n}" for n in range(1, 9))


def test_a_windowed_claim_covers_repeats_for_the_window_only(services: Any) -> None:
    store = services.signal_store
    strategy_id, key = unique("store"), unique("key")

    def record_at(seconds: float) -> Any:
        at = T0 + timedelta(seconds=seconds)
        return store.record(
            claim(strategy_id, key, at=at, window=10), builder(strategy_id, key, at)
        )

    first = record_at(0)
    same_bucket = record_at(9)
    next_bucket_within_window = record_at(9.5)
    racers = in_parallel(6, lambda: record_at(11))

    assert isinstance(first, Recorded)
    assert isinstance(same_bucket, Duplicate)
    assert isinstance(next_bucket_within_window, Duplicate)
    assert same_bucket.existing.signal_id == first.record.signal_id
    new = [r for r in racers if isinstance(r, Recorded)]
    assert len(new) == 1
    assert new[0].record.signal_id != first.record.signal_id
    repeats = {r.existing.signal_id for r in racers if isinstance(r, Duplicate)}
    assert repeats == {new[0].record.signal_id}
    assert len(signals_with_key(services, strategy_id, key)) == 2


def test_a_repeat_just_across_a_window_boundary_is_still_a_repeat(services: Any) -> None:
    store = services.signal_store
    strategy_id, key = unique("store"), unique("key")
    before = T0 + timedelta(seconds=9)
    after = T0 + timedelta(seconds=12)

    first = store.record(
        claim(strategy_id, key, at=before, window=10), builder(strategy_id, key, before)
    )
    repeat = store.record(
        claim(strategy_id, key, at=after, window=10), builder(strategy_id, key, after)
    )

    assert isinstance(first, Recorded)
    assert isinstance(repeat, Duplicate)
    assert repeat.existing.signal_id == first.record.signal_id


def test_pending_signals_are_leased_to_one_sweeper_at_a_time(services: Any) -> None:
    store = services.signal_store
    strategy_id = unique("store")
    recorded = []
    for _ in range(3):
        key = unique("key")
        recorded.append(
            store.record(claim(strategy_id, key), builder(strategy_id, key)).record.signal_id
        )
    now = datetime.now(UTC)

    leases = in_parallel(
        4, lambda: store.lease_pending(now, now, timedelta(seconds=60), limit=1000)
    )

    leased = [r.signal_id for lease in leases for r in lease if r.strategy_id == strategy_id]
    assert sorted(leased) == sorted(recorded)
    again = store.lease_pending(now, now, timedelta(seconds=60), limit=1000)
    assert [r for r in again if r.strategy_id == strategy_id] == []


def test_publish_outcomes_are_recorded_on_the_signal(services: Any) -> None:
    store = services.signal_store
    strategy_id, key = unique("store"), unique("key")
    signal_id = store.record(claim(strategy_id, key), builder(strategy_id, key)).record.signal_id

    store.mark_publish_failed(signal_id, "pubsub down", T0)
    failed = store.get(signal_id)
    store.mark_published(signal_id, "42", T0 + timedelta(seconds=30))
    published = store.get(signal_id)

    assert failed.outbox_state is OutboxState.PENDING
    assert "pubsub down" in failed.last_publish_error
    assert failed.publish_attempts == 1
    assert published.outbox_state is OutboxState.PUBLISHED
    assert published.message_id == "42"
    assert published.publish_attempts == 2
