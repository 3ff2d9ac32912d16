"""Value the whole fund at one moment: positions at their marks, accounts in the base currency.

One pure function, :func:`value_fund`, turns the stored facts (lot ledgers, the freshest marks,
the accounts' broker-reported states, FX history) into every figure the read models show, so
the hourly snapshot, the NAV strike and the per-fill refresh can never disagree:

- a position's unrealised P&L is sum of lot quantity x (mark - lot price) x multiplier, in the
  instrument's currency, converted at the valuation moment's rate; a position with no mark is
  flagged ``UNPRICED`` and counts as zero (never guessed);
- realised P&L and commissions are the ledgers' frozen base-currency sums;
- the fund's equity is sum of each account's broker-reported equity converted at the moment's rate;
  an account whose rate is missing is left out and the total flagged ``FX_MISSING``;
- a sender's cumulative P&L C is realised - commissions + unrealised over the lots its signals
  opened, across all its strategies, never netted with another sender's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from mats.domain.accounting.fx import RateBook
from mats.domain.accounting.lots import LotBook
from mats.domain.accounting.positions import AccountState
from mats.domain.accounting.valuation import (
    Mark,
    PositionValue,
    unrealized_by_sender,
    value_position,
)
from mats.domain.accounting.views import AccountLine, LedgerRecord, PositionLine, cents

UNATTRIBUTED = "unattributed"  # Lots opened by no known sender (manual or reconciled trades).


@dataclass(frozen=True)
class GroupTotals:
    """Unrounded base-currency P&L of one group (a strategy, a sender, an account, the fund)."""

    realized: Decimal = Decimal(0)
    unrealized: Decimal = Decimal(0)
    commissions: Decimal = Decimal(0)
    flags: frozenset[str] = frozenset()

    @property
    def net(self) -> Decimal:
        return self.realized + self.unrealized - self.commissions

    def plus(
        self,
        *,
        realized: Decimal = Decimal(0),
        unrealized: Decimal = Decimal(0),
        commissions: Decimal = Decimal(0),
        flags: Iterable[str] = (),
    ) -> GroupTotals:
        return GroupTotals(
            self.realized + realized,
            self.unrealized + unrealized,
            self.commissions + commissions,
            self.flags | frozenset(flags),
        )


@dataclass(frozen=True)
class FundValuation:
    at: datetime
    base_currency: str
    positions: tuple[PositionLine, ...]
    accounts: tuple[AccountLine, ...]
    strategies: Mapping[str, GroupTotals]
    senders: Mapping[str, GroupTotals]
    by_account: Mapping[str, GroupTotals]
    equity: Decimal
    margin_used: Decimal
    flags: frozenset[str]
    as_of: datetime | None  # The newest fact reflected.
    ledgers: tuple[LedgerRecord, ...] = ()  # What it was valued from.
    marks: Mapping[str, Mark] = field(default_factory=dict)
    rates: RateBook | None = None

    @property
    def totals(self) -> GroupTotals:
        total = GroupTotals()
        for group in self.strategies.values():
            total = total.plus(
                realized=group.realized,
                unrealized=group.unrealized,
                commissions=group.commissions,
                flags=group.flags,
            )
        return total


def book_of(record: LedgerRecord) -> LotBook:
    return LotBook(
        key=record.key,
        lots=record.lots,
        last=(record.last_executed_at, record.last_execution_id),
        fills_applied=record.fills_applied,
        currency=record.currency,
        multiplier=record.multiplier,
    )


def value_fund(
    *,
    ledgers: Sequence[LedgerRecord],
    marks: Mapping[str, Mark],
    accounts: Sequence[AccountState],
    rates: RateBook,
    base_currency: str,
    at: datetime,
) -> FundValuation:
    """Every figure of the fund at ``at`` (see the module's docstring for the conventions)."""
    strategies: dict[str, GroupTotals] = defaultdict(GroupTotals)
    senders: dict[str, GroupTotals] = defaultdict(GroupTotals)
    by_account: dict[str, GroupTotals] = defaultdict(GroupTotals)
    lines: list[PositionLine] = []
    newest: list[datetime] = []
    for record in sorted(ledgers, key=lambda r: r.key.id):
        key = record.key
        newest.append(record.last_executed_at)
        realized = {"realized": record.realized, "commissions": record.commissions}
        strategies[key.strategy_id] = strategies[key.strategy_id].plus(
            **realized, flags=record.flags
        )
        by_account[key.account] = by_account[key.account].plus(**realized, flags=record.flags)
        for share in record.senders:
            senders[share.sender_id] = senders[share.sender_id].plus(
                realized=share.realized, commissions=share.commissions, flags=share.flags
            )
        if not record.lots:
            continue
        book = book_of(record)
        mark = marks.get(key.symbol)
        value = value_position(book, mark, rates, base_currency, at)
        unrealized = (
            value.unrealized_base.amount
            if value.unrealized_base is not None and value.unrealized_base.amount is not None
            else Decimal(0)
        )
        strategies[key.strategy_id] = strategies[key.strategy_id].plus(
            unrealized=unrealized, flags=value.flags
        )
        by_account[key.account] = by_account[key.account].plus(
            unrealized=unrealized, flags=value.flags
        )
        if mark is not None:
            for sender, amount in unrealized_by_sender(
                book, mark, rates, base_currency, at
            ).items():
                name = sender or UNATTRIBUTED
                senders[name] = senders[name].plus(unrealized=amount, flags=value.flags)
        lines.append(_line(record, value, unrealized))
        if mark is not None:
            newest.append(mark.as_of)
    account_lines, equity, margin, account_flags = _accounts(accounts, rates, base_currency, at)
    newest.extend(a.updated_at for a in accounts)
    flags = frozenset(account_flags).union(*(g.flags for g in strategies.values()))
    return FundValuation(
        at=at,
        base_currency=base_currency,
        positions=tuple(lines),
        accounts=account_lines,
        strategies=dict(sorted(strategies.items())),
        senders=dict(sorted(senders.items())),
        by_account=dict(sorted(by_account.items())),
        equity=equity,
        margin_used=margin,
        flags=flags,
        as_of=max(newest) if newest else None,
        ledgers=tuple(ledgers),
        marks=marks,
        rates=rates,
    )


def _line(record: LedgerRecord, value: PositionValue, unrealized: Decimal) -> PositionLine:
    key = record.key
    mark, converted = value.mark, value.unrealized_base
    return PositionLine(
        account=key.account,
        strategy_id=key.strategy_id,
        symbol=key.symbol,
        currency=record.currency,
        quantity=record.quantity,
        average_cost=record.average_cost,
        mark=mark.price if mark is not None else None,
        mark_source=mark.source if mark is not None else None,
        mark_as_of=mark.as_of if mark is not None else None,
        unrealized_ccy=value.unrealized,
        unrealized=cents(unrealized) if mark is not None else None,
        market_value=value.market_value,
        fx_rate=converted.rate if converted is not None else None,
        flags=tuple(sorted(value.flags)),
    )


def _accounts(
    accounts: Sequence[AccountState], rates: RateBook, base: str, at: datetime
) -> tuple[tuple[AccountLine, ...], Decimal, Decimal, set[str]]:
    lines: list[AccountLine] = []
    equity, margin, flags = Decimal(0), Decimal(0), set[str]()
    for state in sorted(accounts, key=lambda a: a.account):
        eq = rates.convert(state.equity, state.base_currency, base, at)
        used = rates.convert(state.margin_used, state.base_currency, base, at)
        own: tuple[str, ...] = ()
        if eq.amount is None or used.amount is None:
            own = ("FX_MISSING",)
        elif eq.flag_name is not None:
            own = (eq.flag_name,)
        flags.update(own)
        if eq.amount is not None and used.amount is not None:
            equity += eq.amount
            margin += used.amount
        lines.append(
            AccountLine(
                account=state.account,
                broker=state.broker,
                currency=state.base_currency,
                equity=state.equity,
                cash=state.cash,
                margin_used=state.margin_used,
                equity_base=cents(eq.amount) if eq.amount is not None else None,
                margin_used_base=cents(used.amount) if used.amount is not None else None,
                fx_rate=eq.rate,
                as_of=state.updated_at,
                flags=own,
            )
        )
    return tuple(lines), equity, margin, flags
