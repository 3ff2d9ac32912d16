"""The in-memory Firestore client the demo history runs on answers as the emulator does: the
same queries and the same adapters' reads, on both (a stand-in that drifts fails here)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from google.api_core.exceptions import AlreadyExists, NotFound
from google.cloud import firestore

from mats.domain.accounting import AccountState
from mats.domain.market import FxRate
from mats.localstack.demo_history.memory_firestore import MemoryFirestore
from tests.conftest import unique

T0 = datetime(2026, 3, 2, 21, tzinfo=UTC)


@pytest.fixture(params=["memory", "emulator"])
def store(request: pytest.FixtureRequest, stack: Any) -> Iterator[Any]:
    """Services on an empty store: a MemoryFirestore, or a fresh project on the emulator."""
    from mats.bootstrap import Services, bootstrap  # noqa: PLC0415 - needs the stack's env.

    env = {**os.environ, "GOOGLE_CLOUD_PROJECT": unique("memory-contract")}
    built = bootstrap(env)
    if request.param == "memory":
        built = Services(built.settings, firestore_client=MemoryFirestore())
    try:
        yield built
    finally:
        built.close()


def ids(query: Any) -> list[str]:
    return [snapshot.id for snapshot in query.stream()]


def test_queries_filter_order_limit_and_count_as_firestore_does(store: Any) -> None:
    things = store.firestore.collection("things")
    for document_id, fields in {
        "a": {"n": 1, "at": T0, "tag": "x"},
        "b": {"n": 2, "at": T0 + timedelta(hours=1), "tag": "x"},
        "c": {"n": 2, "tag": "y"},
        "d": {"n": 3, "at": None, "tag": "x"},
    }.items():
        things.document(document_id).set(fields)
    at, n, tag = (firestore.FieldFilter(f, op, v) for f, op, v in (
        ("at", "<=", T0 + timedelta(hours=1)), ("n", ">=", 2), ("tag", "==", "x")
    ))  # fmt: skip

    assert ids(things) == ["a", "b", "c", "d"]
    assert ids(things.where(filter=tag)) == ["a", "b", "d"]
    assert ids(things.where(filter=at)) == ["a", "b"]  # No field, or null: no match.
    assert ids(things.where(filter=n).where(filter=tag)) == ["b", "d"]
    # A tie (b, c) is broken by document id in the order's direction, as Firestore does.
    assert ids(things.order_by("n", direction=firestore.Query.DESCENDING)) == ["d", "c", "b", "a"]
    assert ids(things.order_by("n")) == ["a", "b", "c", "d"]
    assert ids(things.where(filter=tag).order_by("n").limit(2)) == ["a", "b"]
    assert things.where(filter=tag).count().get()[0][0].value == 3


def test_writes_refuse_as_firestore_does(store: Any) -> None:
    client = store.firestore
    things = client.collection("things")
    things.document("a").create({"n": 1, "nested": {"k": [1, 2]}})

    with pytest.raises(AlreadyExists):
        things.document("a").create({"n": 2})
    with pytest.raises(NotFound):
        things.document("missing").update({"n": 1})
    things.document("a").update({"m": 5})
    things.document("a").set({"o": 6}, merge=True)
    batch = client.batch()
    batch.set(things.document("b"), {"n": 2})
    batch.delete(things.document("missing"))
    batch.commit()
    got = {s.id: s.to_dict() for s in client.get_all([things.document("a"), things.document("b")])}
    things.document("b").delete()

    assert got == {"a": {"n": 1, "nested": {"k": [1, 2]}, "m": 5, "o": 6}, "b": {"n": 2}}
    assert not things.document("b").get().exists
    assert things.document("a").get().get("m") == 5


def test_the_accountings_adapters_read_the_same_facts_back(store: Any) -> None:
    ledger, records = store.ledger_store, store.records

    def state(account: str, equity: str, at: datetime) -> AccountState:
        return AccountState(account, "IB", "USD", Decimal(equity), Decimal(equity), Decimal(0), at)

    for day in range(3):
        at = T0 + timedelta(days=day)
        ledger.record_account(state("IB1", f"{1000 + day}", at), [("AAPL", Decimal(190 + day))])
        ledger.record_account(state("IB2", f"{2000 + day}", at), [])
        store.trading_state.put_fx_rate(
            FxRate("EUR", "USD", Decimal(f"1.0{day}"), at - timedelta(hours=21), "test")
        )
    middle = T0 + timedelta(days=1, hours=1)

    assert ledger.record_account(state("IB1", "1", T0), []) is False  # Kept once.
    assert [(a.account, a.equity) for a in ledger.accounts_at(middle)] == [
        ("IB1", Decimal(1001)),
        ("IB2", Decimal(2001)),
    ]
    assert [(a.account, a.equity) for a in ledger.latest_accounts()] == [
        ("IB1", Decimal(1002)),
        ("IB2", Decimal(2002)),
    ]
    assert ledger.broker_marks(middle) == [("AAPL", Decimal(191), T0 + timedelta(days=1), "IB1")]
    assert [r.rate for r in ledger.fx_rates_at(middle)] == [Decimal("1.01")]
    assert len(ledger.fx_history()) == 3
    assert records.create("things", "x", state("IB9", "9", T0)) is True
    assert records.create("things", "x", state("IB9", "8", T0)) is False
    assert [s.equity for s in records.list("things", AccountState)] == [Decimal(9)]
