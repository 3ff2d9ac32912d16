"""Click parameter types shared by the commands."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import click


class DecimalParam(click.ParamType[Decimal, Any]):
    """An exact decimal; ``positive`` refuses zero and below, ``signed`` allows negatives."""

    name = "NUMBER"

    def __init__(self, *, positive: bool = False, signed: bool = False) -> None:
        self.positive = positive
        self.signed = signed

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Decimal:
        if isinstance(value, Decimal):
            return value
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            self.fail(f"{value!r} is not a number", param, ctx)
        if not number.is_finite():
            self.fail(f"{value!r} is not a finite number", param, ctx)
        if self.positive and number <= 0:
            self.fail(f"{value!r} must be a positive number", param, ctx)
        if not self.signed and number < 0:
            self.fail(f"{value!r} must not be negative", param, ctx)
        return number


POSITIVE = DecimalParam(positive=True)
NON_NEGATIVE = DecimalParam()
SIGNED = DecimalParam(signed=True)
