"""Body values the contract's schemas cannot check on their own: exact decimals given as
strings, and maps keyed by ids."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from mats.errors import ValidationError

_DECIMAL = re.compile(r"^-?[0-9]{1,15}(\.[0-9]{1,12})?$")


def decimal_of(value: Any, field: str) -> Decimal:
    """An exact decimal given as a JSON string (``"25000"``, ``"12.5"``).

    A JSON number is refused rather than guessed at: ``0.1`` as a float is not 0.1, and money
    and percents are exact here, so the caller must say the digits it means.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValidationError(
            field,
            f'give it as a decimal string such as "{value}", not a JSON number '
            "(a number may not be exact; money and percents are)",
        )
    if not isinstance(value, str) or _DECIMAL.match(value) is None:
        raise ValidationError(field, 'must be a decimal string such as "25" or "12.5"')
    return Decimal(value)


def id_map(value: Mapping[str, Any], field: str, pattern: re.Pattern[str]) -> dict[str, Any]:
    """An object whose keys must be ids of ``pattern`` (strategy ids, say)."""
    for key in value:
        if pattern.match(key) is None:
            raise ValidationError(f"{field}.{key}", "use 1-64 letters, digits, '-' or '_'")
    return dict(value)
