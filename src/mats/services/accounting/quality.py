"""Execution quality: each filled order's implementation shortfall, and aggregates per group.

On every fill the order's four prices are gathered — the sender's price and alert time from the
signal, the mid Cerebro decided at, the mid the bridge saw when it first sent the order, the VWAP
of the order's fills so far — and ``shortfall_orders/{order_id}`` is rewritten. The aggregates
(``shortfall_views/{strategy|sender}__{id}``) cover each group's latest
``MATS_SHORTFALL_WINDOW`` orders, so a read costs the same whatever the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from mats.contracts import ContractError, SignalV1, decode
from mats.domain.accounting.fx import RateBook
from mats.domain.accounting.lots import LotFill
from mats.domain.accounting.shortfall import (
    ExecutionPrices,
    Shortfall,
    ShortfallSummary,
    shortfall,
    summarise,
)
from mats.domain.orders import Fill
from mats.ports import ExecutionStore, LedgerStore, RecordStore, SignalStore

SHORTFALL_ORDERS = "shortfall_orders"
SHORTFALL_VIEWS = "shortfall_views"
LEDGER_FILLS = "ledger_fills"


@dataclass(frozen=True)
class OrderShortfall:
    """One order's shortfall as stored, with the keys its aggregates are queried by."""

    order_id: str
    strategy_id: str
    sender_id: str
    decided_at: datetime
    shortfall: Shortfall


class ExecutionQuality:
    def __init__(
        self,
        *,
        records: RecordStore,
        ledger: LedgerStore,
        orders: ExecutionStore,
        signals: SignalStore,
        base_currency: str,
        window: int,
    ) -> None:
        self._records = records
        self._ledger = ledger
        self._orders = orders
        self._signals = signals
        self._base = base_currency
        self._window = window

    def record(self, fill: Fill, sender_id: str | None) -> OrderShortfall | None:
        """Measure the order ``fill`` belongs to and refresh its groups' aggregates."""
        order = self._orders.order(fill.order_id)
        if order is None:
            return None
        fills = self._records.list(
            LEDGER_FILLS, LotFill, filters=[("order_id", "==", fill.order_id)]
        )
        if not fills:
            return None
        rates = RateBook(self._ledger.fx_rates_at(max(f.executed_at for f in fills)))
        filled = sum((f.quantity for f in fills), Decimal(0))
        vwap = sum((f.quantity * f.price for f in fills), Decimal(0)) / filled
        first = min(f.executed_at for f in fills)
        commission = Decimal(0)
        for item in fills:
            converted = rates.convert(
                item.commission, item.commission_currency, self._base, item.executed_at
            )
            commission += converted.amount or Decimal(0)
        rate = rates.convert(Decimal(1), order.order.currency, self._base, first)
        sent_price, alert_at, received_at = self._signal_facts(fill.signal_id)
        prices = ExecutionPrices(
            order_id=fill.order_id,
            strategy_id=fill.strategy_id,
            sender_id=sender_id,
            side=fill.side,
            quantity_ordered=order.order.quantity,
            quantity_filled=filled,
            sender_price=sent_price,
            decision_mid=order.order.decision_mid,
            arrival_mid=order.arrival_mid,
            fill_vwap=vwap,
            commission_base=commission,
            base_rate=rate.amount,
            multiplier=order.order.multiplier,
            alert_at=alert_at,
            received_at=received_at,
            decided_at=order.decided_at,
            submitted_at=order.submitted_at,
            first_fill_at=first,
        )
        stored = OrderShortfall(
            order_id=fill.order_id,
            strategy_id=fill.strategy_id,
            sender_id=sender_id or "unattributed",
            decided_at=order.decided_at,
            shortfall=shortfall(prices),
        )
        self._records.put(SHORTFALL_ORDERS, fill.order_id, stored)
        self._summarise("strategy", "strategy_id", stored.strategy_id)
        self._summarise("sender", "sender_id", stored.sender_id)
        return stored

    def summary(self, group: str, name: str) -> ShortfallSummary | None:
        return self._records.get(SHORTFALL_VIEWS, f"{group}__{name}", ShortfallSummary)

    def summaries(self, group: str) -> list[ShortfallSummary]:
        return self._records.list(SHORTFALL_VIEWS, ShortfallSummary, filters=_of_group(group))

    def summaries_page(
        self, group: str, *, limit: int, after: str | None = None
    ) -> tuple[list[ShortfallSummary], str | None]:
        """A page of one group's aggregates (``strategy`` or ``sender``) by name, continuing
        ``after`` an aggregate's id (``{group}__{name}``)."""
        return self._records.page(
            SHORTFALL_VIEWS,
            ShortfallSummary,
            filters=_of_group(group),
            order_by="group",
            limit=limit,
            after=after,
        )

    def _summarise(self, group: str, field: str, name: str) -> None:
        latest = self._records.list(
            SHORTFALL_ORDERS,
            OrderShortfall,
            filters=[(field, "==", name)],
            order_by="decided_at",
            descending=True,
            limit=self._window,
        )
        summary = summarise(f"{group}:{name}", [item.shortfall for item in latest])
        self._records.put(SHORTFALL_VIEWS, f"{group}__{name}", summary)

    def _signal_facts(
        self, signal_id: str
    ) -> tuple[Decimal | None, datetime | None, datetime | None]:
        record = self._signals.get(signal_id)
        if record is None:
            return None, None, None
        try:
            message = decode(record.message)
        except ContractError:
            return None, None, record.received_at
        if not isinstance(message, SignalV1):
            return None, None, record.received_at
        return message.price, message.signal_time, record.received_at


def _of_group(group: str) -> list[tuple[str, str, str]]:
    """The aggregates of one group: ``group`` (``strategy:{name}``) within the group's prefix
    (``;`` is the character after ``:``)."""
    return [("group", ">=", f"{group}:"), ("group", "<", f"{group};")]
