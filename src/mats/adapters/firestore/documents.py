"""Map domain dataclasses to Firestore documents and vendor errors to MATS errors."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from operator import eq, ge, gt, le, lt
from typing import Any, Generic, TypeVar

from google.api_core import exceptions as google_errors
from google.cloud.firestore import FieldFilter, Query

from mats.codec import from_primitive, to_primitive
from mats.errors import TemporaryError, ValidationError

T = TypeVar("T")

_RESERVED = re.compile(r"^__.*__$")  # Ids Firestore keeps for itself.

SENDERS = "senders"
SENDER_NAMES = "sender_names"
STRATEGIES = "strategy_configurations"
SIGNALS = "signals"
SIGNAL_KEYS = "signal_keys"
SIGNAL_LEASES = "signal_leases"
ACCOUNTS = "accounts"
POSITIONS = "positions"
INSTRUMENTS = "instruments"
QUOTES = "quotes"
FX_RATES = "fx_rates"
FX_HISTORY = "fx_history"  # Every rate ever stored, one document each: {pair}__{as_of}.
RISK_STATES = "risk_states"
BACKTESTS = "strategy_backtest_data"
ALLOCATIONS = "portfolio_allocations"
DECISIONS = "decisions"
DECISION_SEQUENCE = "decision_sequence"
ORDERS = "orders"
ALERTS = "alerts"
BRIDGE_HEALTH = "bridge_health"
# Written by the dashboard aggregator: each strategy's P&L since the start of the trading day.
STRATEGY_DAY_PNL = "strategy_day_pnl"

_TEMPORARY = (
    google_errors.ServiceUnavailable,
    google_errors.DeadlineExceeded,
    google_errors.InternalServerError,
    google_errors.TooManyRequests,
    google_errors.Aborted,
    google_errors.RetryError,
)


class Documents(Generic[T]):
    """One collection of documents that each hold one dataclass."""

    def __init__(self, client: Any, collection: str, cls: type[T]) -> None:
        self._client = client
        self.collection = client.collection(collection)
        self._cls = cls

    def ref(self, document_id: str) -> Any:
        return self.collection.document(document_id)

    def get(self, document_id: str) -> T | None:
        with translated_errors(f"reading {self.collection.id}/{document_id}"):
            return self.parse(self.ref(document_id).get())

    def parse(self, snapshot: Any) -> T | None:
        return from_document(self._cls, snapshot.to_dict()) if snapshot.exists else None

    def put(self, document_id: str, value: T) -> None:
        with translated_errors(f"writing {self.collection.id}/{document_id}"):
            self.ref(document_id).set(to_document(value))

    def where(
        self,
        filters: Iterable[tuple[str, str, Any]] = (),
        *,
        order_by: str | None = None,
        descending: bool = False,
        limit: int | None = None,
    ) -> list[T]:
        query: Any = self.collection
        for field, operator, value in filters:
            query = query.where(filter=FieldFilter(field, operator, value))
        if order_by is not None:
            direction = Query.DESCENDING if descending else Query.ASCENDING
            query = query.order_by(order_by, direction=direction)
        if limit is not None:
            query = query.limit(limit)
        with translated_errors(f"querying {self.collection.id}"):
            return [from_document(self._cls, snapshot.to_dict()) for snapshot in query.stream()]

    def page(
        self,
        filters: Iterable[tuple[str, str, Any]] = (),
        *,
        order_by: str,
        descending: bool = False,
        limit: int,
        after: str | None = None,
    ) -> tuple[list[T], str | None]:
        """One page of a query and the id to continue after (``None`` on the last page).

        ``after`` is the id of the previous page's last document: the page starts after it in
        the query's order (Firestore breaks ties by document id), so a page never repeats or
        skips a document written meanwhile elsewhere in the order. An ``after`` that names no
        document, or one its filters leave out, is refused: it is not a cursor this query gave
        (and a caller scoped by a filter learns nothing of the documents outside it).
        """
        filters = list(filters)
        query: Any = self.collection
        for field, operator, value in filters:
            query = query.where(filter=FieldFilter(field, operator, value))
        direction = Query.DESCENDING if descending else Query.ASCENDING
        query = query.order_by(order_by, direction=direction)
        with translated_errors(f"querying {self.collection.id}"):
            if after is not None:
                previous = self.ref(after).get() if _may_be_id(after) else None
                if previous is None or not _in_list(previous.to_dict(), filters):
                    raise ValidationError("cursor", "is not a cursor of this list")
                query = query.start_after(previous)
            snapshots = list(query.limit(limit + 1).stream())
        items = [from_document(self._cls, snapshot.to_dict()) for snapshot in snapshots[:limit]]
        following = snapshots[limit - 1].id if len(snapshots) > limit else None
        return items, following


def _may_be_id(text: str) -> bool:
    """Whether Firestore could hold a document with this id (it refuses the others outright)."""
    return bool(text) and "/" not in text and text not in (".", "..") and not _RESERVED.match(text)


def _in_list(document: Mapping[str, Any] | None, filters: Iterable[tuple[str, str, Any]]) -> bool:
    """Whether a document (``None``: not there) passes a query's filters."""
    if document is None:
        return False
    for field, operator, value in filters:
        test = _TESTS.get(operator)
        try:
            passed = test is None or test(document.get(field), value)
        except TypeError:  # A field of another type (or none) than the filter's.
            passed = False
        if not passed:
            return False
    return True


_TESTS: Mapping[str, Callable[[Any, Any], bool]] = {
    "==": eq,
    "<": lt,
    "<=": le,
    ">": gt,
    ">=": ge,
    "in": lambda have, wanted: have in wanted,
}


def to_document(value: Any) -> dict[str, Any]:
    document: dict[str, Any] = to_primitive(value, native_datetimes=True)
    return document


def from_document(cls: type[T], data: Mapping[str, Any] | None) -> T:
    return from_primitive(cls, dict(data or {}))


@contextmanager
def translated_errors(action: str) -> Iterator[None]:
    """Turn Firestore's transient failures into ``TemporaryError`` so callers retry."""
    try:
        yield
    except _TEMPORARY as error:
        raise TemporaryError(f"Firestore unavailable while {action}: {error}") from error
