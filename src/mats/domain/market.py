"""Instruments, quotes and FX rates, and rounding to what a venue accepts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from enum import StrEnum

from mats.domain.currencies import CRYPTO_ASSETS, is_currency_code
from mats.domain.trading import Side
from mats.errors import ValidationError


class AssetClass(StrEnum):
    STOCK = "STOCK"
    ETF = "ETF"
    FUTURE = "FUTURE"
    OPTION = "OPTION"
    FX = "FX"
    CRYPTO = "CRYPTO"


@dataclass(frozen=True)
class Instrument:
    """What a venue accepts for one symbol: tick, lot, minimum notional, multiplier, margin.

    ``lot_size`` is the quantity step (1 for IB stocks and futures, e.g. 0.00001 for BTC).
    ``margin_rate`` is initial margin as a fraction of notional; ``margin_per_unit`` a fixed
    amount per unit (futures), in the instrument's currency. Either may be unknown.
    """

    symbol: str
    asset_class: AssetClass
    currency: str
    tick_size: Decimal
    lot_size: Decimal
    updated_at: datetime
    multiplier: Decimal = Decimal(1)
    min_notional: Decimal | None = None
    margin_rate: Decimal | None = None
    margin_per_unit: Decimal | None = None
    exchange: str | None = None
    broker_symbol: str | None = None

    def round_quantity_down(self, quantity: Decimal) -> Decimal:
        """Round down to a whole number of lots: never more than the budget allows."""
        if quantity <= 0:
            return Decimal(0)
        lots = (quantity / self.lot_size).to_integral_value(rounding=ROUND_FLOOR)
        return (lots * self.lot_size).normalize() + 0

    def round_quantity_up(self, quantity: Decimal) -> Decimal:
        lots = (quantity / self.lot_size).to_integral_value(rounding=ROUND_CEILING)
        return (lots * self.lot_size).normalize() + 0

    def round_price(self, price: Decimal, *, up: bool) -> Decimal:
        """Round a price to the tick, up or down as the caller's risk requires."""
        rounding = ROUND_CEILING if up else ROUND_FLOOR
        ticks = (price / self.tick_size).to_integral_value(rounding=rounding)
        return (ticks * self.tick_size).quantize(self.tick_size)


def validate_instrument(instrument: Instrument) -> Instrument:
    for name in ("tick_size", "lot_size", "multiplier"):
        value: Decimal = getattr(instrument, name)
        if not value.is_finite() or value <= 0:
            raise ValidationError(name, "must be a positive number")
    for name in ("min_notional", "margin_per_unit"):
        optional: Decimal | None = getattr(instrument, name)
        if optional is not None and (not optional.is_finite() or optional < 0):
            raise ValidationError(name, "must not be negative")
    rate = instrument.margin_rate
    if rate is not None and not (0 < rate <= 1):
        raise ValidationError("margin_rate", "must be a fraction above 0 and at most 1")
    validate_currency(instrument.currency, "currency")
    return instrument


def validate_currency(code: str, field: str) -> str:
    """Accept an ISO 4217 code (USD) or a crypto settlement asset (USDT); see ``currencies``."""
    if not is_currency_code(code):
        raise ValidationError(
            field,
            f"{code!r} is not a currency code: use an ISO 4217 code such as USD, EUR or JPY, "
            f"or one of {', '.join(sorted(CRYPTO_ASSETS))}",
        )
    return code


def parse_pair(pair: str) -> tuple[str, str]:
    """Split ``EUR/USD`` into base and quote currency; any other spelling is refused.

    The slash is required: ``USDTUSD`` could be USDT/USD or USD/TUSD.
    """
    text = pair.strip().upper()
    base, slash, quote = (part.strip() for part in text.partition("/"))
    if not slash or not base or not quote:
        raise ValidationError(
            "pair", f"{pair!r} must be written BASE/QUOTE, e.g. EUR/USD or USDT/USD"
        )
    validate_currency(base, "pair")
    validate_currency(quote, "pair")
    if base == quote:
        raise ValidationError("pair", f"{base}/{quote} prices a currency in itself")
    return base, quote


@dataclass(frozen=True)
class Quote:
    symbol: str
    as_of: datetime
    last: Decimal | None = None
    bid: Decimal | None = None
    ask: Decimal | None = None
    source: str = "manual"

    def price_for(self, side: Side) -> Decimal | None:
        """The price an order on ``side`` would meet: the ask to buy, the bid to sell."""
        touch = self.ask if side is Side.BUY else self.bid
        return touch or self.last

    def is_fresh(self, now: datetime, max_age: timedelta) -> bool:
        return now - self.as_of <= max_age


@dataclass(frozen=True)
class FxRate:
    """``rate`` units of ``quote_currency`` per one unit of ``base_currency``."""

    base_currency: str
    quote_currency: str
    rate: Decimal
    as_of: datetime
    source: str = "manual"

    @property
    def pair(self) -> str:
        return f"{self.base_currency}{self.quote_currency}"


@dataclass(frozen=True)
class Conversion:
    """How to turn an amount in ``source`` into ``target``: multiply by ``rate``."""

    source: str
    target: str
    rate: Decimal
    pair: str | None = None  # The stored pair used (``None``: same currency).
    as_of: datetime | None = None

    def describe(self) -> str:
        if self.pair is None:
            return f"{self.source} is {self.target}"
        inverted = "" if self.pair == f"{self.source}{self.target}" else ", inverted"
        return f"{self.source} -> {self.target} at {self.rate} ({self.pair}{inverted})"


def conversion(rates: Iterable[FxRate], source: str, target: str) -> Conversion | None:
    """The freshest stored rate from ``source`` to ``target`` (direct or inverted), if any."""
    if source == target:
        return Conversion(source, target, Decimal(1))
    candidates = [
        r for r in rates if {r.base_currency, r.quote_currency} == {source, target} and r.rate > 0
    ]
    if not candidates:
        return None
    rate = max(candidates, key=lambda r: r.as_of)
    value = rate.rate if rate.base_currency == source else 1 / rate.rate
    return Conversion(source, target, value, rate.pair, rate.as_of)
