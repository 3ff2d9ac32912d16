"""The sender and strategy registries in Firestore (``senders``, ``strategy_configurations``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore

from mats.adapters.firestore.documents import (
    SENDERS,
    STRATEGIES,
    from_document,
    to_document,
    translated_errors,
)
from mats.domain.senders import Sender
from mats.domain.strategies import Strategy, StrategyFilter
from mats.errors import ConflictError


class FirestoreSenderStore:
    def __init__(self, client: firestore.Client) -> None:
        self._collection = client.collection(SENDERS)

    def get(self, sender_id: str) -> Sender | None:
        with translated_errors("reading a sender"):
            snapshot = self._collection.document(sender_id).get()
        return from_document(Sender, snapshot.to_dict()) if snapshot.exists else None

    def create(self, sender: Sender) -> None:
        try:
            with translated_errors("creating a sender"):
                self._collection.document(sender.sender_id).create(to_document(sender))
        except AlreadyExists:
            raise ConflictError(f"sender {sender.sender_id!r} already exists") from None

    def save(self, sender: Sender) -> None:
        with translated_errors("saving a sender"):
            self._collection.document(sender.sender_id).set(to_document(sender))

    def list(self) -> Sequence[Sender]:
        with translated_errors("listing senders"):
            snapshots = self._collection.order_by("sender_id").stream()
            return [from_document(Sender, snapshot.to_dict()) for snapshot in snapshots]


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
