"""Any collection of dataclass documents: the accounting's records and read models.

The accounting keeps many small collections (clients, client flows, NAV strikes, payouts, the
dashboard's read models); each is one dataclass per document, created once where a business
key must win once (a strike per date, a crystallisation per sender and month), replaced where it
is a view recomputed from facts.

``create_counted`` is one transaction: it reads the new document and the counter, then creates
the one and replaces the other. On Firestore its reads lock both documents, so concurrent
creators are serialised (the loser finds the document and writes nothing) and the commit is
atomic. The npm emulator does not isolate transactions (DESIGN.md §6): locally it is correct
because each counter has one writer (the dashboard, one request at a time).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore

from mats.adapters.firestore.documents import (
    Documents,
    from_document,
    to_document,
    translated_errors,
)
from mats.ports import CountedIn

T = TypeVar("T")

BATCH_LIMIT = 400  # Firestore takes at most 500 writes in one batch.


class FirestoreRecords:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client

    def _documents(self, collection: str, cls: type[T]) -> Documents[T]:
        return Documents(self._client, collection, cls)

    def get(self, collection: str, document_id: str, cls: type[T]) -> T | None:
        return self._documents(collection, cls).get(document_id)

    def get_many(self, collection: str, document_ids: Sequence[str], cls: type[T]) -> list[T]:
        documents = self._documents(collection, cls)
        refs = [documents.ref(document_id) for document_id in dict.fromkeys(document_ids)]
        if not refs:
            return []
        with translated_errors(f"reading {collection}"):
            snapshots = list(self._client.get_all(refs))
        found = {s.id: documents.parse(s) for s in snapshots if s.exists}
        return [value for d in dict.fromkeys(document_ids) if (value := found.get(d)) is not None]

    def put(self, collection: str, document_id: str, value: Any) -> None:
        self.put_all(collection, [(document_id, value)])

    def put_all(self, collection: str, items: Sequence[tuple[str, Any]]) -> None:
        """Write many documents of one collection, in batches."""
        reference = self._client.collection(collection)
        for start in range(0, len(items), BATCH_LIMIT):
            batch = self._client.batch()
            for document_id, value in items[start : start + BATCH_LIMIT]:
                batch.set(reference.document(document_id), to_document(value))
            with translated_errors(f"writing {collection}"):
                batch.commit()

    def create(self, collection: str, document_id: str, value: Any) -> bool:
        """Create a document once; ``False`` if one with that id already exists."""
        try:
            with translated_errors(f"creating {collection}/{document_id}"):
                self._client.collection(collection).document(document_id).create(to_document(value))
        except AlreadyExists:
            return False
        return True

    def create_counted(
        self, collection: str, document_id: str, value: Any, *, counter: CountedIn[Any]
    ) -> bool:
        """Create a document once and count it in ``counter``, in one transaction."""
        created = self._client.collection(collection).document(document_id)
        counted = self._client.collection(counter.collection).document(counter.document_id)

        @firestore.transactional
        def record(transaction: Any) -> bool:
            if created.get(transaction=transaction).exists:
                return False
            snapshot = counted.get(transaction=transaction)
            current = from_document(counter.cls, snapshot.to_dict()) if snapshot.exists else None
            transaction.create(created, to_document(value))
            transaction.set(counted, to_document(counter.count(current)))
            return True

        try:
            with translated_errors(f"creating {collection}/{document_id}"):
                done: bool = record(self._client.transaction())
        except AlreadyExists:
            return False
        return done

    def delete(self, collection: str, document_id: str) -> None:
        with translated_errors(f"deleting {collection}/{document_id}"):
            self._client.collection(collection).document(document_id).delete()

    def page(
        self,
        collection: str,
        cls: type[T],
        *,
        filters: Sequence[tuple[str, str, Any]] = (),
        order_by: str,
        descending: bool = False,
        limit: int,
        after: str | None = None,
    ) -> tuple[list[T], str | None]:
        return self._documents(collection, cls).page(
            filters, order_by=order_by, descending=descending, limit=limit, after=after
        )

    def list(
        self,
        collection: str,
        cls: type[T],
        *,
        filters: Sequence[tuple[str, str, Any]] = (),
        order_by: str | None = None,
        descending: bool = False,
        limit: int | None = None,
    ) -> list[T]:
        return self._documents(collection, cls).where(
            filters, order_by=order_by, descending=descending, limit=limit
        )
