"""Every message MATS puts on Pub/Sub: schema, version, serialisation and validation in one place.

A message body is canonical JSON (sorted keys, no spaces) holding ``schema`` (name and version,
e.g. ``mats.signal.v1``), ``id``, ``created_at`` (ISO-8601 UTC) and the payload fields beside
them. Decimals are strings. Attributes carry the routing keys (``strategy_id``, ``account``,
``mode``, ...) so subscribers can filter without decoding the body. The payloads are the domain's
records (``Signal``, ``Order``, ``Fill``) in the domain's vocabulary (``mats.domain.trading``);
:func:`to_message` and :func:`from_message` translate at the edge. Producers call :func:`encode`;
consumers call :func:`decode` (or :func:`decode_as`), which validates every field and raises
:class:`ContractError` (a permanent error) naming the first bad one.

Topics and their message schemas:

- ``signals``: :class:`SignalV1`, one per accepted webhook alert; ordering key
  ``{strategy_id}``.
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

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Protocol, TypeVar, overload

from mats.codec import from_primitive, to_primitive
from mats.domain.orders import Fill, Order
from mats.domain.signals.signal import Signal
from mats.domain.trading import (
    BracketLeg,
    Intent,
    OrderAction,
    OrderPurpose,
    OrderType,
    Position,
    ProtectiveLeg,
    Side,
    TimeInForce,
    TradingMode,
)
from mats.errors import PermanentError, ValidationError


class ContractError(PermanentError):
    """A message that does not match its schema; retrying it cannot help."""


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
        # One strategy's signals reach Cerebro one at a time, whatever the instrument: its
        # allocation spans them all.
        return self.strategy_id


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
    # Cerebro's estimate of the margin one unit ties up, in the account's currency (entries).
    margin_per_unit: Decimal | None = None
    # The mid of the quote Cerebro decided on ((bid + ask) / 2, else last): implementation
    # shortfall's decision price. ``None`` without a fresh quote.
    decision_mid: Decimal | None = None

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


# Translation between the domain and the wire: the payload fields of each v1 message are the
# domain record's fields, one for one (tests/unit/test_contracts.py holds them to that).
_WIRE: dict[type[Any], type[Any]] = {Signal: SignalV1, Order: OrderV1, Fill: FillV1}
_DOMAIN: dict[type[Any], type[Any]] = {wire: domain for domain, wire in _WIRE.items()}
D = TypeVar("D", Signal, Order, Fill)


@overload
def to_message(value: Signal) -> SignalV1: ...
@overload
def to_message(value: Order) -> OrderV1: ...
@overload
def to_message(value: Fill) -> FillV1: ...
def to_message(value: Signal | Order | Fill) -> SignalV1 | OrderV1 | FillV1:
    """The wire message that carries a domain record."""
    message: SignalV1 | OrderV1 | FillV1 = _copy(value, _WIRE[type(value)])
    return message


@overload
def from_message(message: SignalV1) -> Signal: ...
@overload
def from_message(message: OrderV1) -> Order: ...
@overload
def from_message(message: FillV1) -> Fill: ...
def from_message(message: SignalV1 | OrderV1 | FillV1) -> Signal | Order | Fill:
    """The domain record a wire message carries."""
    value: Signal | Order | Fill = _copy(message, _DOMAIN[type(message)])
    return value


def decode_as(data: bytes | str, domain: type[D]) -> D:
    """Decode a message body that must carry ``domain`` (e.g. ``Order``) and translate it."""
    wire = _WIRE[domain]
    message = decode(data)
    if not isinstance(message, wire):
        raise ContractError(f"expected {wire.schema}, got {message.schema}")
    value: D = _copy(message, domain)
    return value


def _copy(source: Any, target: type[Any]) -> Any:
    return target(**{f.name: getattr(source, f.name) for f in dataclasses.fields(target)})
