"""FIFO lots per (account, strategy, instrument), remembering the signal that opened each lot.

Conventions:

- First in, first out, as Interactive Brokers' statements realise by default: a fill against
  the position's sign closes the oldest lots first; whatever is left of the fill opens a new lot
  at the fill price. A reversal (selling more than is held) closes every lot, then opens the
  remainder the other way.
- Quantities on fills are unsigned (``side`` says which way); lots are signed (+ long, - short).
- Realised P&L is ``(close - open) x quantity x multiplier`` for a long lot (the opposite for a
  short), in the instrument's currency, gross of commission.
- Commissions are costs in the currency charged, kept apart from realised P&L. A fill's
  commission is split pro rata by quantity between the lots it closes (attributed to their
  openers' signals and senders) and the lot it opens (the fill's own signal). Shares are
  allotted to 1e-12 (``SHARE_QUANTUM``) and the last takes the remainder: they add up to the
  commission exactly and, being short decimals, sum to the same total in any grouping (per
  sender, per strategy, per fund).
- A realisation belongs to the OPENING lot's signal and sender: a sender is paid for the lots
  its signals opened, whoever closed them.
- :func:`fold` replays fills in ``(executed_at, execution_id)`` order and ignores repeated
  execution ids, so the result is the same whatever order the fills arrived in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from mats.domain.accounting.positions import position_id
from mats.domain.trading import Side
from mats.errors import ValidationError

SHARE_QUANTUM = Decimal("1e-12")


@dataclass(frozen=True)
class LedgerKey:
    account: str
    strategy_id: str
    symbol: str

    @property
    def id(self) -> str:
        return position_id(self.account, self.strategy_id, self.symbol)


@dataclass(frozen=True)
class LotFill:
    """What the lot ledger needs of one execution (quantity unsigned)."""

    execution_id: str
    order_id: str
    signal_id: str
    sender_id: str | None
    account: str
    strategy_id: str
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    multiplier: Decimal
    currency: str
    commission: Decimal
    commission_currency: str  # The currency charged (== currency when the same).
    executed_at: datetime

    def __post_init__(self) -> None:
        if not self.quantity.is_finite() or self.quantity <= 0:
            raise ValidationError("quantity", "must be a positive number")
        if not self.price.is_finite():
            raise ValidationError("price", "must be a number")
        if not self.multiplier.is_finite() or self.multiplier <= 0:
            raise ValidationError("multiplier", "must be a positive number")
        if not self.commission.is_finite():
            raise ValidationError("commission", "must be a number")
        if self.executed_at.tzinfo is None:
            raise ValidationError("executed_at", "must be timezone-aware")

    @property
    def key(self) -> LedgerKey:
        return LedgerKey(self.account, self.strategy_id, self.symbol)

    @property
    def signed_quantity(self) -> Decimal:
        return self.quantity if self.side is Side.BUY else -self.quantity


@dataclass(frozen=True)
class Lot:
    """An open lot, quantity signed (+ long, - short)."""

    execution_id: str
    signal_id: str
    sender_id: str | None
    opened_at: datetime
    quantity: Decimal
    price: Decimal
    multiplier: Decimal
    currency: str


@dataclass(frozen=True)
class Realization:
    """The part of one lot a fill closed; attributed to the OPENING lot's signal and sender."""

    closing_execution_id: str
    opening_execution_id: str
    signal_id: str
    sender_id: str | None
    quantity: Decimal  # Unsigned.
    open_price: Decimal
    close_price: Decimal
    multiplier: Decimal
    currency: str
    pnl: Decimal  # In currency, gross of commission.
    realized_at: datetime


@dataclass(frozen=True)
class Cost:
    """A share of one fill's commission, attributed to the opener of the lot it belongs to."""

    execution_id: str
    signal_id: str
    sender_id: str | None
    amount: Decimal  # Positive is a cost; a rebate is negative.
    currency: str
    at: datetime


@dataclass(frozen=True)
class LotBook:
    """The open lots of one ledger key, oldest first, all of one sign.

    ``currency`` and ``multiplier`` are the instrument's, remembered from the last fill (``None``
    before any), so a flat book still knows them.
    """

    key: LedgerKey
    lots: tuple[Lot, ...]
    last: tuple[datetime, str] | None  # (executed_at, execution_id) of the last fill applied.
    fills_applied: int
    currency: str | None = None
    multiplier: Decimal | None = None

    @property
    def quantity(self) -> Decimal:
        return sum((lot.quantity for lot in self.lots), Decimal(0))

    @property
    def average_cost(self) -> Decimal | None:
        """Return the quantity-weighted price of the open lots, or None when flat."""
        held = sum((abs(lot.quantity) for lot in self.lots), Decimal(0))
        if held == 0:
            return None
        return sum((abs(lot.quantity) * lot.price for lot in self.lots), Decimal(0)) / held

    @staticmethod
    def empty(key: LedgerKey) -> LotBook:
        return LotBook(key=key, lots=(), last=None, fills_applied=0)

    def apply(self, fill: LotFill) -> tuple[LotBook, tuple[Realization, ...], tuple[Cost, ...]]:
        """Apply one fill FIFO; return the new book, what it realised and its commission shares.

        Fills must come in :func:`sort_key` order: the last fill again is a no-op; an older one
        raises ``ValueError`` (replay the key with :func:`fold` instead).
        """
        self._check(fill)
        if self.last is not None and sort_key(fill) == self.last:
            return self, (), ()
        remaining = fill.quantity
        lots = list(self.lots)
        realized: list[Realization] = []
        shares: list[tuple[Decimal, str, str | None]] = []
        while lots and remaining > 0 and (lots[0].quantity > 0) != (fill.side is Side.BUY):
            oldest = lots[0]
            taken = min(remaining, abs(oldest.quantity))
            realized.append(_realize(oldest, fill, taken))
            shares.append((taken, oldest.signal_id, oldest.sender_id))
            remaining -= taken
            if taken == abs(oldest.quantity):
                lots.pop(0)
            else:
                left = oldest.quantity - taken if oldest.quantity > 0 else oldest.quantity + taken
                lots[0] = replace(oldest, quantity=left)
        if remaining > 0:
            lots.append(_open(fill, remaining))
            shares.append((remaining, fill.signal_id, fill.sender_id))
        book = LotBook(
            key=self.key,
            lots=tuple(lots),
            last=sort_key(fill),
            fills_applied=self.fills_applied + 1,
            currency=fill.currency,
            multiplier=fill.multiplier,
        )
        return book, tuple(realized), _split_commission(fill, shares)

    def _check(self, fill: LotFill) -> None:
        if fill.key != self.key:
            raise ValueError(f"fill {fill.execution_id} is for {fill.key.id}, not {self.key.id}")
        if self.last is not None and sort_key(fill) < self.last:
            raise ValueError(f"fill {fill.execution_id} is older than the last fill applied")
        if self.currency is not None and fill.currency != self.currency:
            raise ValidationError("currency", f"{fill.currency} differs from {self.currency}")
        if self.multiplier is not None and fill.multiplier != self.multiplier:
            raise ValidationError("multiplier", f"{fill.multiplier} differs from {self.multiplier}")


