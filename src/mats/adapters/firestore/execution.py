"""The bridge's records: orders as executed, submission claims, fills and the ledger.

- ``orders/{order_id}`` (from Cerebro) gains each transition; ``active`` marks the ones to poll.
- ``order_claims/{order_id}``: created once, by whoever sends the order to the venue first.
- ``fills/{execution_id}``: created once per venue execution (so a fill is never counted twice);
  ``applied`` turns true in the same batch that writes the position, ``published`` once the
  ``mats.fill.v1`` message is out.
- ``positions/{account}__{strategy}__{symbol}``: the per-strategy ledger.
- ``quotes/{symbol}`` (written by the quote job) is read with the risk states before a send: an
  order's arrival mid.
- ``paper_orders/{reference}``: the paper venue's own book.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore

from mats.adapters.brokers.paper import PaperOrder
from mats.adapters.firestore.decisions import order_document, order_record
from mats.adapters.firestore.documents import (
    ORDERS,
    POSITIONS,
    QUOTES,
    RISK_STATES,
    Documents,
    from_document,
    to_document,
    translated_errors,
)
from mats.domain.accounting import StrategyPosition, position_id
from mats.domain.execution.records import OrderRecord
from mats.domain.market import Quote
from mats.domain.orders import Fill, Order
from mats.domain.risk import GLOBAL_SCOPE, RiskSetting, strategy_scope
from mats.ports import SendFacts

CLAIMS = "order_claims"
FILLS = "fills"
PAPER_ORDERS = "paper_orders"
IN_LIMIT = 30  # Firestore takes at most 30 values in one ``in`` filter.


class FirestoreExecutionStore:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._orders = client.collection(ORDERS)
        self._claims = client.collection(CLAIMS)
        self._fills = client.collection(FILLS)
        self._fill_pages = Documents(client, FILLS, Fill)  # ``applied``/``published`` ignored.
        self._positions = Documents(client, POSITIONS, StrategyPosition)
        self._risk = Documents(client, RISK_STATES, RiskSetting)
        self._quotes = Documents(client, QUOTES, Quote)
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def order(self, order_id: str) -> OrderRecord | None:
        with translated_errors("reading an order"):
            snapshot = self._orders.document(order_id).get()
        return order_record(snapshot.to_dict()) if snapshot.exists else None

    def put_order(self, record: OrderRecord) -> None:
        # Merged, without ``published_at``: Cerebro may be marking the order published meanwhile.
        document = {k: v for k, v in order_document(record).items() if k != "published_at"}
        with translated_errors("saving an order"):
            self._orders.document(record.order_id).set(document, merge=True)

    def active_orders(self) -> Sequence[OrderRecord]:
        query = self._orders.where(filter=firestore.FieldFilter("active", "==", True))
        with translated_errors("listing active orders"):
            return [order_record(s.to_dict()) for s in query.stream()]

    def claim_submission(self, order_id: str, at: datetime) -> datetime | None:
        claim = self._claims.document(order_id)
        try:
            with translated_errors("claiming an order"):
                claim.create({"claimed_at": at})
        except AlreadyExists:
            with translated_errors("reading an order claim"):
                claimed: datetime = claim.get().get("claimed_at")
            return claimed
        return None

    def release_claim(self, order_id: str) -> None:
        with translated_errors("releasing an order claim"):
            self._claims.document(order_id).delete()

    def record_fill(self, fill: Fill) -> bool:
        try:
            with translated_errors("recording a fill"):
                self._fills.document(fill.id).create(
                    {**to_document(fill), "applied": False, "published": False}
                )
        except AlreadyExists:
            return False
        return True

    def apply_fill(self, fill: Fill, position: StrategyPosition) -> None:
        batch = self._client.batch()
        key = position_id(position.account, position.strategy_id, position.symbol)
        batch.set(self._positions.ref(key), to_document(position))
        batch.update(self._fills.document(fill.id), {"applied": True})
        with translated_errors("applying a fill to the ledger"):
            batch.commit()

    def unapplied_fills(self) -> Sequence[Fill]:
        return self._fills_where("applied", False)

    def mark_fill_published(self, execution_id: str) -> None:
        with translated_errors("marking a fill published"):
            self._fills.document(execution_id).update({"published": True})

    def unpublished_fills(self) -> Sequence[Fill]:
        return self._fills_where("published", False)

    def position(self, account: str, strategy_id: str, symbol: str) -> StrategyPosition | None:
        return self._positions.get(position_id(account, strategy_id, symbol))

    def send_facts(self, order: Order) -> SendFacts:
        """Risk states, the position and the quote in one read, beside the query for working
        orders."""
        references = [
            self._risk.ref(GLOBAL_SCOPE),
            self._risk.ref(strategy_scope(order.strategy_id)),
            self._positions.ref(position_id(order.account, order.strategy_id, order.symbol)),
            self._quotes.ref(order.symbol.replace("/", "_")),
        ]

        def documents() -> dict[str, Any]:
            with translated_errors("reading the risk states, the position and the quote"):
                return {s.reference.path: s for s in self._client.get_all(references)}

        read = self._executor().submit(documents)
        query: Any = self._orders
        for field, value in (
            ("account", order.account),
            ("strategy_id", order.strategy_id),
            ("symbol", order.symbol),
            ("active", True),
        ):
            query = query.where(filter=firestore.FieldFilter(field, "==", value))
        with translated_errors("listing the strategy's working orders"):
            working = tuple(order_record(s.to_dict()) for s in query.stream())
        found = read.result()
        fund, own, position, quote = (found[reference.path] for reference in references)
        return SendFacts(
            self._risk.parse(fund),
            self._risk.parse(own),
            self._positions.parse(position),
            working,
            self._quotes.parse(quote),
        )

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="send-facts")
            return self._pool

    def list_fills(
        self, *, strategy_id: str | None, account: str | None, limit: int
    ) -> Sequence[Fill]:
        found, _ = self.fills_page(strategy_id=strategy_id, account=account, limit=limit)
        return found

    def fills_page(
        self,
        *,
        strategy_id: str | None,
        account: str | None = None,
        order_id: str | None = None,
        limit: int,
        after: str | None = None,
    ) -> tuple[list[Fill], str | None]:
        filters = [
            (field, "==", value)
            for field, value in (
                ("strategy_id", strategy_id),
                ("account", account),
                ("order_id", order_id),
            )
            if value is not None
        ]
        return self._fill_pages.page(
            filters, order_by="executed_at", descending=True, limit=limit, after=after
        )

    def fills_of(self, order_ids: Sequence[str]) -> Sequence[Fill]:
        wanted = list(dict.fromkeys(order_ids))
        found: list[Fill] = []
        for start in range(0, len(wanted), IN_LIMIT):
            chunk = wanted[start : start + IN_LIMIT]
            found += self._fill_pages.where([("order_id", "in", chunk)])
        return sorted(found, key=lambda fill: (fill.executed_at, fill.id))

    def _fills_where(self, field: str, value: bool) -> list[Fill]:
        query = self._fills.where(filter=firestore.FieldFilter(field, "==", value))
        with translated_errors("listing fills"):
            return [_fill(s.to_dict()) for s in query.stream()]


def _fill(document: dict[str, Any] | None) -> Fill:
    data = {k: v for k, v in (document or {}).items() if k not in ("applied", "published")}
    return from_document(Fill, data)


class FirestorePaperBook:
    """The paper venue's orders (``paper_orders/{reference}``), so a restarted bridge has them."""

    def __init__(self, client: firestore.Client) -> None:
        self._orders = client.collection(PAPER_ORDERS)

    def get(self, order_id: str) -> PaperOrder | None:
        with translated_errors("reading a paper order"):
            snapshot = self._orders.document(order_id).get()
        return _paper_order(snapshot.to_dict()) if snapshot.exists else None

    def put(self, order: PaperOrder) -> None:
        document = {**to_document(order), "filled_at": order.fill.at if order.fill else None}
        with translated_errors("saving a paper order"):
            self._orders.document(order.order.id).set(document)

    def filled_since(self, since: datetime) -> Sequence[PaperOrder]:
        query = self._orders.where(filter=firestore.FieldFilter("filled_at", ">=", since))
        with translated_errors("listing paper fills"):
            return [_paper_order(s.to_dict()) for s in query.stream()]


def _paper_order(document: dict[str, Any] | None) -> PaperOrder:
    data = {k: v for k, v in (document or {}).items() if k != "filled_at"}
    return from_document(PaperOrder, data)
