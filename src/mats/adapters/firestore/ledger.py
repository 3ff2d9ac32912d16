"""The accounting's facts and lot ledgers in Firestore.

- ``ledger_fills/{execution_id}``: every live execution, created once, with the sender its
  signal came from; ``applied`` turns true once its ledger holds it.
- ``ledgers/{account}__{strategy}__{symbol}``: open FIFO lots and frozen base-currency totals.
- ``signal_pnl/{signal_id}``: what the lots each signal opened have made.
- ``account_history/{account}__{as_of}``: every account update, created once;
  ``account_latest/{account}``: the newest of them (an older update never replaces it).
- ``fx_history/{pair}__{as_of}``: every FX rate ever stored (``fx_rates`` keeps the latest).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore

from mats.adapters.firestore.documents import (
    FX_HISTORY,
    FX_RATES,
    QUOTES,
    SIGNALS,
    Documents,
    from_document,
    to_document,
    translated_errors,
)
from mats.domain.accounting import AccountState
from mats.domain.accounting.lots import LotFill
from mats.domain.accounting.views import BrokerMark, LedgerRecord, SignalPnl
from mats.domain.market import FxRate, Quote

LEDGER_FILLS = "ledger_fills"
LEDGERS = "ledgers"
SIGNAL_PNL = "signal_pnl"
ACCOUNT_HISTORY = "account_history"
ACCOUNT_LATEST = "account_latest"


@dataclass(frozen=True)
class MarkedAccount:
    """An account update as kept: the state and the broker's mark of each position."""

    state: AccountState
    marks: tuple[BrokerMark, ...] = ()