def sort_key(fill: LotFill) -> tuple[datetime, str]:
    """Return the order fills are applied in: execution time, then execution id."""
    return fill.executed_at, fill.execution_id


def fold(
    key: LedgerKey, fills: Iterable[LotFill]
) -> tuple[LotBook, tuple[Realization, ...], tuple[Cost, ...]]:
    """Replay every fill of ``key`` in :func:`sort_key` order, each execution id once.

    Copies of one execution that disagree resolve to one of them whatever the arrival order.
    """
    unique: dict[str, LotFill] = {}
    for fill in fills:
        held = unique.get(fill.execution_id)
        if held is None or _tie_key(fill) < _tie_key(held):
            unique[fill.execution_id] = fill
    book = LotBook.empty(key)
    realized: list[Realization] = []
    costs: list[Cost] = []
    for fill in sorted(unique.values(), key=sort_key):
        book, closed, charged = book.apply(fill)
        realized.extend(closed)
        costs.extend(charged)
    return book, tuple(realized), tuple(costs)


def fold_by_key(
    fills: Iterable[LotFill],
) -> dict[LedgerKey, tuple[LotBook, tuple[Realization, ...], tuple[Cost, ...]]]:
    """Group fills by ledger key and :func:`fold` each group; keys in sorted order."""
    grouped: dict[LedgerKey, list[LotFill]] = {}
    for fill in fills:
        grouped.setdefault(fill.key, []).append(fill)
    ordered = sorted(grouped, key=lambda k: (k.account, k.strategy_id, k.symbol))
    return {key: fold(key, grouped[key]) for key in ordered}


def _realize(lot: Lot, fill: LotFill, quantity: Decimal) -> Realization:
    direction = 1 if lot.quantity > 0 else -1
    return Realization(
        closing_execution_id=fill.execution_id,
        opening_execution_id=lot.execution_id,
        signal_id=lot.signal_id,
        sender_id=lot.sender_id,
        quantity=quantity,
        open_price=lot.price,
        close_price=fill.price,
        multiplier=lot.multiplier,
        currency=lot.currency,
        pnl=(fill.price - lot.price) * quantity * lot.multiplier * direction,
        realized_at=fill.executed_at,
    )


def _open(fill: LotFill, quantity: Decimal) -> Lot:
    return Lot(
        execution_id=fill.execution_id,
        signal_id=fill.signal_id,
        sender_id=fill.sender_id,
        opened_at=fill.executed_at,
        quantity=quantity if fill.side is Side.BUY else -quantity,
        price=fill.price,
        multiplier=fill.multiplier,
        currency=fill.currency,
    )


def _split_commission(
    fill: LotFill, shares: list[tuple[Decimal, str, str | None]]
) -> tuple[Cost, ...]:
    if fill.commission == 0:
        return ()
    by_opener: dict[tuple[str, str | None], Decimal] = {}
    for quantity, signal_id, sender_id in shares:
        opener = (signal_id, sender_id)
        by_opener[opener] = by_opener.get(opener, Decimal(0)) + quantity
    costs: list[Cost] = []
    allotted = Decimal(0)
    openers = list(by_opener.items())
    for index, ((signal_id, sender_id), quantity) in enumerate(openers):
        if index == len(openers) - 1:
            amount = fill.commission - allotted  # The remainder: shares sum to the commission.
        else:
            amount = (fill.commission * quantity / fill.quantity).quantize(
                SHARE_QUANTUM, rounding=ROUND_HALF_EVEN
            )
        allotted += amount
        costs.append(
            Cost(
                execution_id=fill.execution_id,
                signal_id=signal_id,
                sender_id=sender_id,
                amount=amount,
                currency=fill.commission_currency,
                at=fill.executed_at,
            )
        )
    return tuple(costs)


def _tie_key(fill: LotFill) -> tuple[str, ...]:
    return tuple(str(getattr(fill, field.name)) for field in fields(fill))
