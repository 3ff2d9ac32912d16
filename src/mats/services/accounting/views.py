"""Recompute the read models the dashboard shows from one valuation of the fund.

Every refresh values the fund once (:class:`FundValuer`) and rewrites, from that one picture,
the P&L of the fund, each account, strategy and sender, each strategy's P&L since the start of
the trading day (which Cerebro's daily-loss check reads), each open signal's unrealised P&L,
each sender's payout position and the fund summary. Each document is a fixed size whatever the
history, so reading one costs the same after a year as after a day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from mats.domain.accounting.daily import StrategyDayPnl, trading_day_start
from mats.domain.accounting.fund import FundValuation, GroupTotals, book_of
from mats.domain.accounting.valuation import unrealized_by_signal
from mats.domain.accounting.views import (
    DayStartTotals,
    FundSummary,
    PnlParts,
    PnlView,
    SenderView,
    StrikeRecord,
    cents,
)
from mats.ports import LedgerStore, RecordStore
from mats.services.accounting.flows import held_for_withdrawals
from mats.services.accounting.payouts import NAV_STRIKES, PayoutBook, PayoutState
from mats.services.accounting.valuing import FundValuer
from mats.settings.accounting import AccountingSettings

FUND_SUMMARY = "fund_summary"
PNL_VIEWS = "pnl_views"
DAY_PNL = "strategy_day_pnl"
DAY_START = "day_start_totals"
SENDER_VIEWS = "sender_views"
WITHDRAWALS_HELD = "withdrawals_held"  # One document: cash held for investors' withdrawals.


def pnl_view_id(group: str, name: str) -> str:
    return f"{group}__{name}"


class ReadModels:
    def __init__(
        self,
        *,
        valuer: FundValuer,
        ledger: LedgerStore,
        records: RecordStore,
        payouts: PayoutBook,
        settings: AccountingSettings,
    ) -> None:
        self._valuer = valuer
        self._ledger = ledger
        self._records = records
        self._payouts = payouts
        self._settings = settings

    @property
    def base_currency(self) -> str:
        return self._valuer.base_currency

    def refresh(self, at: datetime, *, late_fact_at: datetime | None = None) -> FundSummary:
        """Rewrite every read model from the fund as it stands at ``at`` (or at the newest
        fill, when a venue's clock runs ahead of ours: never a fill left out)."""
        valuation = self._valuer.value(at, not_before_newest_fill=True)
        at = valuation.at
        baseline = self.day_start(at, revalue_from=late_fact_at)
        states = self._payouts.states(list(valuation.senders))
        self._write_pnl(valuation, baseline)
        self._write_senders(valuation, states)
        self._write_open_signals(valuation, at)
        summary = self._summary(valuation, baseline, states)
        self._records.put(FUND_SUMMARY, "current", summary)
        return summary

    def fees_owed(self, valuation: FundValuation, states: Mapping[str, PayoutState]) -> Decimal:
        """sum of over senders of what the fund owes them: accrued + due + carried (cents)."""
        total = Decimal(0)
        for sender_id, state in states.items():
            cumulative = valuation.senders.get(sender_id, GroupTotals()).net
            total += state.liability(cumulative)
        return cents(total)

    def day_start(self, at: datetime, *, revalue_from: datetime | None = None) -> DayStartTotals:
        """The baseline of ``at``'s trading day, valued at the day's start and kept; valued again
        when a fact from before the start (``revalue_from``) arrives late."""
        start = trading_day_start(at, self._settings.trading_day_start)
        day_id = start.strftime("%Y-%m-%dT%H%M")
        found = self._records.get(DAY_START, day_id, DayStartTotals)
        if found is not None and not (revalue_from is not None and revalue_from <= start):
            return found
        valuation = self._valuer.value(start)
        totals = DayStartTotals(
            trading_day=start.date(),
            day_start=start,
            strategies={k: _parts(v) for k, v in valuation.strategies.items()},
            accounts={k: _parts(v) for k, v in valuation.by_account.items()},
            fund=_parts(valuation.totals),
            equity=valuation.equity,
            flags=tuple(sorted(valuation.flags)),
        )
        self._records.put(DAY_START, day_id, totals)
        return totals

    def _write_pnl(self, valuation: FundValuation, baseline: DayStartTotals) -> None:
        views, days = [], []
        groups = [
            ("strategy", valuation.strategies, baseline.strategies),
            ("account", valuation.by_account, baseline.accounts),
            ("sender", valuation.senders, {}),
        ]
        for group, totals, starts in groups:
            for name, total in totals.items():
                start = starts.get(name, PnlParts()) if group != "sender" else None
                views.append(
                    (pnl_view_id(group, name), self._view(valuation, group, name, total, start))
                )
                if group == "strategy" and start is not None:
                    days.append((name, _day_pnl(name, total, start, baseline, valuation)))
        fund = self._view(valuation, "fund", "fund", valuation.totals, baseline.fund)
        views.append((pnl_view_id("fund", "fund"), replace(fund, positions=valuation.positions)))
        self._records.put_all(PNL_VIEWS, views)
        self._records.put_all(DAY_PNL, days)

    def _view(
        self,
        valuation: FundValuation,
        group: str,
        name: str,
        total: GroupTotals,
        start: PnlParts | None,
    ) -> PnlView:
        lines = tuple(
            line
            for line in valuation.positions
            if (group == "strategy" and line.strategy_id == name)
            or (group == "account" and line.account == name)
        )
        return PnlView(
            group=group,
            name=name,
            realized=cents(total.realized),
            unrealized=cents(total.unrealized),
            commissions=cents(total.commissions),
            net=cents(total.net),
            day_pnl=cents(total.net - start.net) if start is not None else None,
            positions=lines,
            as_of=valuation.as_of,
            day_start=None,
            flags=tuple(sorted(total.flags)),
        )

    def _write_senders(self, valuation: FundValuation, states: Mapping[str, PayoutState]) -> None:
        views = []
        for sender_id, state in states.items():
            total = valuation.senders.get(sender_id, GroupTotals())
            views.append(
                (
                    sender_id,
                    SenderView(
                        sender_id=sender_id,
                        base_currency=valuation.base_currency,
                        cumulative_pnl=cents(total.net),
                        realized=cents(total.realized),
                        unrealized=cents(total.unrealized),
                        commissions=cents(total.commissions),
                        hwm=state.hwm,
                        accrued=state.accrued(total.net),
                        due=state.due,
                        carried=state.carried,
                        paid=state.paid,
                        next_payment_date=state.next_payment_date,
                        fee_rate=state.terms.rate,
                        min_payout=state.terms.min_payout,
                        as_of=valuation.as_of,
                        flags=tuple(sorted(total.flags)),
                    ),
                )
            )
        self._records.put_all(SENDER_VIEWS, views)

    def _write_open_signals(self, valuation: FundValuation, at: datetime) -> None:
        """Signals whose lots are still open carry their unrealised P&L at the current mark."""
        rates = valuation.rates or self._valuer.rates(at)
        marks = valuation.marks
        unrealized: dict[str, Decimal] = {}
        for record in valuation.ledgers:
            if not record.lots:
                continue
            mark = marks.get(record.key.symbol)
            unrealized.update(
                unrealized_by_signal(book_of(record), mark, rates, valuation.base_currency, at)
            )
        signals = self._ledger.signal_pnls(sorted(unrealized))
        changed = []
        for signal in signals:
            amount = unrealized.get(signal.signal_id, Decimal(0))
            net = signal.realized - signal.commissions + amount
            if signal.unrealized != amount or signal.net != net:
                changed.append((signal.signal_id, replace(signal, unrealized=amount, net=net)))
        self._records.put_all("signal_pnl", changed)

    def _summary(
        self,
        valuation: FundValuation,
        baseline: DayStartTotals,
        states: Mapping[str, PayoutState],
    ) -> FundSummary:
        strike = self.latest_strike()
        fees = self.fees_owed(valuation, states)
        held = self.withdrawals_held()
        equity = cents(valuation.equity)
        day = valuation.totals.net - baseline.fund.net
        margin_max = cents(valuation.equity * self._settings.margin_limit)
        return FundSummary(
            base_currency=valuation.base_currency,
            equity=equity,
            accrued_fees=fees,
            withdrawals_held=held,
            nav=equity - fees - held,
            day_pnl=cents(day),
            day_pnl_pct=(
                (day / baseline.equity * 100).quantize(Decimal("0.01"))
                if baseline.equity > 0
                else None
            ),
            margin_used=cents(valuation.margin_used),
            margin_max=margin_max,
            margin_used_pct=(
                (valuation.margin_used / valuation.equity * 100).quantize(Decimal("0.01"))
                if valuation.equity > 0
                else None
            ),
            open_positions=len(valuation.positions),
            unpriced_positions=sum(1 for p in valuation.positions if "UNPRICED" in p.flags),
            accounts=valuation.accounts,
            as_of=valuation.as_of,
            nav_per_unit=strike.nav_per_unit if strike else None,
            units_in_issue=strike.units_after if strike else Decimal(0),
            flags=tuple(sorted(valuation.flags | set(baseline.flags))),
        )

    def latest_strike(self) -> StrikeRecord | None:
        found = self._records.list(
            NAV_STRIKES, StrikeRecord, order_by="at", descending=True, limit=1
        )
        return found[0] if found else None

    def withdrawals_held(self) -> Decimal:
        return held_for_withdrawals(self._records, None)


def _parts(total: GroupTotals) -> PnlParts:
    return PnlParts(total.realized, total.unrealized, total.commissions)


def _day_pnl(
    strategy_id: str,
    total: GroupTotals,
    start: PnlParts,
    baseline: DayStartTotals,
    valuation: FundValuation,
) -> StrategyDayPnl:
    return StrategyDayPnl(
        strategy_id=strategy_id,
        trading_day=baseline.trading_day,
        day_start=baseline.day_start,
        pnl=cents(total.net - start.net),
        realized=cents(total.realized - start.realized),
        unrealized=cents(total.unrealized - start.unrealized),
        commissions=cents(total.commissions - start.commissions),
        as_of=valuation.as_of or baseline.day_start,
        flags=tuple(sorted(total.flags)),
    )
