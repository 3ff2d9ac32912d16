"""Keep API keys and secrets out of logs and error messages.

ccxt logs every request at DEBUG with its headers, and binance sends the API key in a header
(``X-MBX-APIKEY``); some exchanges put it in the URL, which ccxt also copies into error messages.
``CcxtBroker`` hands ccxt a ``RedactingLogger`` and passes every error text through ``redact``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "[redacted]"
# Shorter values (an empty password, a one-digit uid) would blank unrelated text.
_MINIMUM_SECRET_LENGTH = 6


class Redactor:
    def __init__(self, secrets: Iterable[str | None]) -> None:
        self._secrets = tuple(
            sorted(
                {s for s in secrets if s and len(s) >= _MINIMUM_SECRET_LENGTH},
                key=len,
                reverse=True,
            )
        )

    def add(self, secrets: Iterable[str | None]) -> None:
        """Mask these too (rotated credentials; the old ones stay masked)."""
        known = set(self._secrets) | {s for s in secrets if s and len(s) >= _MINIMUM_SECRET_LENGTH}
        self._secrets = tuple(sorted(known, key=len, reverse=True))

    def redact(self, text: str) -> str:
        """Return ``text`` with every secret replaced by ``[redacted]``."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


class RedactingLogger(logging.LoggerAdapter[logging.Logger]):
    """A logger for ccxt that formats each message itself and redacts it before logging."""

    def __init__(self, logger: logging.Logger, redactor: Redactor) -> None:
        super().__init__(logger, {})
        self._redactor = redactor

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if not self.isEnabledFor(level):
            return
        text = str(msg)
        if args:
            values: object = args
            if len(args) == 1 and isinstance(args[0], Mapping):
                values = args[0]
            text = text % values
        self.logger.log(level, self._redactor.redact(text), **kwargs)
