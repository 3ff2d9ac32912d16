"""Turn frozen dataclasses into JSON/Firestore primitives and back, validating on the way in.

Decimals travel as plain decimal strings (never floats, never exponent notation); datetimes as
ISO-8601 UTC strings with a trailing ``Z`` (or as native aware datetimes for Firestore); dates as
``YYYY-MM-DD``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from functools import cache
from typing import Any, TypeVar

from mats.errors import ValidationError

T = TypeVar("T")


def decimal_to_str(value: Decimal) -> str:
    """Render a decimal without exponent notation, keeping its scale (``1.50`` stays ``1.50``)."""
    return format(value, "f")


def datetime_to_str(value: datetime) -> str:
    """Render an aware datetime as ISO-8601 UTC with microseconds and a ``Z`` suffix."""
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not allowed; use timezone-aware UTC")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_datetime(value: object, field: str) -> datetime:
    """Parse an ISO-8601 string with a timezone (or an aware datetime) into UTC."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(field, f"expected an ISO-8601 timestamp, got {value!r}") from None
    else:
        raise ValidationError(field, f"expected an ISO-8601 timestamp, got {type(value).__name__}")
    if parsed.tzinfo is None:
        raise ValidationError(field, "timestamp must include a timezone, e.g. 2026-01-02T14:30:00Z")
    return parsed.astimezone(UTC)


def to_primitive(value: Any, *, native_datetimes: bool = False) -> Any:
    """Convert a dataclass tree into dicts, lists, strings, numbers and booleans."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: to_primitive(getattr(value, field.name), native_datetimes=native_datetimes)
            for field in dataclasses.fields(value)
        }
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return decimal_to_str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC) if native_datetimes else datetime_to_str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_primitive(item, native_datetimes=native_datetimes) for item in value]
    if isinstance(value, Mapping):
        return {
            str(key): to_primitive(item, native_datetimes=native_datetimes)
            for key, item in value.items()
        }
    return value


def from_primitive(cls: type[T], data: Any, path: str = "") -> T:
    """Build ``cls`` from primitives, raising ``ValidationError`` naming the first bad field."""
    return typing.cast(T, _convert(cls, data, path or cls.__name__))


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


_ANY, _OPTIONAL, _CONTAINER, _DATACLASS, _ENUM, _SCALAR = range(6)


@cache
def _kind(annotation: Any) -> int:
    """How to convert to ``annotation`` (worked out once per annotation: this is hot)."""
    if annotation is Any:
        return _ANY
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return _OPTIONAL
    if origin in (tuple, dict):
        return _CONTAINER
    if dataclasses.is_dataclass(annotation):
        return _DATACLASS
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return _ENUM
    return _SCALAR


def _convert(annotation: Any, data: Any, path: str) -> Any:
    kind = _kind(annotation)
    if kind == _ANY:
        return data
    if kind == _OPTIONAL:
        return _convert_optional(annotation, data, path)
    if data is None:
        raise ValidationError(path, "is required")
    if kind == _CONTAINER:
        return _convert_container(annotation, data, path)
    if kind == _DATACLASS:
        return _convert_dataclass(annotation, data, path)
    if kind == _ENUM:
        return _convert_enum(annotation, data, path)
    scalar = _SCALARS.get(annotation)
    if scalar is None:
        raise TypeError(f"{path}: no conversion for {annotation!r}")
    return scalar(data, path)


@cache
def _args(annotation: Any) -> tuple[Any, ...]:
    return typing.get_args(annotation)


def _convert_container(annotation: Any, data: Any, path: str) -> Any:
    if typing.get_origin(annotation) is tuple:
        item_type = _args(annotation)[0]
        if not isinstance(data, list | tuple):
            raise ValidationError(path, "expected a list")
        return tuple(_convert(item_type, item, f"{path}[{i}]") for i, item in enumerate(data))
    _, value_type = _args(annotation)
    if not isinstance(data, Mapping):
        raise ValidationError(path, "expected an object")
    return {str(k): _convert(value_type, v, f"{path}.{k}") for k, v in data.items()}


def _convert_optional(annotation: Any, data: Any, path: str) -> Any:
    every = _args(annotation)
    options = [arg for arg in every if arg is not type(None)]
    if data is None:
        if len(options) < len(every):
            return None
        raise ValidationError(path, "is required")
    return _convert(options[0], data, path)


def _convert_enum(enum: type[Enum], data: Any, path: str) -> Enum:
    try:
        return enum(data)
    except ValueError:
        allowed = ", ".join(str(member.value) for member in enum)
        raise ValidationError(path, f"must be one of {allowed}; got {data!r}") from None


def _convert_bool(data: Any, path: str) -> bool:
    if not isinstance(data, bool):
        raise ValidationError(path, "expected true or false")
    return data


def _convert_int(data: Any, path: str) -> int:
    if isinstance(data, bool) or not isinstance(data, int):
        raise ValidationError(path, "expected an integer")
    return data


def _convert_date(data: Any, path: str) -> date:
    if isinstance(data, datetime):
        return data.date()
    if not isinstance(data, str):
        raise ValidationError(path, "expected a date, e.g. 2026-11-20")
    try:
        return date.fromisoformat(data)
    except ValueError:
        raise ValidationError(path, f"expected a date, e.g. 2026-11-20; got {data!r}") from None


def _convert_float(data: Any, path: str) -> float:
    if isinstance(data, bool) or not isinstance(data, int | float):
        raise ValidationError(path, "expected a number")
    return float(data)


def _convert_str(data: Any, path: str) -> str:
    if not isinstance(data, str):
        raise ValidationError(path, "expected a string")
    return data


@cache
def _fields(cls: Any) -> tuple[tuple[str, Any, bool], ...]:
    """``(name, type, has a default)`` of each field ``cls`` is built with."""
    hints = _hints(cls)
    return tuple(
        (
            field.name,
            hints[field.name],
            field.default is not dataclasses.MISSING
            or field.default_factory is not dataclasses.MISSING,
        )
        for field in dataclasses.fields(cls)
        if field.init
    )


def _convert_dataclass(cls: Any, data: Any, path: str) -> Any:
    if not isinstance(data, Mapping):
        raise ValidationError(path, "expected an object")
    values: dict[str, Any] = {}
    for name, hint, has_default in _fields(cls):
        if has_default and name not in data:
            continue
        values[name] = _convert(hint, data.get(name), f"{path}.{name}")
    return cls(**values)


def _convert_decimal(data: Any, path: str) -> Decimal:
    if isinstance(data, bool) or not isinstance(data, str | int | Decimal):
        raise ValidationError(path, "expected a decimal string")
    try:
        value = Decimal(data)
    except InvalidOperation:
        raise ValidationError(path, f"expected a decimal string, got {data!r}") from None
    if not value.is_finite():
        raise ValidationError(path, "must be a finite number")
    return value


_SCALARS: dict[Any, Any] = {
    Decimal: _convert_decimal,
    datetime: parse_datetime,
    date: _convert_date,
    bool: _convert_bool,
    int: _convert_int,
    float: _convert_float,
    str: _convert_str,
}
