"""Signals in Firestore: ``signals/{signal_id}`` plus one ``signal_keys/{key_id}`` claim each.

Every decision that must have one winner is a ``create()``, the one write that both Firestore and
its npm emulator refuse when the document exists (the emulator ignores update preconditions and
does not isolate transactions; DESIGN.md §6):

- A new signal is one batch ``[create(signal), create(key)]``. On Firestore the commit is atomic,
  so a key exists exactly when its signal does. The emulator keeps a failing batch's earlier
  writes, so when the key loses, the signal this call wrote (known by its claim token) is deleted.
- The outbox sweep leases a pending signal by creating ``signal_leases/{signal_id}@{period}``.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore

from mats.adapters.firestore.documents import (
    SENDERS,
    SIGNAL_KEYS,
    SIGNAL_LEASES,
    SIGNALS,
    STRATEGIES,
    Documents,
    from_document,
    to_document,
    translated_errors,
)
from mats.adapters.firestore.registry import sender_from_document
from mats.domain.signals.records import OutboxState, SignalClaim, SignalRecord, SignalStatus
from mats.domain.strategies import Strategy
from mats.errors import TemporaryError
from mats.ports import Duplicate, Recorded, WebhookContext

CLAIM_TOKEN = "claim_token"  # noqa: S105 - a field name, not a password
# Firestore's TTL policy deletes claims and leases after this; correctness never relies on it.
RETENTION = timedelta(days=30)
_MAX_ID_ATTEMPTS = 1000
_REMEMBERED_PREFIXES = 1000

Snapshot = firestore.DocumentSnapshot[firestore.DocumentReference]


class FirestoreSignalStore:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._signals = client.collection(SIGNALS)
        self._keys = client.collection(SIGNAL_KEYS)
        self._leases = client.collection(SIGNAL_LEASES)
        self._pages = Documents(client, SIGNALS, SignalRecord)  # Extra fields (the claim) ignored.
        # The next free ``n`` per id prefix as this instance last saw it. Signals of one strategy
        # in one second would otherwise probe _1, _2, ... one failed write at a time.
        self._next_number: dict[str, int] = {}
        self._numbers_lock = threading.Lock()

    def webhook_context(self, sender_id: str, strategy_id: str | None) -> WebhookContext:
        sender_ref = self._client.collection(SENDERS).document(sender_id)
        refs = [sender_ref]
        if strategy_id is not None:
            refs.append(self._client.collection(STRATEGIES).document(strategy_id))
        with translated_errors("reading the sender and strategy"):
            snapshots = {s.reference.path: s for s in self._client.get_all(refs)}
        sender = snapshots.get(sender_ref.path)
        strategy = snapshots.get(refs[-1].path) if strategy_id is not None else None
        return WebhookContext(
            sender=sender_from_document(sender.to_dict()) if sender and sender.exists else None,
            strategy=(
                from_document(Strategy, strategy.to_dict())
                if strategy and strategy.exists
                else None
            ),
        )

    def record(
        self, claim: SignalClaim, build: Callable[[str], SignalRecord]
    ) -> Recorded | Duplicate:
        earlier = self._earlier_claim(claim)
        if earlier is not None:
            return Duplicate(earlier)
        token = uuid.uuid4().hex
        key_ref = self._keys.document(claim.key_id)
        first = self._next_number.get(claim.id_prefix, 1)
        for n in range(first, first + _MAX_ID_ATTEMPTS):
            record = build(f"{claim.id_prefix}_{n}")
            signal_ref = self._signals.document(record.signal_id)
            batch = self._client.batch()
            batch.create(signal_ref, {**to_document(record), CLAIM_TOKEN: token})
            batch.create(key_ref, _key_document(claim, record.signal_id))
            try:
                with translated_errors("recording a signal"):
                    batch.commit()
            except AlreadyExists:
                key = self._after_failed_batch(signal_ref, key_ref, token)
                if key is not None:
                    return Duplicate(self._signal_of(key))
                continue
            self._remember_number(claim.id_prefix, n + 1)
            return Recorded(record)
        raise TemporaryError(f"no free signal id for {claim.id_prefix} after {n} attempts")

    def _remember_number(self, prefix: str, number: int) -> None:
        with self._numbers_lock:
            if len(self._next_number) >= _REMEMBERED_PREFIXES:
                self._next_number.clear()
            self._next_number[prefix] = max(number, self._next_number.get(prefix, 1))

    def _earlier_claim(self, claim: SignalClaim) -> SignalRecord | None:
        """Return the signal of the previous window's claim if it still covers this alert."""
        if claim.previous_key_id is None:
            return None
        with translated_errors("reading a signal key"):
            key = self._keys.document(claim.previous_key_id).get()
        if key.exists and claim.is_repeat_of(key.get("claimed_at")):
            return self._signal_of(key)
        return None

    def _after_failed_batch(
        self,
        signal_ref: firestore.DocumentReference,
        key_ref: firestore.DocumentReference,
        token: str,
    ) -> Snapshot | None:
        """Undo a partial write; return the key's snapshot if the key was the one taken."""
        with translated_errors("checking a signal claim"):
            snapshots = {s.reference.path: s for s in self._client.get_all([signal_ref, key_ref])}
            signal = snapshots[signal_ref.path]
            if signal.exists and signal.get(CLAIM_TOKEN) == token:
                signal_ref.delete()
        key = snapshots[key_ref.path]
        return key if key.exists else None

    def _signal_of(self, key: Snapshot) -> SignalRecord:
        signal_id = key.get("signal_id")
        record = self.get(signal_id)
        if record is None:
            raise TemporaryError(f"signal key {key.id} names {signal_id}, which is not stored yet")
        return record

    def get(self, signal_id: str) -> SignalRecord | None:
        with translated_errors("reading a signal"):
            snapshot = self._signals.document(signal_id).get()
        return _record(snapshot.to_dict()) if snapshot.exists else None

    def mark_published(self, signal_id: str, message_id: str, published_at: datetime) -> None:
        with translated_errors("marking a signal published"):
            self._signals.document(signal_id).update(
                {
                    "outbox_state": OutboxState.PUBLISHED.value,
                    "message_id": message_id,
                    "published_at": published_at,
                    "publish_attempts": firestore.Increment(1),
                }
            )

    def mark_publish_failed(self, signal_id: str, error: str, failed_at: datetime) -> None:
        with translated_errors("recording a publish failure"):
            self._signals.document(signal_id).update(
                {
                    "last_publish_error": f"{failed_at.isoformat()} {error}"[:1000],
                    "publish_attempts": firestore.Increment(1),
                }
            )

    def lease_pending(
        self, now: datetime, created_before: datetime, lease: timedelta, limit: int
    ) -> Sequence[SignalRecord]:
        query = (
            self._signals.where(
                filter=firestore.FieldFilter("outbox_state", "==", OutboxState.PENDING.value)
            )
            .where(filter=firestore.FieldFilter("received_at", "<", created_before))
            .order_by("received_at")
            .limit(limit)
        )
        period = int(now.timestamp() // lease.total_seconds())
        leased = []
        with translated_errors("leasing pending signals"):
            for snapshot in query.stream():
                lease_ref = self._leases.document(f"{snapshot.id}@{period}")
                try:
                    lease_ref.create({"leased_at": now, "expire_at": now + RETENTION})
                except AlreadyExists:
                    continue
                leased.append(_record(snapshot.to_dict()))
        return leased

    def page(
        self,
        *,
        strategy_id: str | None,
        sender_id: str | None,
        status: SignalStatus | None,
        limit: int,
        after: str | None = None,
    ) -> tuple[list[SignalRecord], str | None]:
        filters = [
            (field, "==", value)
            for field, value in (
                ("strategy_id", strategy_id),
                ("sender_id", sender_id),
                ("status", status.value if status else None),
            )
            if value is not None
        ]
        return self._pages.page(
            filters, order_by="received_at", descending=True, limit=limit, after=after
        )

    def list(
        self,
        *,
        strategy_id: str | None,
        sender_id: str | None,
        status: SignalStatus | None,
        limit: int,
    ) -> Sequence[SignalRecord]:
        found, _ = self.page(
            strategy_id=strategy_id, sender_id=sender_id, status=status, limit=limit
        )
        return found


def _key_document(claim: SignalClaim, signal_id: str) -> dict[str, Any]:
    document: dict[str, Any] = {
        "signal_id": signal_id,
        "business_key": claim.business_key,
        "claimed_at": claim.received_at,
    }
    if claim.window is not None:
        # Only windowed claims expire; an alert that names its moment stays a repeat for ever.
        document["expire_at"] = claim.received_at + RETENTION
    return document


def _record(document: dict[str, Any] | None) -> SignalRecord:
    data = dict(document or {})
    data.pop(CLAIM_TOKEN, None)
    return from_document(SignalRecord, data)
