"""Interactive Brokers' error codes and ib_async's exceptions in MATS's error tree, in one table.

IB sends everything through one ``error`` callback: farm notices, connectivity changes, refusals,
and warnings about orders that keep working. ``classify`` names the kind of a code and
``classify_exception`` the kind of an exception a call on the session raised; ``translate`` turns
a kind into the error a caller outside the adapter sees: ``PermanentError`` for a refusal (the
broker turns it into ``OrderRejectedError`` under the order's id), ``TemporaryError`` for
everything else, because an answer that did not come may still come, so the order is looked up
before it is sent again. ``IbSession`` acts on the kinds IB reports (pause, resume, reconnect).

Codes: https://interactivebrokers.github.io/tws-api/message_codes.html (and ib_async's
``Wrapper.error``, which treats 110, 321, 399, 404, 434 and 2100-2199 as warnings on live orders).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from enum import Enum

from ib_async import RequestError

from mats.errors import MatsError, PermanentError, TemporaryError


class Trouble(Enum):
    NOTICE = "notice"
    DATA_UNAVAILABLE = "market data unavailable"
    CONNECTIVITY_LOST = "IB lost connectivity"
    CONNECTIVITY_RESTORED = "IB connectivity restored"
    DISCONNECTED = "the connection to the gateway is gone"
    CLIENT_ID_IN_USE = "client id already in use"
    RATE_LIMITED = "too many messages per second"
    NO_ANSWER = "no answer in time"
    INTERRUPTED = "request interrupted"
    ORDER_WARNING = "warning about an order that is still working"
    ORDER_CANCELLED = "order cancelled"
    CANCEL_REFUSED = "cancel refused"
    REFUSED = "refused"
    UNKNOWN = "unclassified"


_GROUPS: tuple[tuple[Trouble, tuple[int, ...]], ...] = (
    # A data farm connected, went idle until needed, or is connecting: nothing to do.
    (Trouble.NOTICE, (2104, 2106, 2107, 2108, 2119, 2158)),
    # Quotes may be missing (farm down, no subscription); orders are not affected.
    (Trouble.DATA_UNAVAILABLE, (354, 2103, 2105, 2157, 10090, 10168, 10186)),
    # The gateway lost IB's servers (nightly reset, competing session): orders cannot reach IB.
    (Trouble.CONNECTIVITY_LOST, (1100, 2110)),
    (Trouble.CONNECTIVITY_RESTORED, (1101, 1102)),
    # The socket itself is unusable (1300: the gateway moved its port): reconnect.
    (Trouble.DISCONNECTED, (502, 504, 507, 1300)),
    # A dead session can hold the id until the gateway restarts: keep retrying with backoff.
    (Trouble.CLIENT_ID_IN_USE, (326,)),
    # IB drops a client that keeps sending more than 50 messages per second.
    (Trouble.RATE_LIMITED, (100,)),
    # 404: held while IB locates shares to short; 399, 2109: placed with a caveat. Still working.
    (Trouble.ORDER_WARNING, (399, 404, 2109)),
    (Trouble.ORDER_CANCELLED, (202,)),
    # A cancel IB could not carry out (not found, already filled): the order stands as it is.
    (Trouble.CANCEL_REFUSED, (135, 161, 10147, 10148)),
    # Refusals: IB did not take the order, and sending it again as it is cannot help.
    # Its IB order id clashes with an earlier order's (the same id again is a modification).
    (Trouble.REFUSED, (103, 104, 105)),
    # The order as built: incomplete, off the tick, TIF and type, exchange, size, validation.
    (Trouble.REFUSED, (107, 110, 111, 116, 321, 355, 387, 388, 434)),
    # The gateway's precautionary settings (price or size too far from the market).
    (Trouble.REFUSED, (109, 163, 382, 383)),
    # The contract or the account: halted, unknown, not allowed, expired, no API trading.
    (Trouble.REFUSED, (154, 200, 203, 392, 412, 436, 10015)),
    # Rejected by IB's servers (margin, buying power ...), with the reason in the text.
    (Trouble.REFUSED, (201,)),
)
_CODES: dict[int, Trouble] = {code: trouble for trouble, codes in _GROUPS for code in codes}

# First match wins. In Python 3.11 asyncio's and concurrent.futures' TimeoutError are the
# built-in one; their CancelledErrors are two classes.
_EXCEPTIONS: tuple[tuple[type[BaseException], Trouble], ...] = (
    (TimeoutError, Trouble.NO_ANSWER),
    # The session stopped, or a timed-out request was abandoned.
    (asyncio.CancelledError, Trouble.INTERRUPTED),
    (concurrent.futures.CancelledError, Trouble.INTERRUPTED),
    # ib_async: "Not connected" (sent on a closed socket), "Socket disconnect" (pending requests).
    (ConnectionError, Trouble.DISCONNECTED),
    (OSError, Trouble.DISCONNECTED),
)


def classify(code: int) -> Trouble:
    """Name the kind of trouble an IB error code reports."""
    return _CODES.get(code, Trouble.UNKNOWN)


def classify_exception(error: BaseException) -> Trouble:
    """Name the kind of trouble an exception from ib_async (or its event loop) reports."""
    if isinstance(error, RequestError):
        return classify(error.code)
    for error_class, trouble in _EXCEPTIONS:
        if isinstance(error, error_class):
            return trouble
    return Trouble.UNKNOWN


def refuses_order(code: int) -> bool:
    """Whether the code means IB did not take the order it is about."""
    return classify(code) is Trouble.REFUSED


def describe(error: BaseException) -> str:
    """Return the error's class and message, the way logs and reasons show it."""
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def translate(trouble: Trouble, what: str) -> MatsError:
    """Return the MATS error for ``trouble``; ``what`` says who failed doing what."""
    if trouble is Trouble.REFUSED:
        return PermanentError(f"{what} ({trouble.value})")
    if trouble is Trouble.CLIENT_ID_IN_USE:
        return TemporaryError(
            f"{what} ({trouble.value}: another connection holds MATS_IB_CLIENT_ID; it is freed "
            "when that connection ends or the gateway restarts)"
        )
    return TemporaryError(f"{what} ({trouble.value})")


def translated(error: BaseException, what: str) -> MatsError:
    """Return ``error`` in MATS's tree: MATS's own errors as they are, anything else classified."""
    if isinstance(error, MatsError):
        return error
    return translate(classify_exception(error), f"{what}: {describe(error)}")
