"""How the fund commands show money, percentages and units, and parse what people type.

Money is shown to the cent (half-up, as the accounting rounds) with its currency; returns are
fractions shown as signed percentages; what people type is parsed here into a
:class:`ValidationError` naming the field, so bad input exits 1 like every other MATS error.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from mats.domain.accounting.views import cents
from mats.domain.funds.payouts import parse_month
from mats.errors import ValidationError

HUNDRED = Decimal(100)
BP_PLACES = Decimal("0.01")


def money(amount: Decimal | None, currency: str) -> str:
    """``1,234.50 USD``; ``-`` for an unknown amount."""
    if amount is None:
        return "-"
    return f"{cents(amount):,.2f} {currency}"


def signed_money(amount: Decimal | None, currency: str) -> str:
    """``+1,234.50 USD`` / ``-12.00 USD``: a gain or a loss."""
    if amount is None:
        return "-"
    return f"{cents(amount):+,.2f} {currency}"


def return_pct(fraction: Decimal | None) -> str:
    """A return kept as a fraction (``0.0123``) shown as ``+1.23%``."""
    if fraction is None:
        return "-"
    return f"{cents(fraction * HUNDRED):+.2f}%"


def percent(points: Decimal | None, *, signed: bool = False) -> str:
    """A figure already in percent (``5.00``) shown as ``5.00%``."""
    if points is None:
        return "-"
    return f"{cents(points):+.2f}%" if signed else f"{cents(points):.2f}%"


def bps(value: Decimal | None) -> str:
    if value is None:
        return "-"
    return f"{value.quantize(BP_PLACES, ROUND_HALF_UP):+.2f}"


def units(value: Decimal | None) -> str:
    """Units to 6 decimal places, as they are dealt."""
    if value is None:
        return "-"
    return f"{value:,.6f}"


def nav_per_unit(value: Decimal | None) -> str:
    if value is None:
        return "-"
    return f"{value:.6f}"


def moment(value: datetime | None) -> str:
    if value is None:
        return "-"
    return f"{value:%Y-%m-%d %H:%M} UTC"


def flags(values: Sequence[str]) -> str:
    return ", ".join(values) if values else "-"


def fields(rows: Sequence[tuple[str, str]]) -> str:
    """Label/value lines with the values aligned."""
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label.ljust(width)}  {value}".rstrip() for label, value in rows)


def parse_day(raw: str | None, field: str) -> date | None:
    """``YYYY-MM-DD`` (or nothing), or a ``ValidationError`` naming ``field``."""
    if raw is None:
        return None
    try:
        if len(raw.strip()) != len("YYYY-MM-DD"):
            raise ValueError(raw)
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise ValidationError(field, f"must be a date YYYY-MM-DD, got {raw!r}") from None


def parse_month_option(raw: str | None, field: str = "month") -> str | None:
    """``YYYY-MM`` (or nothing), or a ``ValidationError`` naming ``field``."""
    if raw is None:
        return None
    month = raw.strip()
    parse_month(month, field)
    return month


def parse_number(raw: str | None, field: str) -> Decimal | None:
    """A finite decimal (or nothing); its range is the service's to check."""
    if raw is None:
        return None
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise ValidationError(field, f"not a number: {raw!r}") from None
    if not value.is_finite():
        raise ValidationError(field, f"not a finite number: {raw!r}")
    return value


def parse_whole(raw: str | None, field: str) -> int | None:
    if raw is None:
        return None
    try:
        return int(raw.strip())
    except ValueError:
        raise ValidationError(field, f"not a whole number: {raw!r}") from None
