"""Push delivery as Eventarc does it for Cloud Run functions: CloudEvents in binary content mode.

The body is exactly Pub/Sub's push body, so a handler that ignores the ``ce-*`` headers sees a
plain push request. A 102/200/201/202/204 answer acknowledges; anything else, a connection error
or no answer within the ack deadline is a nack, redelivered after the subscription's backoff until
the dead-letter policy (if any) takes the message away.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

import aiohttp

from mats.localstack.pubsub.model import Message
from mats.localstack.pubsub.subscriptions import SubscriptionConfig

logger = logging.getLogger(__name__)

ACK_STATUSES = frozenset({102, 200, 201, 202, 204})
CLOUDEVENT_TYPE = "google.cloud.pubsub.topic.v1.messagePublished"
# Bounds requests in flight per subscription, like Pub/Sub's push flow control.
DEFAULT_CONCURRENCY = 64

DeadLetter = Callable[[SubscriptionConfig, Message, int], None]
# Called once a subscription is done with a message: acknowledged or dead-lettered.
Settled = Callable[[SubscriptionConfig, Message], None]


def push_headers(message: Message) -> dict[str, str]:
    """Return the CloudEvents binary-mode headers Eventarc sends with a Pub/Sub message."""
    return {
        "Content-Type": "application/json",
        "ce-id": message.message_id,
        "ce-specversion": "1.0",
        "ce-type": CLOUDEVENT_TYPE,
        "ce-source": f"//pubsub.googleapis.com/{message.topic}",
        "ce-time": message.publish_time,
    }


def push_body(config: SubscriptionConfig, message: Message, attempt: int) -> bytes:
    """Return the push request body for delivery number ``attempt``."""
    body: dict[str, Any] = {"message": message.to_push_json(), "subscription": config.name}
    if config.dead_letter_policy is not None:
        body["deliveryAttempt"] = attempt
    return json.dumps(body, separators=(",", ":")).encode()


class PushSubscription:
    """Deliver a push subscription's messages: at once, concurrently, in order per key."""

    def __init__(
        self,
        config: SubscriptionConfig,
        session: aiohttp.ClientSession,
        dead_letter: DeadLetter,
        settled: Settled,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self.config = config
        self._session = session
        self._dead_letter = dead_letter
        self._settled = settled
        self._slots = asyncio.Semaphore(concurrency)
        self._keys: dict[str, deque[Message]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def enqueue(self, message: Message) -> None:
        """Start delivering ``message``, behind earlier messages of its key when ordered."""
        key = message.ordering_key
        if not (self.config.ordering and key):
            self._spawn(self._deliver(message))
            return
        waiting = self._keys.get(key)
        if waiting is not None:
            waiting.append(message)
            return
        self._keys[key] = deque([message])
        self._spawn(self._drain_key(key))

    def close(self) -> None:
        """Cancel every delivery and pending redelivery."""
        for task in list(self._tasks):
            task.cancel()
        self._keys.clear()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error(
                "push delivery task crashed",
                exc_info=task.exception(),
                extra={"subscription": self.config.name},
            )

    async def _drain_key(self, key: str) -> None:
        waiting = self._keys[key]
        try:
            while waiting:
                await self._deliver(waiting[0])
                waiting.popleft()
        finally:
            if self._keys.get(key) is waiting:
                del self._keys[key]

    async def _deliver(self, message: Message) -> None:
        attempt = 0
        while True:
            attempt += 1
            async with self._slots:
                acknowledged = await self._attempt(message, attempt)
            if acknowledged:
                self._settled(self.config, message)
                return
            # Read the config each time: a PATCH may have changed the policies meanwhile.
            config = self.config
            policy = config.dead_letter_policy
            if policy is not None and attempt >= policy.max_delivery_attempts:
                self._dead_letter(config, message, attempt)
                self._settled(config, message)
                return
            delay = config.backoff(attempt)
            logger.info(
                "push redelivery scheduled",
                extra={
                    "subscription": config.name,
                    "message_id": message.message_id,
                    "attempt": attempt,
                    "delay_seconds": delay,
                },
            )
            await asyncio.sleep(delay)

    async def _attempt(self, message: Message, attempt: int) -> bool:
        config = self.config
        endpoint = config.push_endpoint
        if endpoint is None:
            raise RuntimeError(f"{config.name} is not a push subscription")
        try:
            status = await self._post(endpoint, config, message, attempt)
        except (aiohttp.ClientError, TimeoutError) as error:
            self._log_failure(message, attempt, reason=type(error).__name__, detail=str(error))
            return False
        if status in ACK_STATUSES:
            return True
        self._log_failure(message, attempt, reason="status", detail=str(status))
        return False

    async def _post(
        self, endpoint: str, config: SubscriptionConfig, message: Message, attempt: int
    ) -> int:
        body = push_body(config, message, attempt)
        headers = push_headers(message)
        timeout = aiohttp.ClientTimeout(total=config.ack_deadline_seconds)
        try:
            return await self._request(endpoint, body, headers, timeout)
        except aiohttp.ServerDisconnectedError:
            # The endpoint closed a kept-alive connection just as it was reused; one immediate
            # retry on a fresh connection avoids a spurious nack (and its backoff delay).
            return await self._request(endpoint, body, headers, timeout)

    async def _request(
        self, endpoint: str, body: bytes, headers: dict[str, str], timeout: aiohttp.ClientTimeout
    ) -> int:
        async with self._session.post(
            endpoint, data=body, headers=headers, timeout=timeout
        ) as response:
            # Read the body so the connection can go back to the keep-alive pool.
            await response.read()
            return response.status

    def _log_failure(self, message: Message, attempt: int, *, reason: str, detail: str) -> None:
        logger.warning(
            "push delivery failed",
            extra={
                "subscription": self.config.name,
                "endpoint": self.config.push_endpoint,
                "message_id": message.message_id,
                "attempt": attempt,
                "reason": reason,
                "detail": detail,
            },
        )