class FirestoreLedgerStore:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._fills = client.collection(LEDGER_FILLS)
        self._ledgers = Documents(client, LEDGERS, LedgerRecord)
        self._signals = Documents(client, SIGNAL_PNL, SignalPnl)
        self._history = client.collection(ACCOUNT_HISTORY)
        self._latest = client.collection(ACCOUNT_LATEST)
        self._quotes = Documents(client, QUOTES, Quote)
        self._fx = Documents(client, FX_HISTORY, FxRate)
        self._latest_rates = Documents(client, FX_RATES, FxRate)

    # Fills ---------------------------------------------------------------------------------

    def create_fill(self, fill: LotFill) -> bool:
        document = {**to_document(fill), "ledger_id": fill.key.id, "applied": False}
        try:
            with translated_errors("recording a fill for the ledger"):
                self._fills.document(fill.execution_id).create(document)
        except AlreadyExists:
            return False
        return True

    def fill_applied(self, execution_id: str) -> bool:
        with translated_errors("reading a ledger fill"):
            snapshot = self._fills.document(execution_id).get()
        return bool(snapshot.exists and (snapshot.to_dict() or {}).get("applied"))

    def mark_fill_applied(self, execution_id: str) -> None:
        with translated_errors("marking a ledger fill applied"):
            self._fills.document(execution_id).update({"applied": True})

    def fills_of(self, ledger_id: str) -> Sequence[LotFill]:
        return self._fill_query(self._fills.where(filter=_eq("ledger_id", ledger_id)))

    def fills_until(self, at: datetime) -> Sequence[LotFill]:
        return self._fill_query(
            self._fills.where(filter=firestore.FieldFilter("executed_at", "<=", at))
        )

    def _fill_query(self, query: Any) -> list[LotFill]:
        with translated_errors("querying ledger fills"):
            return [_fill(snapshot.to_dict()) for snapshot in query.stream()]

    # Ledgers and signals -------------------------------------------------------------------

    def ledger(self, ledger_id: str) -> LedgerRecord | None:
        return self._ledgers.get(ledger_id)

    def ledgers(self) -> Sequence[LedgerRecord]:
        return self._ledgers.where()

    def put_ledger(
        self, record: LedgerRecord, signals: Sequence[SignalPnl], stale: Sequence[str] = ()
    ) -> None:
        batch = self._client.batch()
        batch.set(self._ledgers.ref(record.key.id), to_document(record))
        for signal in signals:
            batch.set(self._signals.ref(signal.signal_id), to_document(signal))
        for signal_id in stale:
            batch.delete(self._signals.ref(signal_id))
        with translated_errors("writing a ledger"):
            batch.commit()

    def put_signal_pnls(self, signals: Sequence[SignalPnl]) -> None:
        for start in range(0, len(signals), 400):
            batch = self._client.batch()
            for signal in signals[start : start + 400]:
                batch.set(self._signals.ref(signal.signal_id), to_document(signal))
            with translated_errors("writing signal P&L"):
                batch.commit()

    def signal_pnls(self, signal_ids: Sequence[str]) -> Sequence[SignalPnl]:
        refs = [self._signals.ref(signal_id) for signal_id in dict.fromkeys(signal_ids)]
        if not refs:
            return []
        with translated_errors("reading signal P&L"):
            snapshots = list(self._client.get_all(refs))
        return [from_document(SignalPnl, s.to_dict()) for s in snapshots if s.exists]

    def signal_pnls_of(
        self,
        *,
        sender_id: str | None,
        strategy_id: str | None,
        limit: int,
        after: str | None = None,
    ) -> tuple[list[SignalPnl], str | None]:
        """A page of a sender's or strategy's signals, latest P&L change first, continuing
        ``after`` a signal id: one bounded query (an index on the filter and ``as_of``)."""
        filters = [
            (f, "==", v) for f, v in (("sender_id", sender_id), ("strategy_id", strategy_id)) if v
        ]
        return self._signals.page(
            filters, order_by="as_of", descending=True, limit=limit, after=after
        )

    def sender_of(self, signal_id: str) -> str | None:
        with translated_errors("reading a signal's sender"):
            snapshot = self._client.collection(SIGNALS).document(signal_id).get()
        if not snapshot.exists:
            return None
        sender = (snapshot.to_dict() or {}).get("sender_id")
        return str(sender) if sender else None

    # Accounts ------------------------------------------------------------------------------

    def record_account(self, state: AccountState, marks: Sequence[tuple[str, Decimal]]) -> bool:
        kept = MarkedAccount(state, tuple(BrokerMark(s, p) for s, p in marks))
        document = {**to_document(kept), "account": state.account, "as_of": state.updated_at}
        history_id = f"{state.account}__{state.updated_at:%Y%m%dT%H%M%S%f}"
        try:
            with translated_errors("keeping an account update"):
                self._history.document(history_id).create(document)
            kept_now = True
        except AlreadyExists:
            kept_now = False  # A replay; it may still have to move the latest (a crash between).
        latest = self._latest.document(state.account)
        with translated_errors("reading an account's latest state"):
            current = latest.get()
        stored = current.to_dict() if current.exists else None
        if stored is None or from_document(MarkedAccount, _kept(stored)).state.updated_at < (
            state.updated_at
        ):
            with translated_errors("writing an account's latest state"):
                latest.set(document)
            return True
        return kept_now

    def latest_accounts(self) -> Sequence[AccountState]:
        return [kept.state for kept in self._latest_marked()]

    def accounts_at(self, at: datetime) -> Sequence[AccountState]:
        return [kept.state for kept in self._marked_at(at)]

    def broker_marks(self, at: datetime | None) -> Sequence[tuple[str, Decimal, datetime, str]]:
        kept = self._latest_marked() if at is None else self._marked_at(at)
        return [
            (mark.symbol, mark.price, account.state.updated_at, account.state.account)
            for account in kept
            for mark in account.marks
        ]

    def _latest_marked(self) -> list[MarkedAccount]:
        with translated_errors("reading the accounts' latest states"):
            snapshots = list(self._latest.stream())
        return [from_document(MarkedAccount, _kept(s.to_dict())) for s in snapshots]

    def _marked_at(self, at: datetime) -> list[MarkedAccount]:
        found: list[MarkedAccount] = []
        for account in {kept.state.account for kept in self._latest_marked()}:
            query = (
                self._history.where(filter=_eq("account", account))
                .where(filter=firestore.FieldFilter("as_of", "<=", at))
                .order_by("as_of", direction=firestore.Query.DESCENDING)
                .limit(1)
            )
            with translated_errors("reading an account's history"):
                found.extend(
                    from_document(MarkedAccount, _kept(s.to_dict())) for s in query.stream()
                )
        return sorted(found, key=lambda kept: kept.state.account)

    # Market data ---------------------------------------------------------------------------

    def quotes(self) -> Sequence[Quote]:
        return self._quotes.where()

    def fx_history(self) -> Sequence[FxRate]:
        return self._fx.where()

    def fx_rates_at(self, at: datetime) -> Sequence[FxRate]:
        """Each pair's latest rate at or before ``at``: a read per pair, whatever the history."""
        found = []
        for latest in self._latest_rates.where():
            if latest.as_of <= at:
                found.append(latest)
                continue
            earlier = self._fx.where(
                [
                    ("base_currency", "==", latest.base_currency),
                    ("quote_currency", "==", latest.quote_currency),
                    ("as_of", "<=", at),
                ],
                order_by="as_of",
                descending=True,
                limit=1,
            )
            found.extend(earlier)
        return found


def _eq(field: str, value: Any) -> firestore.FieldFilter:
    return firestore.FieldFilter(field, "==", value)


def _fill(data: dict[str, Any] | None) -> LotFill:
    fields = dict(data or {})
    fields.pop("ledger_id", None)
    fields.pop("applied", None)
    return from_document(LotFill, fields)


def _kept(data: dict[str, Any] | None) -> dict[str, Any]:
    fields = dict(data or {})
    fields.pop("account", None)
    fields.pop("as_of", None)
    return fields
