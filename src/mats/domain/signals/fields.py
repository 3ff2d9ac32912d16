"""Read typed values out of a webhook payload, naming the field in every error.

TradingView fills placeholders as text, so numbers may arrive as strings; JSON numbers arrive as
``Decimal`` or ``int`` (never float) from :func:`mats.domain.signals.payload.load_payload`. Empty
strings count as absent, because an unused placeholder such as ``{{strategy.order.comment}}``
renders as ``""``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeVar

from mats.codec import parse_datetime
from mats.errors import ValidationError

E = TypeVar("E", bound=Enum)

# Quantities and prices beyond this are typos or attacks, never real orders.
MAX_MAGNITUDE = Decimal("1e15")
# Finer than this is no venue's tick; it also bounds the digits a number renders to ("1e-999999").
MAX_DECIMAL_PLACES = 18
SYMBOL_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/!&-]{0,39}$")
_PLACEHOLDER = re.compile(r"\{\{.*\}\}")
# ASCII only: str.isdigit() also accepts characters such as "²" that Decimal() refuses.
_EPOCH_DIGITS = re.compile(r"[0-9]{1,20}")


class Fields:
    """A payload with aliases: each canonical field may arrive under several keys."""

    def __init__(self, payload: Mapping[str, Any]) -> None:
        self._payload = payload

    def raw(self, *keys: str) -> tuple[str, Any] | None:
        """Return the first present, non-empty ``(key, value)`` among ``keys``."""
        for key in keys:
            value = self._payload.get(key)
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            return key, value
        return None

    def text(self, *keys: str, max_length: int = 128) -> str | None:
        found = self.raw(*keys)
        if found is None:
            return None
        key, value = found
        if isinstance(value, Decimal | int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise ValidationError(key, f"expected text, got {_describe(value)}")
        value = value.strip()
        _reject_placeholder(key, value)
        if len(value) > max_length:
            raise ValidationError(key, f"is longer than {max_length} characters")
        return value

    def choice(self, enum: type[E], *keys: str) -> E | None:
        text = self.text(*keys)
        if text is None:
            return None
        normalized = text.strip().upper().replace("-", "_")
        for member in enum:
            if normalized in (str(member.value).upper(), member.name):
                return member
        allowed = ", ".join(member.name.lower() for member in enum)
        key = self._key_of(*keys)
        raise ValidationError(key, f"must be one of {allowed}; got {text!r}")

    def keyword(self, allowed: Mapping[str, E], *keys: str) -> E | None:
        """Read a word from a fixed vocabulary (case-insensitive), e.g. buy/sell."""
        text = self.text(*keys)
        if text is None:
            return None
        value = allowed.get(text.casefold())
        if value is None:
            words = ", ".join(sorted(allowed))
            raise ValidationError(self._key_of(*keys), f"must be one of {words}; got {text!r}")
        return value

    def number(self, *keys: str, positive: bool = False, signed: bool = False) -> Decimal | None:
        """Read a finite decimal; non-negative unless ``signed``, non-zero if ``positive``."""
        found = self.raw(*keys)
        if found is None:
            return None
        key, value = found
        number = to_decimal(key, value)
        if not signed and number < 0:
            raise ValidationError(key, f"must not be negative; got {value!r}")
        if positive and number <= 0:
            raise ValidationError(key, f"must be greater than zero; got {value!r}")
        return number

    def timestamp(self, *keys: str) -> datetime | None:
        found = self.raw(*keys)
        if found is None:
            return None
        key, value = found
        if isinstance(value, Decimal | int) and not isinstance(value, bool):
            return _from_epoch(key, Decimal(value))
        if isinstance(value, str):
            _reject_placeholder(key, value.strip())
            if _EPOCH_DIGITS.fullmatch(value.strip()):
                return _from_epoch(key, Decimal(value.strip()))
        return parse_datetime(value, key)

    def mapping(self, *keys: str) -> tuple[str, Mapping[str, Any]] | None:
        found = self.raw(*keys)
        if found is None:
            return None
        key, value = found
        if not isinstance(value, Mapping):
            raise ValidationError(key, f"expected an object, got {_describe(value)}")
        return key, value

    def _key_of(self, *keys: str) -> str:
        found = self.raw(*keys)
        return found[0] if found else keys[0]


@contextmanager
def nested_field(key: str) -> Iterator[None]:
    """Prefix errors raised inside a nested object with the object's own key."""
    try:
        yield
    except ValidationError as error:
        raise ValidationError(f"{key}.{error.field}", error.message) from None


def to_decimal(key: str, value: Any) -> Decimal:
    """Convert a JSON number or numeric string into a finite, sane ``Decimal``."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise ValidationError(key, f"expected a number, got {_describe(value)}")
    if isinstance(value, str):
        _reject_placeholder(key, value.strip())
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise ValidationError(key, f"expected a number, got {value!r}") from None
    if not number.is_finite():
        raise ValidationError(key, f"must be a finite number; got {value!r}")
    # copy_abs() is exact; abs() rounds to the context and overflows on exponents like 1e999999.
    if number.copy_abs() >= MAX_MAGNITUDE:
        raise ValidationError(key, f"is implausibly large: {value!r}")
    if number.is_zero():
        return Decimal(0)  # -0 and 0E-999999999 alike.
    # Counted exactly, before any arithmetic: 1E-999999999 would underflow the context.
    if _decimal_places(number) > MAX_DECIMAL_PLACES:
        raise ValidationError(key, f"has more than {MAX_DECIMAL_PLACES} decimal places: {value!r}")
    return number + 0  # Round to the context's 28 significant digits.


def _decimal_places(number: Decimal) -> int:
    """How many places after the point ``number`` needs (trailing zeros do not count)."""
    _, digits, exponent = number.as_tuple()
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(int(exponent) + trailing))


def validate_symbol(key: str, symbol: str | None) -> str:
    if symbol is None:
        raise ValidationError(key, "is required (the instrument, e.g. AAPL or BTCUSDT)")
    if not SYMBOL_PATTERN.match(symbol):
        raise ValidationError(key, f"is not a valid instrument symbol: {symbol!r}")
    return symbol


def _from_epoch(key: str, value: Decimal) -> datetime:
    # TradingView and most senders use epoch milliseconds; anything this large is not seconds.
    try:
        seconds = value / 1000 if value > Decimal("1e11") else value
        return datetime.fromtimestamp(float(seconds), tz=UTC)
    except (ArithmeticError, OSError, ValueError):  # Decimal's Overflow is an ArithmeticError.
        raise ValidationError(key, f"is not a valid epoch timestamp: {value}") from None


def _reject_placeholder(key: str, value: str) -> None:
    if _PLACEHOLDER.search(value):
        raise ValidationError(
            key, f"holds an unfilled TradingView placeholder {value!r}; check the alert message"
        )


def _describe(value: Any) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    return repr(value)
