"""Structured JSON logs in the shape Cloud Logging understands, with credentials masked.

Masking works at the source: :func:`install_redaction` replaces the process's log-record factory,
so every record is masked when it is created, whichever library logs it (MATS, Flask, werkzeug,
gunicorn, functions-framework): the message with its arguments, the traceback and the stack. MATS's
JSON lines are masked once more as a whole, which covers fields passed through ``extra=``.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from datetime import UTC, datetime
from typing import Any

REDACTED = "[REDACTED]"
# What a webhook request carries as credentials, in the renderings logs use: a URL path, an HTTP
# header, JSON (possibly escaped inside another JSON string), a Python repr, key=value.
_CREDENTIALS = (
    # /webhook/{sender_id}/{secret}: everything after the sender id, also with %2F for "/".
    re.compile(r"(/webhook(?:/|%2f)[^/\s?#\"'\\]+(?:/|%2f))[^\s?#\"'\\]+", re.IGNORECASE),
    re.compile(r"(x-signature\\?[\"']?\s*[:=,]\s*\\?[\"']?)[^\s\"'\\,;})\]]+", re.IGNORECASE),
    re.compile(r"(sha256=)[0-9a-f]{8,}", re.IGNORECASE),
    re.compile(r"((?:secret|passphrase)\\?[\"']?\s*[:=]\s*\\?[\"']?)[^\s\"'\\,;&})\]]+", re.I),
)
# Attributes every LogRecord has; anything else was passed through ``extra=`` and is logged.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
_TRACEBACKS = logging.Formatter()
_install_lock = threading.Lock()


def redact(text: str) -> str:
    """Mask path secrets, ``X-Signature`` values and body ``secret``/``passphrase`` values."""
    for pattern in _CREDENTIALS:
        text = pattern.sub(rf"\g<1>{REDACTED}", text)
    return text


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": record.levelname,
            "message": record.getMessage(),
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "logger": record.name,
        }
        entry.update({key: value for key, value in vars(record).items() if key not in _STANDARD})
        if record.exc_info:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        return redact(json.dumps(entry, default=str))


def install_redaction() -> None:
    """Mask credentials in every log record this process creates from now on (idempotent)."""
    with _install_lock:
        previous = logging.getLogRecordFactory()
        if getattr(previous, "masks_credentials", False):
            return

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            _mask(record)
            return record

        factory.masks_credentials = True  # type: ignore[attr-defined]
        logging.setLogRecordFactory(factory)


def configure_logging(level: int = logging.INFO) -> None:
    """Send MATS's logs to stderr as JSON lines, with credentials masked (idempotent)."""
    install_redaction()
    logger = logging.getLogger("mats")
    if any(isinstance(handler.formatter, JsonFormatter) for handler in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False


def _mask(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # A broken format string must not lose the record, nor raise in the caller.
        message = f"{record.msg} {record.args}"
    record.msg, record.args = redact(message), None
    if record.exc_info and not record.exc_text:
        # Formatters print a cached traceback as it is, so the masked one is what they print.
        record.exc_text = redact(_TRACEBACKS.formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
