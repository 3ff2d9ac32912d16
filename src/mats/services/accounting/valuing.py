"""Value the fund at a moment from the stored facts: now, or at a past point.

At or after the newest fill the stored ledgers are the fund's books; for an earlier moment (a
strike or month-end run for a past date) every ledger is folded again from the fills executed
by then. Marks are the freshest at or before the moment among the bridge's quotes, the brokers'
own marks (kept with each account update) and the marks of the hourly snapshots; accounts are
their latest reported state at or before it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from mats.domain.accounting import AccountState
from mats.domain.accounting.fund import FundValuation, value_fund
from mats.domain.accounting.fx import RateBook
from mats.domain.accounting.lots import LotFill
from mats.domain.accounting.valuation import Mark, freshest
from mats.domain.accounting.views import LedgerRecord, Snapshot
from mats.ports import LedgerStore, RecordStore
from mats.services.accounting.ledger import accumulate_fold

SNAPSHOTS = "snapshots"


class FundValuer:
    def __init__(
        self,
        ledger: LedgerStore,
        records: RecordStore,
        base_currency: str,
        fx_max_age: timedelta,
    ) -> None:
        self._ledger = ledger
        self._records = records
        self.base_currency = base_currency
        self.fx_max_age = fx_max_age

    def rates(self, at: datetime) -> RateBook:
        """Each pair's latest rate at or before ``at``: all a valuation at ``at`` converts with."""
        return RateBook(self._ledger.fx_rates_at(at), max_age=self.fx_max_age)

    def value(self, at: datetime, *, not_before_newest_fill: bool = False) -> FundValuation:
        """The fund at ``at``; with ``not_before_newest_fill``, at the newest fill if a venue's
        clock ran ahead of ours (a live refresh never leaves a fill out)."""
        ledgers = list(self._ledger.ledgers())
        newest = newest_fill(ledgers)
        if not_before_newest_fill and newest is not None:
            at = max(at, newest)
        if newest is not None and newest > at:  # A past moment: as the fills until then make it.
            history = RateBook(self._ledger.fx_history(), max_age=self.fx_max_age)
            ledgers = self._folded(self._ledger.fills_until(at), history)
        rates = self.rates(at)
        held = {record.key.symbol for record in ledgers if record.lots}
        return value_fund(
            ledgers=ledgers,
            marks=self.marks(at, needed=held),
            accounts=self._accounts(at),
            rates=rates,
            base_currency=self.base_currency,
            at=at,
        )

    def marks(self, at: datetime, *, needed: set[str] | None = None) -> dict[str, Mark]:
        """The freshest mark of every symbol at or before ``at``. The hourly snapshots' marks
        are read only when a ``needed`` symbol has no quote or broker mark then."""
        candidates: dict[str, list[Mark]] = defaultdict(list)
        for quote in self._ledger.quotes():
            price = _mid(quote.bid, quote.ask) or quote.last
            if price is not None and quote.as_of <= at:
                candidates[quote.symbol].append(Mark(quote.symbol, price, "quote", quote.as_of))
        # At or after every account's latest update (every refresh), the brokers' marks are
        # those of the latest states: one read, not a query of each account's history.
        latest = self._ledger.latest_accounts()
        moment = None if all(state.updated_at <= at for state in latest) else at
        for symbol, price, as_of, account in self._ledger.broker_marks(moment):
            candidates[symbol].append(Mark(symbol, price, f"broker:{account}", as_of))
        missing = needed is None or bool(needed - set(candidates))
        snapshot = self._last_snapshot(at) if missing else None
        if snapshot is not None:
            for line in snapshot.positions:
                if line.mark is not None and line.mark_as_of is not None:
                    source = line.mark_source or "snapshot"
                    candidates[line.symbol].append(
                        Mark(line.symbol, line.mark, source, line.mark_as_of)
                    )
        marks = {}
        for symbol, found in candidates.items():
            best = freshest(found)
            if best is not None:
                marks[symbol] = best
        return marks

    def _accounts(self, at: datetime) -> list[AccountState]:
        latest = list(self._ledger.latest_accounts())
        if all(state.updated_at <= at for state in latest):
            return latest
        return list(self._ledger.accounts_at(at))

    def _last_snapshot(self, at: datetime) -> Snapshot | None:
        found = self._records.list(
            SNAPSHOTS,
            Snapshot,
            filters=[("at", "<=", at)],
            order_by="at",
            descending=True,
            limit=1,
        )
        return found[0] if found else None

    def _folded(self, fills: Sequence[LotFill], rates: RateBook) -> list[LedgerRecord]:
        by_key: dict[str, list[LotFill]] = defaultdict(list)
        for fill in fills:
            by_key[fill.key.id].append(fill)
        return [
            accumulate_fold(group[0].key, group, rates, self.base_currency)[0]
            for _, group in sorted(by_key.items())
        ]


def _mid(bid: Decimal | None, ask: Decimal | None) -> Decimal | None:
    if bid is not None and ask is not None:
        return (bid + ask) / 2
    return None


def newest_fill(ledgers: Sequence[LedgerRecord]) -> datetime | None:
    """The newest fill any ledger holds (each ledger keeps its last)."""
    return max((record.last_executed_at for record in ledgers), default=None)
