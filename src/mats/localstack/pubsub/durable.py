"""Keep the local Pub/Sub service's topics, subscriptions and unacknowledged messages on disk.

Google keeps a message until every subscription has acknowledged it; so must a local service
that can be restarted. ``DurableState`` mirrors what must survive and appends each change to
``journal.jsonl`` in its directory with a plain ``write`` before the request is answered (a
publish is in the file before its message ids go back; a process killed the next instant loses
nothing, only a crash of the machine could). One JSON object per line:

- ``{"op": "topic", "path": P}`` and ``{"op": "topic-deleted", "path": P}``
- ``{"op": "subscription", "config": {Subscription JSON}}``, ``{"op": "subscription-deleted", ...}``
- ``{"op": "publish", "message": {...}, "subscriptions": [P, ...]}``: who still owes an ack
- ``{"op": "settle", "subscription": P, "message_id": ID}``: acknowledged or dead-lettered

On start the snapshot (``snapshot.jsonl``, the same records) and the journal are replayed, a new
snapshot is written and the journal emptied; past ``COMPACT_AFTER_BYTES`` the journal is compacted
the same way. Replaying a record twice changes nothing, so a crash between writing the snapshot
and emptying the journal is harmless. Delivery attempts are not kept: after a restart every
unacknowledged message is delivered again from attempt 1 (at-least-once, as Pub/Sub promises).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from mats.localstack.pubsub.model import Message
from mats.localstack.pubsub.subscriptions import SubscriptionConfig

logger = logging.getLogger(__name__)

COMPACT_AFTER_BYTES = 32 * 1024 * 1024


class Restored:
    """What a restart brings back, in the order it must be rebuilt."""

    def __init__(
        self,
        topics: Sequence[str],
        subscriptions: Sequence[Mapping[str, Any]],
        messages: Sequence[tuple[Message, list[str]]],
    ) -> None:
        self.topics = topics
        self.subscriptions = subscriptions
        self.messages = messages


class DurableState:
    """The part of the broker's state that must survive it, and its journal."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._journal_path = directory / "journal.jsonl"
        self._snapshot_path = directory / "snapshot.jsonl"
        self._topics: dict[str, None] = {}
        self._subscriptions: dict[str, dict[str, Any]] = {}
        self._messages: dict[str, Message] = {}
        # Subscription -> ids of messages it has not settled, in publish order.
        self._pending: dict[str, dict[str, None]] = {}
        self._journal: int | None = None
        self._journal_bytes = 0

    def open(self) -> Restored:
        """Load what was kept, compact it, and start journaling; return what to rebuild."""
        self._directory.mkdir(parents=True, exist_ok=True)
        skipped = sum(self._replay(path) for path in (self._snapshot_path, self._journal_path))
        if skipped:
            logger.warning("unreadable journal lines skipped", extra={"lines": skipped})
        self._journal = os.open(self._journal_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._compact()
        return Restored(
            list(self._topics),
            list(self._subscriptions.values()),
            [(self._messages[message_id], subs) for message_id, subs in self._owed().items()],
        )

    def close(self) -> None:
        if self._journal is not None:
            os.close(self._journal)
            self._journal = None

    # The broker's changes

    def topic_created(self, path: str) -> None:
        self._record({"op": "topic", "path": path})

    def topic_deleted(self, path: str) -> None:
        self._record({"op": "topic-deleted", "path": path})

    def subscription_saved(self, config: SubscriptionConfig) -> None:
        self._record({"op": "subscription", "config": config.to_json()})

    def subscription_deleted(self, path: str) -> None:
        self._record({"op": "subscription-deleted", "path": path})

    def published(self, message: Message, subscriptions: Sequence[str]) -> None:
        if subscriptions:
            record = {"op": "publish", "message": _message_json(message)}
            self._record({**record, "subscriptions": list(subscriptions)})

    def settled(self, subscription: str, message_id: str) -> None:
        self._record({"op": "settle", "subscription": subscription, "message_id": message_id})

    # Internals

    def _record(self, record: dict[str, Any]) -> None:
        self._apply(record)
        if self._journal is None:
            return
        line = (json.dumps(record, separators=(",", ":")) + "\n").encode()
        os.write(self._journal, line)
        self._journal_bytes += len(line)
        if self._journal_bytes > COMPACT_AFTER_BYTES:
            self._compact()

    def _apply(self, record: Mapping[str, Any]) -> None:
        operation = record["op"]
        if operation == "topic":
            self._topics[record["path"]] = None
        elif operation == "topic-deleted":
            self._topics.pop(record["path"], None)
        elif operation == "subscription":
            config = record["config"]
            self._subscriptions[config["name"]] = config
            self._pending.setdefault(config["name"], {})
        elif operation == "subscription-deleted":
            self._subscriptions.pop(record["path"], None)
            self._forget(self._pending.pop(record["path"], {}))
        elif operation == "publish":
            message = _message(record["message"])
            self._messages.setdefault(message.message_id, message)
            for path in record["subscriptions"]:
                if path in self._subscriptions:
                    self._pending[path][message.message_id] = None
        elif operation == "settle":
            self._pending.get(record["subscription"], {}).pop(record["message_id"], None)
            self._forget({record["message_id"]: None})

    def _forget(self, message_ids: Mapping[str, None]) -> None:
        """Drop messages no subscription owes an ack for any more."""
        for message_id in message_ids:
            if not any(message_id in owed for owed in self._pending.values()):
                self._messages.pop(message_id, None)

    def _owed(self) -> dict[str, list[str]]:
        """Message id -> subscriptions still owing it, in publish order."""
        owed: dict[str, list[str]] = {}
        for message_id in self._messages:
            subscriptions = [path for path, ids in self._pending.items() if message_id in ids]
            if subscriptions:
                owed[message_id] = subscriptions
        return owed

    def _replay(self, path: Path) -> int:
        skipped = 0
        for line in _lines(path):
            try:
                self._apply(json.loads(line))
            except (ValueError, KeyError, TypeError):
                skipped += 1
        return skipped

    def _snapshot_records(self) -> Iterator[dict[str, Any]]:
        for topic in self._topics:
            yield {"op": "topic", "path": topic}
        for config in self._subscriptions.values():
            yield {"op": "subscription", "config": config}
        for message_id, subscriptions in self._owed().items():
            message = _message_json(self._messages[message_id])
            yield {"op": "publish", "message": message, "subscriptions": subscriptions}

    def _compact(self) -> None:
        temporary = self._snapshot_path.with_suffix(".tmp")
        with temporary.open("w") as snapshot:
            for record in self._snapshot_records():
                snapshot.write(json.dumps(record, separators=(",", ":")) + "\n")
            snapshot.flush()
            os.fsync(snapshot.fileno())
        temporary.replace(self._snapshot_path)
        if self._journal is not None:
            os.ftruncate(self._journal, 0)
        self._journal_bytes = 0


def _lines(path: Path) -> list[str]:
    with contextlib.suppress(FileNotFoundError):
        return [line for line in path.read_text().splitlines() if line]
    return []


def _message_json(message: Message) -> dict[str, Any]:
    return {
        "message_id": message.message_id,
        "topic": message.topic,
        "data": message.data,
        "attributes": dict(message.attributes),
        "ordering_key": message.ordering_key,
        "publish_time": message.publish_time,
    }


def _message(data: Mapping[str, Any]) -> Message:
    return Message(
        message_id=str(data["message_id"]),
        topic=str(data["topic"]),
        data=str(data["data"]),
        attributes=dict(data["attributes"]),
        ordering_key=str(data["ordering_key"]),
        publish_time=str(data["publish_time"]),
    )
