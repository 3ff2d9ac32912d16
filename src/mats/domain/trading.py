"""The trading vocabulary every part of MATS speaks: intents, sides, order types and modes.

Wire contracts (``mats.contracts``) carry these values as JSON; the domain owns them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Intent(StrEnum):
    """What a signal asks the strategy's position to do."""

    ENTRY_LONG = "ENTRY_LONG"
    ENTRY_SHORT = "ENTRY_SHORT"
    EXIT = "EXIT"
    REVERSE = "REVERSE"
    ADD = "ADD"
    REDUCE = "REDUCE"
    CANCEL = "CANCEL"


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class PositionSide(StrEnum):
    LONG = "LONG"
    SHORT = "SHORT"
    FLAT = "FLAT"


class OrderType(StrEnum):
    MARKET = "MKT"
    LIMIT = "LMT"
    STOP = "STP"
    STOP_LIMIT = "STP_LMT"


class TimeInForce(StrEnum):
    DAY = "DAY"
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"
    GTD = "GTD"


class TradingMode(StrEnum):
    LIVE = "LIVE"
    PAPER = "PAPER"


class OrderPurpose(StrEnum):
    """Entries add risk; exits reduce it and are privileged (retried until filled)."""

    ENTRY = "ENTRY"
    EXIT = "EXIT"


class OrderAction(StrEnum):
    """Place a new order, or cancel the strategy's open orders on the instrument."""

    PLACE = "PLACE"
    CANCEL_OPEN = "CANCEL_OPEN"


@dataclass(frozen=True)
class Position:
    """A strategy's position as the signal sender sees it: side and absolute size."""

    side: PositionSide
    size: Decimal | None = None


@dataclass(frozen=True)
class ProtectiveLeg:
    """A stop-loss or take-profit: an absolute price or a percentage from the entry price."""

    price: Decimal | None = None
    percent: Decimal | None = None


@dataclass(frozen=True)
class BracketLeg:
    """A stop-loss or take-profit child of an entry order, with its own order id."""

    order_id: str
    price: Decimal
