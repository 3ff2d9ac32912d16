"""An in-memory stand-in for the part of ``google.cloud.firestore.Client`` MATS's adapters use.

The demo history (``demo_history.py``) runs the real services over the real Firestore adapters
on this client, at memory speed, then copies every document it wrote to the emulator in
batches (:meth:`MemoryFirestore.copy_to`). The adapters cannot tell the difference: documents
are kept as the adapters wrote them (a deep copy on every write; a read gets its own top-level
dict, which is all the adapters change) and queries answer as Firestore's do for what the
adapters ask:

- ``where`` with ``==``, ``<``, ``<=``, ``>``, ``>=`` on a top-level field (a document without
  the field, or with a value of another type, does not match), ``order_by``, ``limit``,
  ``count()``; no order: document-id order. Ties in an order stay in ascending document-id
  order whatever the direction, as the emulator answers. Ordered by a field a document lacks,
  it is left out, ``null`` sorts first (as in Firestore; the npm emulator differs there, and no
  adapter orders by a field it may lack);
- ``create`` refuses an existing document with ``AlreadyExists``; ``update`` a missing one with
  ``NotFound``; a batch is checked whole before any write is applied, as Firestore commits it.
"""

from __future__ import annotations

import heapq
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from google.api_core.exceptions import AlreadyExists, NotFound
from google.cloud import firestore

COPY_BATCH = 400  # Writes per batch when copying to a real client (Firestore takes 500).
COPY_THREADS = 4

_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _copy(value: Any) -> Any:
    """A deep copy of a document's fields (dicts and lists; the leaves are immutable)."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


_MISSING = object()


def _comparable(have: Any, want: Any) -> bool:
    """Firestore compares a field with a value of its own type only (numbers with numbers);
    a filter on another type, ``null`` included, does not match."""
    numbers = (int, float)
    if isinstance(have, bool) or isinstance(want, bool):
        return isinstance(have, bool) and isinstance(want, bool)
    if isinstance(have, numbers) and isinstance(want, numbers):
        return True
    if have is None or want is None or have is _MISSING:
        return False
    return isinstance(have, type(want)) or isinstance(want, type(have))


def _index_key(value: Any) -> tuple[bool, Any] | None:
    """How an equality index files a value (a bool apart from the numbers 0 and 1); ``None``
    for a missing field or a value that cannot be filed (a map or an array)."""
    if value is _MISSING or isinstance(value, dict | list):
        return None
    return (isinstance(value, bool), value)


def _order_key(value: Any) -> tuple[bool, Any]:
    """The order of one field's values: ``null`` first, then the values."""
    return (False, 0) if value is None else (True, value)


