"""The error tree every layer speaks; adapters translate vendor errors into it."""

from __future__ import annotations


class MatsError(Exception):
    """Base class of every error MATS raises on purpose."""


class ValidationError(MatsError):
    """Input that cannot be accepted; names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFoundError(MatsError):
    """A referenced record does not exist."""


class ConflictError(MatsError):
    """The request clashes with existing state (duplicate id, record in use); ``field`` names
    the input that clashed, where one did."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field


class TemporaryError(MatsError):
    """A dependency is unavailable for now; the caller should retry."""


class PermanentError(MatsError):
    """Retrying cannot help; record the reason and stop."""


class Unauthenticated(MatsError):  # noqa: N818 - reads as the HTTP status it maps to (401).
    """A request without an acceptable credential; the reason is for logs only."""


class Forbidden(MatsError):  # noqa: N818 - reads as the HTTP status it maps to (403).
    """An authenticated caller who may not do this; the message says why."""
