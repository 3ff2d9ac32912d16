"""Marks, unrealised P&L and P&L totals in the base currency, per key, strategy or sender.

Conventions:

- A position is valued at the freshest mark (a bridge quote, the broker's own mark, ...), which
  keeps its source and age. An open position with no mark is ``UNPRICED``: its unrealised P&L
  and market value are unknown (``None``), never zero. A flat position is worth exactly zero:
  it needs no mark, raises no flag and adds nothing to the totals.
- Unrealised P&L is ``(mark - lot price) x signed quantity x multiplier`` summed over the open
  lots, in the instrument's currency, converted at the valuation time's rate.
- Realised P&L converts at the rate of its realisation moment and commissions at the moment
  they were charged (see :mod:`mats.domain.accounting.fx`): later rates never change them.
- A figure converted with a stale rate counts and is flagged ``FX_STALE``; one with no rate is
  left out of the totals and flagged ``FX_MISSING``. Totals are unrounded Decimals; round only
  where a figure is shown or stored as money.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from mats.domain.accounting.fx import Converted, RateBook
from mats.domain.accounting.lots import Cost, LedgerKey, Lot, LotBook, Realization

UNPRICED = "UNPRICED"
MARK_STALE = "MARK_STALE"
FX_STALE = "FX_STALE"
FX_MISSING = "FX_MISSING"

Group = TypeVar("Group")


@dataclass(frozen=True)
class Mark:
    symbol: str
    price: Decimal
    source: str  # "quote" | "broker" | ...
    as_of: datetime


def freshest(marks: Iterable[Mark], *, at: datetime | None = None) -> Mark | None:
    """Return the latest mark (at or before ``at`` when given), or None.

    Marks of one instant tie-break on source then price, so the answer is order-independent.
    """
    usable = [m for m in marks if m.price.is_finite() and (at is None or m.as_of <= at)]
    if not usable:
        return None
    return max(usable, key=lambda m: (m.as_of, m.source, m.price))


@dataclass(frozen=True)
class PositionValue:
    key: LedgerKey
    quantity: Decimal
    average_cost: Decimal | None
    currency: str
    multiplier: Decimal
    mark: Mark | None
    mark_age_seconds: float | None
    unrealized: Decimal | None  # In currency; None when unpriced.
    unrealized_base: Converted | None  # None when unpriced.
    market_value: Decimal | None  # quantity x mark x multiplier, in currency.
    flags: tuple[str, ...]  # "UNPRICED", "MARK_STALE", "FX_STALE", "FX_MISSING".


def value_position(
    book: LotBook,
    mark: Mark | None,
    rates: RateBook,
    base: str,
    at: datetime,
    *,
    mark_max_age: timedelta | None = None,
) -> PositionValue:
    """Value one book at ``mark``, converting its unrealised P&L to ``base`` at time ``at``.

    A book that never traded takes ``base`` as its currency. With ``mark_max_age``, a mark older
    than that at ``at`` is flagged ``MARK_STALE`` (still used).
    """
    if mark is not None and mark.symbol != book.key.symbol:
        raise ValueError(f"mark for {mark.symbol} cannot value {book.key.symbol}")
    currency = book.currency or base
    multiplier = book.multiplier if book.multiplier is not None else Decimal(1)
    quantity = book.quantity
    age = (at - mark.as_of).total_seconds() if mark is not None else None
    flags: list[str] = []
    if quantity == 0:
        unrealized: Decimal | None = Decimal(0)
        market_value: Decimal | None = Decimal(0)
        # Flat is exactly zero: its conversion is shown but raises no flag.
        converted: Converted | None = rates.convert(Decimal(0), currency, base, at)
    elif mark is None:
        unrealized = market_value = converted = None
        flags.append(UNPRICED)
    else:
        unrealized = _unrealized(book.lots, mark.price)
        market_value = quantity * mark.price * multiplier
        converted = rates.convert(unrealized, currency, base, at)
        if mark_max_age is not None and age is not None and age > mark_max_age.total_seconds():
            flags.append(MARK_STALE)
        if converted.flag_name is not None:
            flags.append(converted.flag_name)
    return PositionValue(
        key=book.key,
        quantity=quantity,
        average_cost=book.average_cost,
        currency=currency,
        multiplier=multiplier,
        mark=mark,
        mark_age_seconds=age,
        unrealized=unrealized,
        unrealized_base=converted,
        market_value=market_value,
        flags=tuple(flags),
    )


def unrealized_by_sender(
    book: LotBook, mark: Mark | None, rates: RateBook, base: str, at: datetime
) -> dict[str | None, Decimal]:
    """Return unrealised P&L in ``base`` per sender of the open lots' opening signals.

    Empty when the position cannot be valued (unpriced, or no rate): :func:`value_position`
    carries the flag saying so.
    """
    return _unrealized_by(book, mark, rates, base, at, group=lambda lot: lot.sender_id)


def unrealized_by_signal(
    book: LotBook, mark: Mark | None, rates: RateBook, base: str, at: datetime
) -> dict[str, Decimal]:
    """Return unrealised P&L in ``base`` per opening signal; empty when it cannot be valued."""
    return _unrealized_by(book, mark, rates, base, at, group=lambda lot: lot.signal_id)


@dataclass(frozen=True)
class PnlTotals:
    """P&L in the base currency, unrounded, with the flags of every figure behind it."""

    realized: Decimal
    unrealized: Decimal
    commissions: Decimal
    flags: tuple[str, ...]

    @property
    def net(self) -> Decimal:
        return self.realized + self.unrealized - self.commissions

    @staticmethod
    def zero() -> PnlTotals:
        return PnlTotals(Decimal(0), Decimal(0), Decimal(0), ())


def realized_base(r: Realization, rates: RateBook, base: str) -> Converted:
    """Convert a realisation at the rate of its own moment (frozen)."""
    return rates.convert(r.pnl, r.currency, base, r.realized_at)


def cost_base(c: Cost, rates: RateBook, base: str) -> Converted:
    """Convert a commission share at the rate of the moment it was charged (frozen)."""
    return rates.convert(c.amount, c.currency, base, c.at)


def pnl_totals(
    *,
    realizations: Iterable[Realization],
    costs: Iterable[Cost],
    positions: Iterable[PositionValue],
    rates: RateBook,
    base: str,
) -> PnlTotals:
    """Sum realised, unrealised and commissions in ``base``; figures without a rate are flagged."""
    flags: set[str] = set()
    realized = _sum_converted((realized_base(r, rates, base) for r in realizations), flags)
    commissions = _sum_converted((cost_base(c, rates, base) for c in costs), flags)
    converted: list[Converted] = []
    for position in positions:
        flags.update(position.flags)
        if position.quantity != 0 and position.unrealized_base is not None:
            converted.append(position.unrealized_base)
    unrealized = _sum_converted(converted, flags)
    return PnlTotals(realized, unrealized, commissions, tuple(sorted(flags)))


def combine(totals: Iterable[PnlTotals]) -> PnlTotals:
    """Add totals (e.g. keys into a strategy, strategies into a fund), merging their flags."""
    realized = unrealized = commissions = Decimal(0)
    flags: set[str] = set()
    for item in totals:
        realized += item.realized
        unrealized += item.unrealized
        commissions += item.commissions
        flags.update(item.flags)
    return PnlTotals(realized, unrealized, commissions, tuple(sorted(flags)))


def totals_by_sender(
    *,
    realizations: Iterable[Realization],
    costs: Iterable[Cost],
    books: Iterable[tuple[LotBook, Mark | None]],
    rates: RateBook,
    base: str,
    at: datetime,
) -> dict[str | None, PnlTotals]:
    """Return each sender's P&L in ``base``: its opened lots' realised and unrealised, less costs.

    Never netted across senders. A book that cannot be valued flags every sender holding a lot
    in it. Senders in sorted order, ``None`` (no sender) first.
    """
    realized: dict[str | None, list[Realization]] = {}
    for r in realizations:
        realized.setdefault(r.sender_id, []).append(r)
    charged: dict[str | None, list[Cost]] = {}
    for c in costs:
        charged.setdefault(c.sender_id, []).append(c)
    unrealized: dict[str | None, Decimal] = {}
    flags: dict[str | None, set[str]] = {}
    for book, mark in books:
        value = value_position(book, mark, rates, base, at)
        for lot in book.lots:
            flags.setdefault(lot.sender_id, set()).update(value.flags)
        for sender, amount in unrealized_by_sender(book, mark, rates, base, at).items():
            unrealized[sender] = unrealized.get(sender, Decimal(0)) + amount
    senders = set(realized) | set(charged) | set(unrealized) | set(flags)
    result: dict[str | None, PnlTotals] = {}
    for sender in sorted(senders, key=lambda s: (s is not None, s or "")):
        own = pnl_totals(
            realizations=realized.get(sender, ()),
            costs=charged.get(sender, ()),
            positions=(),
            rates=rates,
            base=base,
        )
        merged = set(own.flags) | flags.get(sender, set())
        result[sender] = PnlTotals(
            own.realized,
            unrealized.get(sender, Decimal(0)),
            own.commissions,
            tuple(sorted(merged)),
        )
    return result


def _unrealized(lots: Iterable[Lot], price: Decimal) -> Decimal:
    return sum(((price - lot.price) * lot.quantity * lot.multiplier for lot in lots), Decimal(0))


def _unrealized_by(
    book: LotBook,
    mark: Mark | None,
    rates: RateBook,
    base: str,
    at: datetime,
    *,
    group: Callable[[Lot], Group],
) -> dict[Group, Decimal]:
    if mark is None or not book.lots:
        return {}
    found = rates.rate(book.currency or base, base, at)
    if found is None:
        return {}
    rate, _ = found
    grouped: dict[Group, list[Lot]] = {}
    for lot in book.lots:
        grouped.setdefault(group(lot), []).append(lot)
    return {name: _unrealized(lots, mark.price) * rate for name, lots in grouped.items()}


def _sum_converted(items: Iterable[Converted], flags: set[str]) -> Decimal:
    total = Decimal(0)
    for item in items:
        if item.flag_name is not None:
            flags.add(item.flag_name)
        if item.amount is not None:
            total += item.amount
    return total
