"""The hourly snapshot: every position and account as valued at the hour, kept for history.

``snapshots/{YYYYMMDDTHH}`` is created once per hour (a repeat answers with the first), holding
each position's quantity, average cost, mark with its source, FX rate, base value and flags, each
account's equity and margin, and every strategy's and sender's P&L to date. Its equity and margin
also join the month's page of ``equity_history/{YYYY-MM}``. Marks kept here value past moments
(a strike or a trading day's start run later).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from mats.domain.accounting.views import EquityPoint, SeriesPage, Snapshot, cents
from mats.ports import RecordStore
from mats.services.accounting.valuing import SNAPSHOTS, FundValuer

EQUITY_HISTORY = "equity_history"


def snapshot_id(at: datetime) -> str:
    return at.strftime("%Y%m%dT%H")


class Snapshots:
    def __init__(self, records: RecordStore, valuer: FundValuer) -> None:
        self._records = records
        self._valuer = valuer

    def take(self, at: datetime) -> tuple[Snapshot, bool]:
        """Snapshot the fund at ``at`` once per hour; ``(snapshot, new)``."""
        identifier = snapshot_id(at)
        existing = self._records.get(SNAPSHOTS, identifier, Snapshot)
        if existing is not None:
            return existing, False
        valuation = self._valuer.value(at)
        snapshot = Snapshot(
            snapshot_id=identifier,
            at=at,
            base_currency=valuation.base_currency,
            equity=cents(valuation.equity),
            margin_used=cents(valuation.margin_used),
            positions=valuation.positions,
            accounts=valuation.accounts,
            strategy_totals={k: cents(v.net) for k, v in valuation.strategies.items()},
            sender_totals={k: cents(v.net) for k, v in valuation.senders.items()},
            flags=tuple(sorted(valuation.flags)),
        )
        if not self._records.create(SNAPSHOTS, identifier, snapshot):
            return self._records.get(SNAPSHOTS, identifier, Snapshot) or snapshot, False
        self._append_equity(snapshot)
        return snapshot, True

    def equity_months(
        self, *, limit: int, after: str | None = None
    ) -> tuple[list[SeriesPage], str | None]:
        """A page of months of equity and margin, newest month first, continuing ``after`` a
        month (``YYYY-MM``); each month holds its points in time order."""
        return self._records.page(
            EQUITY_HISTORY, SeriesPage, order_by="period", descending=True, limit=limit, after=after
        )

    def list(self, *, limit: int, before: datetime | None = None) -> list[Snapshot]:
        filters = [("at", "<", before)] if before is not None else []
        return self._records.list(
            SNAPSHOTS, Snapshot, filters=filters, order_by="at", descending=True, limit=limit
        )

    def equity_history(self, month: str) -> SeriesPage | None:
        return self._records.get(EQUITY_HISTORY, month, SeriesPage)

    def _append_equity(self, snapshot: Snapshot) -> None:
        month = snapshot.at.strftime("%Y-%m")
        page = self._records.get(EQUITY_HISTORY, month, SeriesPage) or SeriesPage("equity", month)
        point = EquityPoint(snapshot.at, snapshot.equity, snapshot.margin_used)
        points = sorted({p.at: p for p in (*page.points, point)}.values(), key=lambda p: p.at)
        self._records.put(EQUITY_HISTORY, month, replace(page, points=tuple(points)))
