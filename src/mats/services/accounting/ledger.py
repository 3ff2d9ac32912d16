"""Book live fills into FIFO lot ledgers, once each, whatever order they arrive in.

Each execution is kept once (``ledger_fills/{execution_id}``, with its signal's sender). A fill
that sorts after the last one its ledger applied, by (executed time, execution id), is applied
incrementally; any other (a late or reordered delivery, or a crash between keeping a fill and
applying it) folds that ledger again from every fill it holds. Both give the same ledger, so a
replay or a shuffle of the same fills leaves the same documents. Paper fills are not the fund's
money and stay out of the accounting (their positions are in the bridge's ledger).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from mats.domain.accounting.fx import Converted, RateBook
from mats.domain.accounting.lots import Cost, LedgerKey, LotBook, LotFill, Realization, fold
from mats.domain.accounting.valuation import FX_MISSING, cost_base, realized_base
from mats.domain.accounting.views import LedgerRecord, SenderShare, SignalPnl
from mats.domain.orders import Fill
from mats.domain.trading import TradingMode
from mats.ports import LedgerStore

log = logging.getLogger(__name__)

UNKNOWN_SENDER = "unattributed"


class LedgerBooking:
    def __init__(self, store: LedgerStore, base_currency: str, fx_max_age: timedelta) -> None:
        self._store = store
        self._base = base_currency
        self._max_age = fx_max_age

    def book(self, fill: Fill) -> LedgerKey | None:
        """Apply one fill; the ledger it changed, or ``None`` when there was nothing to do."""
        if fill.trading_mode is not TradingMode.LIVE:
            return None
        lot_fill = self._lot_fill(fill)
        if not self._store.create_fill(lot_fill) and self._store.fill_applied(fill.id):
            return None  # A replay: this execution is already in its ledger.
        key = lot_fill.key
        record = self._store.ledger(key.id)
        if record is not None and (lot_fill.executed_at, lot_fill.execution_id) > (
            record.last_executed_at,
            record.last_execution_id,
        ):
            # Everything this fill realises happens at its own moment: the rates then suffice.
            rates = RateBook(self._store.fx_rates_at(lot_fill.executed_at), max_age=self._max_age)
            updated, signals = self._apply(record, lot_fill, rates)
            stale: list[str] = []
        else:
            fills = self._store.fills_of(key.id)
            rates = RateBook(self._store.fx_history(), max_age=self._max_age)
            updated, signals = accumulate_fold(key, fills, rates, self._base)
            # A signal that opened lots only in the order the fills came (a sale seen before
            # the buys it closes) opens none once they are folded in time order.
            kept = {signal.signal_id for signal in signals}
            stale = sorted({f.signal_id for f in fills} - kept)
        self._store.put_ledger(updated, signals, stale)
        self._store.mark_fill_applied(fill.id)
        log.info(
            "fill in ledger",
            extra={"execution_id": fill.id, "ledger": key.id, "quantity": str(updated.quantity)},
        )
        return key

    def _lot_fill(self, fill: Fill) -> LotFill:
        return LotFill(
            execution_id=fill.id,
            order_id=fill.order_id,
            signal_id=fill.signal_id,
            sender_id=self._store.sender_of(fill.signal_id),
            account=fill.account,
            strategy_id=fill.strategy_id,
            symbol=fill.symbol,
            side=fill.side,
            quantity=fill.quantity,
            price=fill.price,
            multiplier=fill.multiplier,
            currency=fill.currency,
            commission=fill.commission,
            commission_currency=fill.commission_currency or fill.currency,
            executed_at=fill.executed_at,
        )

    def _apply(
        self, record: LedgerRecord, fill: LotFill, rates: RateBook
    ) -> tuple[LedgerRecord, list[SignalPnl]]:
        book = LotBook(
            key=record.key,
            lots=record.lots,
            last=(record.last_executed_at, record.last_execution_id),
            fills_applied=record.fills_applied,
            currency=record.currency,
            multiplier=record.multiplier,
        )
        after, realizations, costs = book.apply(fill)
        touched = {
            fill.signal_id,
            *(r.signal_id for r in realizations),
            *(c.signal_id for c in costs),
        }
        known = {s.signal_id: s for s in self._store.signal_pnls(sorted(touched))}
        updated = _accumulate(
            record,
            after,
            fill,
            realizations=realizations,
            costs=costs,
            rates=rates,
            base=self._base,
        )
        signals = _signals(
            known,
            after,
            [fill],
            realizations=realizations,
            costs=costs,
            rates=rates,
            base=self._base,
        )
        return updated, [signals[s] for s in sorted(touched) if s in signals]


def accumulate_fold(
    key: LedgerKey, fills: Sequence[LotFill], rates: RateBook, base: str
) -> tuple[LedgerRecord, list[SignalPnl]]:
    """A ledger and its signals' P&L folded from every fill it holds, in executed order."""
    book, realizations, costs = fold(key, fills)
    ordered = sorted({f.execution_id: f for f in fills}.values(), key=_order)
    last = ordered[-1]
    empty = LedgerRecord(
        key=key,
        currency=last.currency,
        multiplier=last.multiplier,
        lots=(),
        fills_applied=0,
        last_executed_at=last.executed_at,
        last_execution_id=last.execution_id,
    )
    record = _accumulate(
        empty, book, last, realizations=realizations, costs=costs, rates=rates, base=base
    )
    signals = _signals(
        {}, book, ordered, realizations=realizations, costs=costs, rates=rates, base=base
    )
    return record, [signals[s] for s in sorted(signals)]


