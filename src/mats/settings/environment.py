"""Typed readers of environment variables: each error names the variable and what it holds.

An unset or blank variable gives the default, so a deployment only sets what it changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from mats.errors import ValidationError

Environment = Mapping[str, str]


def text(env: Environment, name: str) -> str | None:
    """Return the variable stripped of spaces, or ``None`` when unset or blank."""
    return (env.get(name) or "").strip() or None


def path(env: Environment, name: str) -> Path | None:
    value = text(env, name)
    return Path(value) if value else None


def flag(env: Environment, name: str) -> bool:
    return (text(env, name) or "").lower() in ("1", "true", "yes")


def whole_number(env: Environment, name: str, default: int) -> int:
    raw = text(env, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(name, f"must be a whole number; got {raw!r}") from None
    if value < 0:
        raise ValidationError(name, "must not be negative")
    return value


def number(env: Environment, name: str, default: Decimal) -> Decimal:
    raw = text(env, name)
    if raw is None:
        return default
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValidationError(name, f"must be a number; got {raw!r}") from None
    if not value.is_finite() or value < 0:
        raise ValidationError(name, "must be a number of at least 0")
    return value


def fraction(env: Environment, name: str, default: Decimal) -> Decimal:
    value = number(env, name, default)
    if not 0 < value <= 1:
        raise ValidationError(name, "must be a fraction above 0 and at most 1")
    return value


def seconds(env: Environment, name: str, default: float) -> float:
    return float(number(env, name, Decimal(default)))


def duration(env: Environment, name: str, default: timedelta) -> timedelta:
    return timedelta(seconds=seconds(env, name, default.total_seconds()))


def pairs(env: Environment, name: str) -> dict[str, str]:
    """``A=x,B=y`` as a mapping."""
    found = {}
    for item in filter(None, (part.strip() for part in (env.get(name) or "").split(","))):
        key, equals, value = item.partition("=")
        if not equals or not key.strip() or not value.strip():
            raise ValidationError(
                name, f"expected NAME=VALUE pairs separated by commas; got {item!r}"
            )
        found[key.strip()] = value.strip()
    return found


def utc_time(env: Environment, name: str, default: time) -> time:
    """``HH:MM`` (UTC)."""
    raw = text(env, name)
    if raw is None:
        return default
    try:
        if len(raw) != len("HH:MM"):
            raise ValueError(raw)
        return time.fromisoformat(raw)
    except ValueError:
        raise ValidationError(name, f"expected HH:MM (UTC); got {raw!r}") from None


def utc_window(env: Environment, name: str) -> tuple[time, time] | None:
    """``HH:MM-HH:MM`` (UTC; may wrap midnight)."""
    raw = text(env, name)
    if raw is None:
        return None
    start, dash, end = raw.partition("-")
    try:
        if not dash:
            raise ValueError(raw)
        return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    except ValueError:
        raise ValidationError(name, f"expected HH:MM-HH:MM (UTC); got {raw!r}") from None
