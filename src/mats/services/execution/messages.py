"""What the bridge puts on Pub/Sub (fills, account updates): published, or left to a sweep."""

from __future__ import annotations

import logging

from mats.contracts import AccountUpdateV1, FillV1, encode
from mats.errors import TemporaryError
from mats.ports import Publisher

log = logging.getLogger(__name__)


class MessageOut:
    def __init__(self, publisher: Publisher, timeout_seconds: float) -> None:
        self._publisher = publisher
        self._timeout = timeout_seconds

    def publish(self, message: FillV1 | AccountUpdateV1) -> bool:
        """Publish; ``False`` (logged) when Pub/Sub is unavailable, for the caller's sweep."""
        try:
            self._publisher.publish(encode(message), timeout=self._timeout)
        except TemporaryError as error:
            log.warning(
                "publish failed; the sweep retries it",
                extra={"id": message.id, "error": str(error)},
            )
            return False
        return True
