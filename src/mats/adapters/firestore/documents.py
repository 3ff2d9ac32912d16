"""Map domain dataclasses to Firestore documents and vendor errors to MATS errors."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from google.api_core import exceptions as google_errors

from mats.codec import from_primitive, to_primitive
from mats.errors import TemporaryError

T = TypeVar("T")

SENDERS = "senders"
STRATEGIES = "strategy_configurations"
SIGNALS = "signals"
SIGNAL_KEYS = "signal_keys"
SIGNAL_LEASES = "signal_leases"

_TEMPORARY = (
    google_errors.ServiceUnavailable,
    google_errors.DeadlineExceeded,
    google_errors.InternalServerError,
    google_errors.TooManyRequests,
    google_errors.Aborted,
    google_errors.RetryError,
)


def to_document(value: Any) -> dict[str, Any]:
    document: dict[str, Any] = to_primitive(value, native_datetimes=True)
    return document


def from_document(cls: type[T], data: Mapping[str, Any] | None) -> T:
    return from_primitive(cls, dict(data or {}))


@contextmanager
def translated_errors(action: str) -> Iterator[None]:
    """Turn Firestore's transient failures into ``TemporaryError`` so callers retry."""
    try:
        yield
    except _TEMPORARY as error:
        raise TemporaryError(f"Firestore unavailable while {action}: {error}") from error