def _order(fill: LotFill) -> tuple[datetime, str]:
    return (fill.executed_at, fill.execution_id)


def _accumulate(
    record: LedgerRecord,
    book: LotBook,
    last: LotFill,
    *,
    realizations: Sequence[Realization],
    costs: Sequence[Cost],
    rates: RateBook,
    base: str,
) -> LedgerRecord:
    """Add realisations and costs (frozen in base at their own moment) to the running totals."""
    shares = {s.sender_id: s for s in record.senders}
    realized, realized_ccy, commissions = record.realized, record.realized_ccy, record.commissions
    flags = set(record.flags)
    for item in realizations:
        converted = realized_base(item, rates, base)
        amount, flag = _amount(converted)
        realized += amount
        realized_ccy += item.pnl
        sender = item.sender_id or UNKNOWN_SENDER
        share = shares.get(sender, SenderShare(sender))
        shares[sender] = replace(
            share, realized=share.realized + amount, flags=_flags(share.flags, flag)
        )
        flags.update([flag] if flag else [])
    for cost in costs:
        converted = cost_base(cost, rates, base)
        amount, flag = _amount(converted)
        commissions += amount
        sender = cost.sender_id or UNKNOWN_SENDER
        share = shares.get(sender, SenderShare(sender))
        shares[sender] = replace(
            share, commissions=share.commissions + amount, flags=_flags(share.flags, flag)
        )
        flags.update([flag] if flag else [])
    return LedgerRecord(
        key=record.key,
        currency=record.currency,
        multiplier=record.multiplier,
        lots=book.lots,
        fills_applied=book.fills_applied,
        last_executed_at=last.executed_at,
        last_execution_id=last.execution_id,
        realized=realized,
        realized_ccy=realized_ccy,
        commissions=commissions,
        senders=tuple(shares[s] for s in sorted(shares)),
        flags=tuple(sorted(flags)),
    )


def _signals(
    known: dict[str, SignalPnl],
    book: LotBook,
    fills: Sequence[LotFill],
    *,
    realizations: Sequence[Realization],
    costs: Sequence[Cost],
    rates: RateBook,
    base: str,
) -> dict[str, SignalPnl]:
    """Each touched signal's P&L: what its lots opened, still hold, realised and cost."""
    signals = dict(known)
    key = book.key

    def entry(signal_id: str, sender_id: str | None, at: object) -> SignalPnl:
        found = signals.get(signal_id)
        if found is None:
            found = SignalPnl(
                signal_id=signal_id,
                sender_id=sender_id or UNKNOWN_SENDER,
                strategy_id=key.strategy_id,
                account=key.account,
                symbol=key.symbol,
                currency=book.currency or "",
                opened_quantity=Decimal(0),
                open_quantity=Decimal(0),
                realized=Decimal(0),
                commissions=Decimal(0),
                unrealized=Decimal(0),
                net=Decimal(0),
                as_of=at,  # type: ignore[arg-type]
            )
        return found

    for fill in fills:
        opening = _opened_by(fill, realizations)
        if opening > 0:
            signal = entry(fill.signal_id, fill.sender_id, fill.executed_at)
            signals[fill.signal_id] = replace(
                signal,
                opened_quantity=signal.opened_quantity + opening,
                as_of=max(signal.as_of, fill.executed_at),
            )
    for item in realizations:
        signal = entry(item.signal_id, item.sender_id, item.realized_at)
        amount, flag = _amount(realized_base(item, rates, base))
        signals[item.signal_id] = replace(
            signal,
            realized=signal.realized + amount,
            as_of=max(signal.as_of, item.realized_at),
            flags=_flags(signal.flags, flag),
        )
    for cost in costs:
        signal = entry(cost.signal_id, cost.sender_id, cost.at)
        amount, flag = _amount(cost_base(cost, rates, base))
        signals[cost.signal_id] = replace(
            signal,
            commissions=signal.commissions + amount,
            as_of=max(signal.as_of, cost.at),
            flags=_flags(signal.flags, flag),
        )
    holding: dict[str, Decimal] = {}
    for lot in book.lots:
        holding[lot.signal_id] = holding.get(lot.signal_id, Decimal(0)) + lot.quantity
    updated = {}
    for signal_id, signal in signals.items():
        held = holding.get(signal_id, Decimal(0))
        unrealized = signal.unrealized if held else Decimal(0)  # Closed: nothing unrealised.
        updated[signal_id] = replace(
            signal,
            open_quantity=held,
            unrealized=unrealized,
            net=signal.realized - signal.commissions + unrealized,
        )
    return updated


def _opened_by(fill: LotFill, realizations: Sequence[Realization]) -> Decimal:
    """How much of ``fill`` opened a lot (its quantity less what it closed)."""
    closed = sum(
        (r.quantity for r in realizations if r.closing_execution_id == fill.execution_id),
        Decimal(0),
    )
    return fill.quantity - closed


def _amount(converted: Converted) -> tuple[Decimal, str | None]:
    """The base amount (0 when no rate: never a silent 1) and the flag that says so."""
    if converted.amount is None:
        return Decimal(0), FX_MISSING
    return converted.amount, converted.flag_name


def _flags(flags: tuple[str, ...], flag: str | None) -> tuple[str, ...]:
    return tuple(sorted({*flags, flag})) if flag else flags
