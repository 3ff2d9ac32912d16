"""Fills and account updates delivered three times each, in shuffled order, leave every read
model byte for byte as one in-order delivery does (Pub/Sub delivers at least once, in any order).
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from typing import Any

import pytest

from mats.domain.trading import Side
from tests.integration.accounting.conftest import Books, open_books

# Every collection the accounting derives from messages (not the health marks, which record
# when each message was seen).
DERIVED = (
    "ledgers",
    "signal_pnl",
    "pnl_views",
    "sender_views",
    "fund_summary",
    "strategy_day_pnl",
    "day_start_totals",
    "account_latest",
    "account_history",
    "ledger_fills",
)

SIGNALS = [
    ("a1", "alpha", "snd-a"),
    ("a2", "alpha", "snd-a"),
    ("b1", "beta", "snd-b"),
    ("b2", "beta", "snd-b"),
    ("g1", "gamma", "snd-a"),
    ("g2", "gamma", "snd-b"),
]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def messages(books: Books) -> list[tuple[str, Any]]:
    us = {"account": "IB_US", "currency": "USD"}
    eu = {"account": "IB_EU", "currency": "EUR", "commission_currency": "GBP"}
    fills = [
        ("e1", "2026-01-02T10:00", "a1", "alpha", "AAPL", Side.BUY, "100", "150", us, "1"),
        ("e2", "2026-01-02T10:01", "a1", "alpha", "AAPL", Side.BUY, "50", "151", us, "1"),
        ("e3", "2026-01-02T15:00", "a2", "alpha", "AAPL", Side.SELL, "120", "160", us, "1"),
        ("e4", "2026-01-02T11:00", "b1", "beta", "SAP", Side.BUY, "200", "100", eu, "1"),
        ("e5", "2026-01-02T12:00", "b2", "beta", "SAP", Side.SELL, "300", "95", eu, "1"),
        ("e6", "2026-01-02T10:00", "g1", "gamma", "ES", Side.BUY, "2", "4000", us, "50"),
        ("e7", "2026-01-02T10:05", "g2", "gamma", "ES", Side.BUY, "1", "4010", us, "50"),
    ]
    out: list[tuple[str, Any]] = []
    for execution, when, signal, strategy, symbol, side, qty, price, where, mult in fills:
        fill = books.fill(
            execution,
            at=at(when),
            signal_id=signal,
            strategy_id=strategy,
            symbol=symbol,
            side=side,
            quantity=qty,
            price=price,
            commission="1.25",
            multiplier=mult,
            **where,
        )
        out.append(("fill", fill))
    for when, name, currency, equity, marks in [
        ("2026-01-02T09:00", "IB_US", "USD", "390000", (("AAPL", "149"),)),
        ("2026-01-02T16:00", "IB_US", "USD", "391000", (("AAPL", "158"), ("ES", "4020"))),
        ("2026-01-02T09:00", "IB_EU", "EUR", "100000", ()),
        ("2026-01-02T16:00", "IB_EU", "EUR", "99000", (("SAP", "92"),)),
    ]:
        out.append(
            (
                "account",
                books.account(name, currency=currency, equity=equity, at=at(when), marks=marks),
            )
        )
    return out


def deliver(books: Books, items: list[tuple[str, Any]]) -> None:
    for kind, item in items:
        if kind == "fill":
            books.accounting.on_fill(item, message_id=f"msg-{item.id}")
        else:
            books.accounting.on_account(item)


def prepare(books: Books) -> None:
    books.clock.current = at("2026-01-02T18:00")
    books.rate("EUR/USD", "1.10", at("2026-01-01T09:00"))
    books.rate("GBP/USD", "1.30", at("2026-01-01T09:00"))
    for signal, strategy, sender in SIGNALS:
        books.signal(signal, strategy_id=strategy, sender_id=sender)


def dump(books: Books) -> dict[str, dict[str, str]]:
    """Every derived document, as canonical JSON text."""
    client = books.services.firestore
    return {
        collection: {
            snapshot.id: json.dumps(snapshot.to_dict(), sort_keys=True, default=str)
            for snapshot in client.collection(collection).stream()
        }
        for collection in DERIVED
    }


@pytest.fixture(scope="module")
def in_order(stack: Any) -> dict[str, dict[str, str]]:
    with open_books() as books:
        prepare(books)
        items = messages(books)
        deliver(books, sorted(items, key=_time))
        return dump(books)


def _time(item: tuple[str, Any]) -> datetime:
    kind, value = item
    return value.executed_at if kind == "fill" else value.state.updated_at


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_three_shuffled_deliveries_leave_the_same_documents(
    in_order: dict[str, dict[str, str]], seed: int
) -> None:
    with open_books() as books:
        prepare(books)
        items = messages(books) * 3
        random.Random(seed).shuffle(items)  # noqa: S311 - a reproducible shuffle, not a secret.
        deliver(books, items)
        replayed = dump(books)
    counts = {c: len(docs) for c, docs in replayed.items()}
    print(f"seed {seed}: {len(items)} deliveries -> {counts}")
    assert counts["ledger_fills"] == 7
    assert counts["ledgers"] == 3
    for collection in DERIVED:
        assert replayed[collection] == in_order[collection], collection
