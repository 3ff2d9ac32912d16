"""The sender and strategy registries in Firestore (``senders``, ``strategy_configurations``)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore

from mats.adapters.firestore.documents import (
    SENDER_NAMES,
    SENDERS,
    STRATEGIES,
    from_document,
    to_document,
    translated_errors,
)
from mats.domain.senders import LegacySender, Sender, normalized_name, verifier_of
from mats.domain.strategies import Strategy, StrategyFilter
from mats.errors import ConflictError


class FirestoreSenderStore:
    """``senders/{sender_id}`` and ``sender_names/{sha256 of the normalised name}``.

    A name is claimed with ``create()``, the one write both Firestore and its emulator refuse when
    the document exists, so of concurrent creates with one name exactly one wins (DESIGN.md §6).
    """

    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._collection = client.collection(SENDERS)
        self._names = client.collection(SENDER_NAMES)

    def get(self, sender_id: str) -> Sender | None:
        with translated_errors("reading a sender"):
            snapshot = self._collection.document(sender_id).get()
        return sender_from_document(snapshot.to_dict()) if snapshot.exists else None

    def create(self, sender: Sender) -> str | None:
        name_ref = self._name_ref(sender)
        sender_ref = self._collection.document(sender.sender_id)
        batch = self._client.batch()
        batch.create(name_ref, _name_document(sender))
        batch.create(sender_ref, to_document(sender))
        try:
            with translated_errors("creating a sender"):
                batch.commit()
        except AlreadyExists:
            return self._after_failed_create(name_ref, sender)
        return None

    def claim_name(self, sender: Sender) -> str:
        name_ref = self._name_ref(sender)
        try:
            with translated_errors("claiming a sender name"):
                name_ref.create(_name_document(sender))
        except AlreadyExists:
            with translated_errors("reading a sender name"):
                return str(name_ref.get().get("sender_id"))
        return sender.sender_id

    def save(self, sender: Sender) -> None:
        # Firestore's set() replaces a document but the npm emulator's merges into it, so fields
        # no longer written (the legacy keys) would survive there; delete-then-set replaces on both.
        ref = self._collection.document(sender.sender_id)
        batch = self._client.batch()
        batch.delete(ref)
        batch.set(ref, to_document(sender))
        with translated_errors("saving a sender"):
            batch.commit()

    def list(self) -> Sequence[Sender]:
        with translated_errors("listing senders"):
            snapshots = self._collection.order_by("sender_id").stream()
            return [sender_from_document(snapshot.to_dict()) for snapshot in snapshots]

    def legacy_senders(self) -> Sequence[LegacySender]:
        with translated_errors("listing senders"):
            documents = [snapshot.to_dict() or {} for snapshot in self._collection.stream()]
        return [
            LegacySender(
                document["sender_id"],
                document[_LEGACY_KEY],
                document.get(_LEGACY_PREVIOUS_KEY) or None,
            )
            for document in documents
            if document.get(_LEGACY_KEY)
        ]

    def _name_ref(self, sender: Sender) -> firestore.DocumentReference:
        # Hashed: a name may hold characters a document id may not ("/", "__x__", 1,500+ bytes).
        key = hashlib.sha256(normalized_name(sender.name).encode()).hexdigest()
        return self._names.document(key)

    def _after_failed_create(self, name_ref: firestore.DocumentReference, sender: Sender) -> str:
        """Return the name's holder; undo what the emulator kept of a batch that failed."""
        sender_ref = self._collection.document(sender.sender_id)
        with translated_errors("checking a sender name"):
            snapshots = {s.reference.path: s for s in self._client.get_all([name_ref, sender_ref])}
            holder = snapshots[name_ref.path].get("sender_id")
            if holder == sender.sender_id:
                # The name was ours to claim, so the id was taken: release the name again.
                name_ref.delete()
                raise ConflictError(f"sender {sender.sender_id!r} already exists")
        return str(holder)


# Before verifiers, sender documents held the signing keys themselves under these fields.
_LEGACY_KEY = "secret_hash"
_LEGACY_PREVIOUS_KEY = "previous_secret_hash"


def sender_from_document(document: Mapping[str, Any] | None) -> Sender:
    """Read a sender document, including one `mats senders migrate` has not yet rewritten."""
    data = dict(document or {})
    if _LEGACY_KEY in data:
        data["secret_verifier"] = verifier_of(data.pop(_LEGACY_KEY))
        previous = data.pop(_LEGACY_PREVIOUS_KEY, None)
        data["previous_secret_verifier"] = verifier_of(previous) if previous else None
    return from_document(Sender, data)


def _name_document(sender: Sender) -> dict[str, Any]:
    return {
        "name": sender.name,
        "normalized_name": normalized_name(sender.name),
        "sender_id": sender.sender_id,
        "claimed_at": sender.created_at,
    }


class FirestoreStrategyStore:
    def __init__(self, client: firestore.Client) -> None:
        self._collection = client.collection(STRATEGIES)

    def get(self, strategy_id: str) -> Strategy | None:
        with translated_errors("reading a strategy"):
            snapshot = self._collection.document(strategy_id).get()
        return from_document(Strategy, snapshot.to_dict()) if snapshot.exists else None

    def create(self, strategy: Strategy) -> None:
        try:
            with translated_errors("creating a strategy"):
                self._collection.document(strategy.strategy_id).create(to_document(strategy))
        except AlreadyExists:
            raise ConflictError(f"strategy {strategy.strategy_id!r} already exists") from None

    def save(self, strategy: Strategy) -> None:
        with translated_errors("saving a strategy"):
            self._collection.document(strategy.strategy_id).set(to_document(strategy))

    def delete(self, strategy_id: str) -> None:
        with translated_errors("deleting a strategy"):
            self._collection.document(strategy_id).delete()

    def list(self, query: StrategyFilter) -> Sequence[Strategy]:
        request: Any = self._collection
        if query.status is not None:
            request = request.where(
                filter=firestore.FieldFilter("status", "==", query.status.value)
            )
        if query.account is not None:
            request = request.where(filter=firestore.FieldFilter("account", "==", query.account))
        with translated_errors("listing strategies"):
            strategies = [from_document(Strategy, s.to_dict()) for s in request.stream()]
        # Text search has no Firestore index; the registry is small enough to filter here.
        return sorted(
            (strategy for strategy in strategies if query.matches(strategy)),
            key=lambda strategy: strategy.strategy_id,
        )
