"""How the activity reads answer: signals with Cerebro's sizing, orders with their fills, and a
sender's own signals with their P&L and sizing — pure functions from the stored records to the
JSON the contract (``openapi/activity.json``, ``openapi/people.json``) describes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mats.codec import to_primitive
from mats.contracts import decode, decode_as
from mats.domain.accounting.views import SignalPnl
from mats.domain.cerebro.sizing import SignalSizing
from mats.domain.execution.records import OrderRecord
from mats.domain.orders import Fill
from mats.domain.signals.records import SignalRecord
from mats.domain.signals.signal import Signal

# What a sender's page shows of each of their signals: nothing of its processing internals.
_SENDER_SIGNAL_FIELDS = (
    "signal_id",
    "received_at",
    "strategy_id",
    "symbol",
    "intent",
    "status",
    "rejection_reason",
    "rejection_detail",
)


def signal_summary(record: SignalRecord, sizing: SignalSizing | None) -> dict[str, Any]:
    """A signal as a list shows it: everything but the bodies (the raw payload, the message),
    with the price its sender gave and what Cerebro made of it (``None`` until it decided, and
    for a signal ingest refused)."""
    shown: dict[str, Any] = to_primitive(record)
    for heavy in ("raw_payload", "message"):
        shown.pop(heavy)
    shown["price"] = to_primitive(decode_as(record.message, Signal).price)
    shown["sizing"] = to_primitive(sizing)
    return shown


def signals_with_sizing(
    records: Iterable[SignalRecord], sizings: Iterable[SignalSizing]
) -> list[dict[str, Any]]:
    """A page of signals, each with its own sizing (``sizings`` holds the page's decided ones)."""
    by_signal = {sizing.signal_id: sizing for sizing in sizings}
    return [signal_summary(record, by_signal.get(record.signal_id)) for record in records]


def signal_detail(record: SignalRecord, sizing: SignalSizing | None) -> dict[str, Any]:
    """A signal with the standard signal it became and the payload as received (redacted)."""
    return {
        **signal_summary(record, sizing),
        "signal": to_primitive(decode(record.message)),
        "raw_payload": record.raw_payload,
    }


def order_view(record: OrderRecord, fills: Sequence[Fill], *, history: bool) -> dict[str, Any]:
    """An order as executed with its fills; ``history``: with every transition it went through
    (a list leaves them out: they grow with the order's retries)."""
    shown: dict[str, Any] = {"order_id": record.order_id, **to_primitive(record)}
    if not history:
        shown.pop("transitions")
    shown["fills"] = to_primitive([fill for fill in fills if fill.order_id == record.order_id])
    return shown


def orders_with_fills(
    records: Iterable[OrderRecord], fills: Sequence[Fill]
) -> list[dict[str, Any]]:
    """A page of orders, each with its own fills (``fills`` holds the whole page's)."""
    by_order: dict[str, list[Fill]] = {}
    for fill in fills:
        by_order.setdefault(fill.order_id, []).append(fill)
    return [order_view(r, by_order.get(r.order_id, []), history=False) for r in records]


def sender_signal(
    record: SignalRecord, pnl: SignalPnl | None, sizing: SignalSizing | None
) -> dict[str, Any]:
    """One of a sender's signals: what they sent, what Cerebro made of it, what it has made.

    ``sizing`` is ``None`` until Cerebro decided (and for a signal ingest refused); ``pnl``
    until a fill of it opened a lot.
    """
    shown = to_primitive(record)
    return {
        **{name: shown[name] for name in _SENDER_SIGNAL_FIELDS},
        "sizing": to_primitive(sizing),
        "pnl": to_primitive(pnl),
    }


def own_signals(
    records: Sequence[SignalRecord],
    pnls: Iterable[SignalPnl],
    sizings: Iterable[SignalSizing],
    sender_id: str,
) -> list[dict[str, Any]]:
    """A page of a sender's signals with the P&L and sizing read for them; anything of another
    sender's is left out, whatever the reads returned."""
    mine = {record.signal_id for record in records if record.sender_id == sender_id}
    pnl_of: Mapping[str, SignalPnl] = {p.signal_id: p for p in pnls if p.signal_id in mine}
    sizing_of: Mapping[str, SignalSizing] = {s.signal_id: s for s in sizings if s.signal_id in mine}
    return [
        sender_signal(record, pnl_of.get(record.signal_id), sizing_of.get(record.signal_id))
        for record in records
        if record.signal_id in mine
    ]
