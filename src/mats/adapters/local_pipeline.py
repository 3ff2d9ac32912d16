"""The local stack's processes and queues: ``stack.json`` (rewritten by ``mats up`` whenever a
process changes) and the stack's Pub/Sub service's count of what each subscription has not
settled (``GET /_local/outstanding``, its own extension)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from mats.domain.pipeline import ProcessState, SubscriptionBacklog
from mats.errors import TemporaryError


class LocalPipelineProbe:
    def __init__(self, stack_file: Path, pubsub_host: str) -> None:
        self._stack_file = stack_file
        self._pubsub = f"http://{pubsub_host}"

    def processes(self) -> list[ProcessState]:
        try:
            described: dict[str, Any] = json.loads(self._stack_file.read_text())
        except (OSError, ValueError) as error:
            raise TemporaryError(
                f"the stack's {self._stack_file} cannot be read: {error}"
            ) from None
        found = []
        for name, process in sorted(described.get("processes", {}).items()):
            state = str(process.get("state", "unknown"))
            last_exit = process.get("last_exit")
            found.append(
                ProcessState(
                    name=name,
                    ready=state == "running",
                    state=state,
                    restarts=int(process.get("restarts", 0)),
                    detail=f"last exit: {last_exit}" if last_exit and state != "running" else None,
                )
            )
        return found

    def backlog(self) -> list[SubscriptionBacklog]:
        url = f"{self._pubsub}/_local/outstanding"
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - the stack's.
                counts: dict[str, int] = json.loads(answer.read())["subscriptions"]
        except (OSError, ValueError, KeyError) as error:
            raise TemporaryError(f"the stack's Pub/Sub cannot be asked: {error}") from None
        return [
            SubscriptionBacklog(subscription=name.rsplit("/", 1)[-1], undelivered=int(count))
            for name, count in sorted(counts.items())
        ]