class MemoryFirestore:
    """A client whose collections live in a dict: ``{collection: {document id: fields}}``."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, dict[str, Any]]] = {}
        # Per collection and field: document ids by value, built on a query's first use and
        # dropped by any write to the collection (an equality filter then scans only its match).
        self._indexes: dict[str, dict[str, dict[tuple[bool, Any], list[str]]]] = {}

    def collection(self, name: str) -> MemoryCollection:
        return MemoryCollection(self, name)

    def batch(self) -> MemoryBatch:
        return MemoryBatch(self)

    def get_all(self, references: Iterable[MemoryDocument]) -> Iterator[MemorySnapshot]:
        for reference in references:
            yield reference.get()

    def close(self) -> None:
        """Nothing to close (the services' ``close`` calls it on a client they made)."""

    def documents(self) -> int:
        return sum(len(found) for found in self.data.values())

    def copy_to(self, client: Any) -> int:
        """Write every document to ``client`` (a real Firestore client), in batches, a few at
        once."""
        items = [
            (name, document_id, fields)
            for name, found in sorted(self.data.items())
            for document_id, fields in sorted(found.items())
        ]

        def commit(start: int) -> None:
            batch = client.batch()
            for name, document_id, fields in items[start : start + COPY_BATCH]:
                batch.set(client.collection(name).document(document_id), fields)
            batch.commit()

        with ThreadPoolExecutor(max_workers=COPY_THREADS) as pool:
            list(pool.map(commit, range(0, len(items), COPY_BATCH)))
        return len(items)

    def _kept(self, name: str) -> dict[str, dict[str, Any]]:
        return self.data.setdefault(name, {})

    def _changed(self, name: str) -> None:
        self._indexes.pop(name, None)

    def _with_value(self, name: str, field: str, value: Any) -> list[str] | None:
        """The ids of the documents whose ``field`` equals ``value`` (``None``: unindexable)."""
        indexes = self._indexes.setdefault(name, {})
        index = indexes.get(field)
        if index is None:
            index = {}
            for document_id, fields in self._kept(name).items():
                key = _index_key(fields.get(field, _MISSING))
                if key is not None:
                    index.setdefault(key, []).append(document_id)
            indexes[field] = index
        key = _index_key(value)
        return None if key is None else index.get(key, [])


class MemoryQuery:
    def __init__(
        self,
        client: MemoryFirestore,
        name: str,
        filters: tuple[tuple[str, str, Any], ...] = (),
        order: tuple[str, bool] | None = None,
        count: int | None = None,
    ) -> None:
        self._client = client
        self._name = name
        self._filters = filters
        self._order = order
        self._count = count

    @property
    def id(self) -> str:
        return self._name

    def where(self, *, filter: firestore.FieldFilter) -> MemoryQuery:
        if filter.op_string not in _OPERATORS:
            raise NotImplementedError(f"operator {filter.op_string!r} is not supported in memory")
        condition = (filter.field_path, filter.op_string, filter.value)
        return MemoryQuery(
            self._client, self._name, (*self._filters, condition), self._order, self._count
        )

    def order_by(self, field: str, direction: str = firestore.Query.ASCENDING) -> MemoryQuery:
        descending = direction == firestore.Query.DESCENDING
        return MemoryQuery(
            self._client, self._name, self._filters, (field, descending), self._count
        )

    def limit(self, count: int) -> MemoryQuery:
        return MemoryQuery(self._client, self._name, self._filters, self._order, count)

    def count(self) -> MemoryCount:
        return MemoryCount(self)

    def stream(self) -> Iterator[MemorySnapshot]:
        kept = self._client._kept(self._name)
        tests = [(field, _OPERATORS[op], value) for field, op, value in self._filters]
        candidates: Iterable[tuple[str, dict[str, Any]]] = kept.items()
        for field, op, value in self._filters:
            matching = self._client._with_value(self._name, field, value) if op == "==" else None
            if matching is not None:
                candidates = [(document_id, kept[document_id]) for document_id in matching]
                break
        found = []
        for document_id, fields in candidates:
            for field, test, value in tests:
                have = fields.get(field, _MISSING)
                if type(have) is not type(value) and not _comparable(have, value):
                    break
                if not test(have, value):
                    break
            else:
                found.append((document_id, fields))
        found.sort(key=lambda item: item[0])
        if self._order is not None:  # Ties by document id, in the order's direction (Firestore).
            field, descending = self._order
            found = [item for item in found if field in item[1]]
            pick = heapq.nlargest if descending else heapq.nsmallest
            count = len(found) if self._count is None else self._count
            found = pick(count, found, key=lambda item: (_order_key(item[1][field]), item[0]))
        elif self._count is not None:
            found = found[: self._count]
        collection = MemoryCollection(self._client, self._name)
        for document_id, fields in found:
            yield MemorySnapshot(collection.document(document_id), dict(fields))


@dataclass(frozen=True)
class MemoryAggregate:
    alias: str
    value: int


class MemoryCount:
    """``query.count()``: ``get()`` answers ``[[result]]`` as Firestore's aggregation does."""

    def __init__(self, query: MemoryQuery) -> None:
        self._query = query

    def get(self) -> list[list[MemoryAggregate]]:
        return [[MemoryAggregate("count", sum(1 for _ in self._query.stream()))]]


class MemoryCollection(MemoryQuery):
    def document(self, document_id: str) -> MemoryDocument:
        return MemoryDocument(self._client, self._name, document_id)


class MemoryDocument:
    def __init__(self, client: MemoryFirestore, collection: str, document_id: str) -> None:
        self._client = client
        self._collection = collection
        self.id = document_id

    @property
    def path(self) -> str:
        return f"{self._collection}/{self.id}"

    def _kept(self) -> dict[str, dict[str, Any]]:
        return self._client._kept(self._collection)

    def get(self) -> MemorySnapshot:
        fields = self._kept().get(self.id)
        return MemorySnapshot(self, dict(fields) if fields is not None else None)

    def set(self, fields: dict[str, Any], merge: bool = False) -> None:
        self._client._changed(self._collection)
        kept = self._kept()
        if merge and self.id in kept:
            kept[self.id] = {**kept[self.id], **_copy(fields)}
        else:
            kept[self.id] = _copy(fields)

    def create(self, fields: dict[str, Any]) -> None:
        if self.id in self._kept():
            raise AlreadyExists(f"Document already exists: {self.path}")  # type: ignore[no-untyped-call]
        self.set(fields)

    def update(self, fields: dict[str, Any]) -> None:
        if self.id not in self._kept():
            raise NotFound(f"No document to update: {self.path}")  # type: ignore[no-untyped-call]
        self.set(fields, merge=True)

    def delete(self) -> None:
        self._client._changed(self._collection)
        self._kept().pop(self.id, None)


class MemorySnapshot:
    def __init__(self, reference: MemoryDocument, fields: dict[str, Any] | None) -> None:
        self.reference = reference
        self.id = reference.id
        self._fields = fields

    @property
    def exists(self) -> bool:
        return self._fields is not None

    def to_dict(self) -> dict[str, Any] | None:
        return self._fields

    def get(self, field: str) -> Any:
        return (self._fields or {}).get(field)


class MemoryBatch:
    def __init__(self, client: MemoryFirestore) -> None:
        self._client = client
        self._writes: list[tuple[str, MemoryDocument, dict[str, Any], bool]] = []

    def set(self, reference: MemoryDocument, fields: dict[str, Any], merge: bool = False) -> None:
        self._writes.append(("set", reference, fields, merge))

    def create(self, reference: MemoryDocument, fields: dict[str, Any]) -> None:
        self._writes.append(("create", reference, fields, False))

    def update(self, reference: MemoryDocument, fields: dict[str, Any]) -> None:
        self._writes.append(("update", reference, fields, True))

    def delete(self, reference: MemoryDocument) -> None:
        self._writes.append(("delete", reference, {}, False))

    def commit(self) -> Sequence[Any]:
        for kind, reference, _, _ in self._writes:
            exists = reference.get().exists
            if kind == "create" and exists:
                raise AlreadyExists(f"Document already exists: {reference.path}")  # type: ignore[no-untyped-call]
            if kind == "update" and not exists:
                raise NotFound(f"No document to update: {reference.path}")  # type: ignore[no-untyped-call]
        for kind, reference, fields, merge in self._writes:
            if kind == "delete":
                reference.delete()
            else:
                reference.set(fields, merge=merge)
        return [None] * len(self._writes)
