"""Pull delivery: leases with ack deadlines, nacks, redelivery backoff and dead-lettering.

With message ordering, only the oldest unacknowledged message of a key is handed out; the next
one becomes available when it is acknowledged or dead-lettered.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mats.localstack.pubsub.model import Message, invalid
from mats.localstack.pubsub.push import DeadLetter, Settled
from mats.localstack.pubsub.subscriptions import MAX_ACK_DEADLINE_SECONDS, SubscriptionConfig

logger = logging.getLogger(__name__)

_ACK_IDS = itertools.count(1)


@dataclass
class _Pending:
    message: Message
    attempts: int = 0


@dataclass
class _Lease:
    pending: _Pending
    expiry: asyncio.TimerHandle | None = None


class PullSubscription:
    """Hold a pull subscription's messages until a subscriber acknowledges them."""

    def __init__(
        self, config: SubscriptionConfig, dead_letter: DeadLetter, settled: Settled
    ) -> None:
        self.config = config
        self._dead_letter = dead_letter
        self._settled = settled
        self._ready: deque[_Pending] = deque()
        self._keys: dict[str, deque[_Pending]] = {}
        self._leases: dict[str, _Lease] = {}
        self._timers: set[asyncio.TimerHandle] = set()

    def enqueue(self, message: Message) -> None:
        """Make ``message`` available to pull, behind earlier messages of its key when ordered."""
        pending = _Pending(message)
        key = message.ordering_key
        if self.config.ordering and key:
            waiting = self._keys.setdefault(key, deque())
            waiting.append(pending)
            if len(waiting) > 1:
                return
        self._ready.append(pending)

    def pull(self, max_messages: int) -> list[dict[str, Any]]:
        """Lease up to ``max_messages`` messages; return them as ``receivedMessages`` JSON."""
        received: list[dict[str, Any]] = []
        while self._ready and len(received) < max_messages:
            pending = self._ready.popleft()
            pending.attempts += 1
            ack_id = f"{next(_ACK_IDS)}"
            lease = _Lease(pending)
            self._leases[ack_id] = lease
            self._arm(ack_id, lease, self.config.ack_deadline_seconds)
            item: dict[str, Any] = {"ackId": ack_id, "message": pending.message.to_json()}
            if self.config.dead_letter_policy is not None:
                item["deliveryAttempt"] = pending.attempts
            received.append(item)
        return received

    def acknowledge(self, ack_ids: Iterable[str]) -> None:
        """Acknowledge leased messages; unknown or expired ack ids are ignored, as in Pub/Sub."""
        for ack_id in ack_ids:
            lease = self._release(ack_id)
            if lease is not None:
                self._settled(self.config, lease.pending.message)
                self._done(lease.pending)

    def modify_ack_deadline(self, ack_ids: Iterable[str], seconds: object) -> None:
        """Extend leases, or nack them when ``seconds`` is 0."""
        if not isinstance(seconds, int) or not 0 <= seconds <= MAX_ACK_DEADLINE_SECONDS:
            raise invalid(
                f"Invalid ack deadline given: {seconds}. It must be between 0 and "
                f"{MAX_ACK_DEADLINE_SECONDS} seconds."
            )
        for ack_id in ack_ids:
            if seconds == 0:
                self._nack(ack_id)
                continue
            lease = self._leases.get(ack_id)
            if lease is not None:
                self._arm(ack_id, lease, seconds)

    def close(self) -> None:
        """Cancel every lease timer and pending redelivery."""
        for timer in self._timers:
            timer.cancel()
        for lease in self._leases.values():
            if lease.expiry is not None:
                lease.expiry.cancel()
        self._timers.clear()
        self._leases.clear()

    def _arm(self, ack_id: str, lease: _Lease, seconds: float) -> None:
        if lease.expiry is not None:
            lease.expiry.cancel()
        loop = asyncio.get_running_loop()
        lease.expiry = loop.call_later(seconds, self._nack, ack_id)

    def _release(self, ack_id: str) -> _Lease | None:
        lease = self._leases.pop(ack_id, None)
        if lease is not None and lease.expiry is not None:
            lease.expiry.cancel()
        return lease

    def _nack(self, ack_id: str) -> None:
        lease = self._release(ack_id)
        if lease is None:
            return
        pending = lease.pending
        config = self.config
        policy = config.dead_letter_policy
        if policy is not None and pending.attempts >= policy.max_delivery_attempts:
            self._dead_letter(config, pending.message, pending.attempts)
            self._settled(config, pending.message)
            self._done(pending)
            return
        # Pull subscribers ask for messages themselves, so only a retry policy delays redelivery.
        delay = config.backoff(pending.attempts) if config.retry_policy is not None else 0.0
        logger.info(
            "pull redelivery scheduled",
            extra={
                "subscription": config.name,
                "message_id": pending.message.message_id,
                "attempt": pending.attempts,
                "delay_seconds": delay,
            },
        )
        if delay <= 0:
            self._ready.append(pending)
            return
        timer: asyncio.TimerHandle | None = None

        def redeliver() -> None:
            if timer is not None:
                self._timers.discard(timer)
            self._ready.append(pending)

        timer = asyncio.get_running_loop().call_later(delay, redeliver)
        self._timers.add(timer)

    def _done(self, pending: _Pending) -> None:
        key = pending.message.ordering_key
        waiting = self._keys.get(key) if self.config.ordering and key else None
        if waiting is None:
            return
        waiting.popleft()
        if waiting:
            self._ready.append(waiting[0])
        else:
            del self._keys[key]
