"""Builders for lot-ledger tests: safe defaults, so a test shows only what matters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from mats.domain.accounting.lots import LedgerKey, LotFill
from mats.domain.trading import Side

T0 = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
KEY = LedgerKey("DU123", "trend", "ES")


def a_fill(
    number: int,
    side: Side,
    quantity: str,
    price: str,
    *,
    commission: str = "0",
    commission_currency: str | None = None,
    multiplier: str = "1",
    currency: str = "USD",
    signal_id: str | None = None,
    sender_id: str | None = "alice",
    minutes: float | None = None,
) -> LotFill:
    """Fill number ``number``, executed ``number`` minutes after T0 unless told otherwise."""
    return LotFill(
        execution_id=f"exec-{number:04d}",
        order_id=f"order-{number}",
        signal_id=signal_id or f"signal-{number}",
        sender_id=sender_id,
        account=KEY.account,
        strategy_id=KEY.strategy_id,
        symbol=KEY.symbol,
        side=side,
        quantity=Decimal(quantity),
        price=Decimal(price),
        multiplier=Decimal(multiplier),
        currency=currency,
        commission=Decimal(commission),
        commission_currency=commission_currency or currency,
        executed_at=T0 + timedelta(minutes=number if minutes is None else minutes),
    )


def buy(number: int, quantity: str, price: str, **extra: object) -> LotFill:
    return a_fill(number, Side.BUY, quantity, price, **extra)  # type: ignore[arg-type]


def sell(number: int, quantity: str, price: str, **extra: object) -> LotFill:
    return a_fill(number, Side.SELL, quantity, price, **extra)  # type: ignore[arg-type]
