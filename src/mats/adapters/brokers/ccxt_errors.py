"""ccxt's error classes translated into MATS's error tree, in one table.

``classify`` names the kind of trouble; ``translate`` turns it into the error a caller outside an
order placement sees. ``CcxtBroker.place`` treats two kinds specially: ``OUTCOME_UNKNOWN`` (the
request may have reached the exchange, so the order is looked up before anything is raised) and
``DUPLICATE`` (an open order already carries the client order id, so it is looked up and returned).
"""

from __future__ import annotations

import re
from enum import Enum

import ccxt  # type: ignore[import-untyped]

from mats.errors import MatsError, PermanentError, TemporaryError


class Trouble(Enum):
    RATE_LIMITED = "rate limited"
    TEMPORARY = "temporarily unavailable"
    OUTCOME_UNKNOWN = "no answer (the request may have been carried out)"
    CREDENTIALS = "credentials refused"
    DUPLICATE = "duplicate client order id"
    NOT_FOUND = "order not found"
    REFUSED = "refused"


# First match wins, so subclasses come before their parents.
_TABLE: tuple[tuple[type[Exception], Trouble], ...] = (
    (ccxt.DDoSProtection, Trouble.RATE_LIMITED),  # binance: HTTP 418 and 429
    (ccxt.RateLimitExceeded, Trouble.RATE_LIMITED),  # binance: -1003, -1015
    # Answered and not carried out: safe to send again later.
    (ccxt.OnMaintenance, Trouble.TEMPORARY),
    (ccxt.InvalidNonce, Trouble.TEMPORARY),  # binance -1021: our clock is outside recvWindow
    (ccxt.CancelPending, Trouble.TEMPORARY),
    # Timeouts, dropped connections, 5xx, unreadable answers: binance documents the outcome of
    # such a request as unknown.
    (ccxt.RequestTimeout, Trouble.OUTCOME_UNKNOWN),
    (ccxt.ExchangeNotAvailable, Trouble.OUTCOME_UNKNOWN),
    (ccxt.NetworkError, Trouble.OUTCOME_UNKNOWN),
    (ccxt.OperationFailed, Trouble.OUTCOME_UNKNOWN),
    # A configuration problem: no retry helps until someone fixes the key.
    (ccxt.AuthenticationError, Trouble.CREDENTIALS),  # ⊃ PermissionDenied, AccountSuspended
    (ccxt.DuplicateOrderId, Trouble.DUPLICATE),
    (ccxt.OrderNotFound, Trouble.NOT_FOUND),
    (ccxt.InsufficientFunds, Trouble.REFUSED),
    (ccxt.InvalidOrder, Trouble.REFUSED),
    (ccxt.BadSymbol, Trouble.REFUSED),
    (ccxt.BadRequest, Trouble.REFUSED),
    (ccxt.NotSupported, Trouble.REFUSED),
    (ccxt.OperationRejected, Trouble.REFUSED),
    (ccxt.ArgumentsRequired, Trouble.REFUSED),
    # Any other answer the exchange gave is a refusal: it answered, and did not do it.
    (ccxt.ExchangeError, Trouble.REFUSED),
)

# ccxt words binance's status answers "<exchange> <status> <reason> <body>".
_HTTP_STATUS = re.compile(r"^\S+ (418|429) ")


def classify(error: Exception, duplicate_messages: tuple[str, ...] = ()) -> Trouble:
    """Name the kind of trouble a ccxt error reports.

    ``duplicate_messages`` are the exchange's words for a reused client order id when ccxt has no
    class of its own for them (binance answers -2010 "Duplicate order sent.", an InvalidOrder).
    """
    if isinstance(error, ccxt.InvalidOrder) and any(m in str(error) for m in duplicate_messages):
        return Trouble.DUPLICATE
    for error_class, trouble in _TABLE:
        if isinstance(error, error_class):
            return trouble
    return Trouble.TEMPORARY


def describe(error: Exception) -> str:
    """Return the error's class and message, the way logs and reasons show it."""
    return f"{type(error).__name__}: {error}"


def is_ban(error: Exception) -> bool:
    """Whether a rate-limit error is binance's HTTP 418 (an IP ban after ignoring 429s)."""
    found = _HTTP_STATUS.match(str(error))
    return found is not None and found.group(1) == "418"


def translate(trouble: Trouble, what: str) -> MatsError:
    """Return the MATS error for trouble met outside an order placement.

    ``what`` says who failed doing what, already redacted (``"binance fetch_balance: …"``).
    """
    if trouble in (Trouble.RATE_LIMITED, Trouble.TEMPORARY, Trouble.OUTCOME_UNKNOWN):
        return TemporaryError(f"{what} ({trouble.value})")
    if trouble is Trouble.CREDENTIALS:
        return PermanentError(
            f"{what} ({trouble.value}: check the API key and secret, the key's permissions and "
            "its IP whitelist)"
        )
    return PermanentError(f"{what} ({trouble.value})")
