"""Every message MATS puts on Pub/Sub: schema, version, serialisation and validation in one place.

A message body is canonical JSON (sorted keys, no spaces) holding ``schema`` (name and version,
e.g. ``mats.signal.v1``), ``id``, ``created_at`` (ISO-8601 UTC) and the payload fields beside
them. Decimals are strings. Attributes carry the routing keys (``strategy_id``, ``account``,
``mode``, ...) so subscribers can filter without decoding the body. Producers build the dataclass
and call :func:`encode`; consumers call :func:`decode`, which validates every field and raises
:class:`ContractError` (a permanent error) naming the first bad one.

Topics and their message schemas:

- ``signals``: :class:`SignalV1`, one per accepted webhook alert; ordering key
  ``{strategy_id}/{symbol}``.
- ``orders``: :class:`OrderV1`, zero or more per signal, decided by Cerebro; ordering key
  ``{account}/{symbol}`` so one account's orders on one instrument reach the bridge in order.
- ``fills``: :class:`FillV1`, one per venue execution, keyed by the venue's execution id;
  ordering key ``{account}/{symbol}``.
- ``account-updates``: :class:`AccountUpdateV1`, an account's state from its venue, periodically
  and after fills; ordering key ``{account}``.
- ``backtest-jobs``: :class:`BacktestJobV1`, one per requested backtest sync, handled by the
  optimizer function in the background.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar, Protocol

from mats.codec import from_primitive, to_primitive
from mats.errors import PermanentError, ValidationError


class ContractError(PermanentError):
    """A message that does not match its schema; retrying it cannot help."""


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
class SignalV1:
    """A webhook alert in MATS's standard form, as published on ``signals``.

    ``quantity`` and ``price`` are the sender's own figures (informational: Cerebro sizes the
    order itself). ``target`` and ``previous`` are the strategy's position after and before the
    alert as the sender reports it; Cerebro checks ``previous`` against its ledger.
    """

    schema: ClassVar[str] = "mats.signal.v1"
    topic: ClassVar[str] = "signals"

    id: str
    created_at: datetime
    strategy_id: str
    sender_id: str
    source_format: str
    symbol: str
    intent: Intent
    trading_mode: TradingMode
    account: str
    exchange: str | None = None
    side: Side | None = None
    quantity: Decimal | None = None
    price: Decimal | None = None
    target: Position | None = None
    previous: Position | None = None
    order_type: OrderType = OrderType.MARKET
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    stop_loss: ProtectiveLeg | None = None
    take_profit: ProtectiveLeg | None = None
    time_in_force: TimeInForce = TimeInForce.DAY
    expire_at: datetime | None = None
    signal_time: datetime | None = None
    bar_time: datetime | None = None
    alert_order_id: str | None = None
    comment: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)

    def attributes(self) -> dict[str, str]:
        return {
            "schema": self.schema,
            "strategy_id": self.strategy_id,
            "sender_id": self.sender_id,
            "account": self.account,
            "mode": self.trading_mode.value,
            "intent": self.intent.value,
        }

    def ordering_key(self) -> str:
        return f"{self.strategy_id}/{self.symbol}"


@dataclass(frozen=True)
class BracketLeg:
    """A stop-loss or take-profit child of an entry order, with its own order id."""

    order_id: str
    price: Decimal


@dataclass(frozen=True)
class OrderV1:
    """An order Cerebro decided, as published on ``orders`` for the execution bridge.

    ``id`` is ``{signal_id}_ORD`` (a reverse's closing leg is ``{signal_id}_ORD_EXIT``); it
    travels to the venue (IB ``orderRef``, ccxt ``clientOrderId``) so a retry is recognised.
    Prices are already rounded to the instrument's tick and the quantity to its lot. A
    ``CANCEL_OPEN`` order has no side and quantity 0: it cancels the strategy's working orders
    on the instrument.
    """

    schema: ClassVar[str] = "mats.order.v1"
    topic: ClassVar[str] = "orders"

    id: str
    created_at: datetime
    signal_id: str
    strategy_id: str
    account: str
    broker: str
    trading_mode: TradingMode
    symbol: str
    currency: str
    purpose: OrderPurpose
    action: OrderAction
    quantity: Decimal
    side: Side | None = None
    reference_price: Decimal | None = None
    order_type: OrderType = OrderType.MARKET
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.DAY
    expire_at: datetime | None = None
    stop_loss: BracketLeg | None = None
    take_profit: BracketLeg | None = None
    exchange: str | None = None
    asset_class: str | None = None
    multiplier: Decimal = Decimal(1)
    broker_symbol: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)
    tick_size: Decimal | None = None  # The instrument's price increment (paper fills use it).

    def attributes(self) -> dict[str, str]:
        return {
            "schema": self.schema,
            "strategy_id": self.strategy_id,
            "account": self.account,
            "broker": self.broker,
            "mode": self.trading_mode.value,
            "purpose": self.purpose.value,
        }

    def ordering_key(self) -> str:
        return f"{self.account}/{self.symbol}"


@dataclass(frozen=True)
class FillV1:
    """One execution at a venue (``id`` is the venue's execution id), attributed to a strategy."""

    schema: ClassVar[str] = "mats.fill.v1"
    topic: ClassVar[str] = "fills"

    id: str
    created_at: datetime
    order_id: str
    signal_id: str
    strategy_id: str
    account: str
    broker: str
    trading_mode: TradingMode
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    commission: Decimal
    currency: str
    executed_at: datetime
    purpose: OrderPurpose
    multiplier: Decimal = Decimal(1)
    commission_currency: str | None = None  # When the venue charges in another currency (BNB).

    def attributes(self) -> dict[str, str]:
        return {
            "schema": self.schema,
            "strategy_id": self.strategy_id,
            "account": self.account,
            "broker": self.broker,
            "mode": self.trading_mode.value,
        }

    def ordering_key(self) -> str:
        return f"{self.account}/{self.symbol}"


@dataclass(frozen=True)
class AccountPositionV1:
    symbol: str
    quantity: Decimal
    average_cost: Decimal | None = None
    mark_price: Decimal | None = None


@dataclass(frozen=True)
class AccountUpdateV1:
    """An account's state as its venue reports it (``id`` is ``{account}@{as_of}``)."""

    schema: ClassVar[str] = "mats.account.v1"
    topic: ClassVar[str] = "account-updates"

    id: str
    created_at: datetime
    account: str
    broker: str
    currency: str
    equity: Decimal
    cash: Decimal
    margin_used: Decimal
    as_of: datetime
    margin_available: Decimal | None = None
    unrealized_pnl: Decimal = Decimal(0)
    positions: tuple[AccountPositionV1, ...] = ()

    def attributes(self) -> dict[str, str]:
        return {"schema": self.schema, "account": self.account, "broker": self.broker}

    def ordering_key(self) -> str:
        return self.account


@dataclass(frozen=True)
class BacktestJobV1:
    """A request to (re)load backtests from the data directory: ``id`` is the job id."""

    schema: ClassVar[str] = "mats.backtest_job.v1"
    topic: ClassVar[str] = "backtest-jobs"

    id: str
    created_at: datetime
    strategy_ids: tuple[str, ...] = ()

    def attributes(self) -> dict[str, str]:
        return {"schema": self.schema}

    def ordering_key(self) -> str:
        return ""


class Message(Protocol):
    schema: ClassVar[str]
    topic: ClassVar[str]

    @property
    def id(self) -> str: ...

    @property
    def created_at(self) -> datetime: ...

    def attributes(self) -> dict[str, str]: ...

    def ordering_key(self) -> str: ...


SCHEMAS: dict[str, type[Any]] = {
    cls.schema: cls for cls in (SignalV1, OrderV1, FillV1, AccountUpdateV1, BacktestJobV1)
}


@dataclass(frozen=True)
class EncodedMessage:
    """What a publisher sends: the exact body bytes, attributes and ordering key."""

    topic: str
    data: bytes
    attributes: dict[str, str]
    ordering_key: str


def encode(message: Message) -> EncodedMessage:
    """Serialise a message to its canonical body, attributes and ordering key."""
    body = {"schema": message.schema, **to_primitive(message)}
    data = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return EncodedMessage(
        topic=message.topic,
        data=data.encode(),
        attributes=message.attributes(),
        ordering_key=message.ordering_key(),
    )


def decode(data: bytes | str) -> Any:
    """Parse and validate a message body into its dataclass, whatever its schema."""
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise ContractError(f"message body is not JSON: {error}") from None
    if not isinstance(body, dict):
        raise ContractError("message body must be a JSON object")
    schema = body.pop("schema", None)
    cls = SCHEMAS.get(schema) if isinstance(schema, str) else None
    if cls is None:
        raise ContractError(f"unknown message schema {schema!r}; expected one of {sorted(SCHEMAS)}")
    try:
        return from_primitive(cls, body, schema)
    except ValidationError as error:
        raise ContractError(str(error)) from None
