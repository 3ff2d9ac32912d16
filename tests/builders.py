"""Builders with safe defaults, so a test shows only what matters to it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from mats.domain.accounting import AccountState, StrategyPosition
from mats.domain.cerebro.context import DecisionInputs
from mats.domain.market import AssetClass, FxRate, Instrument
from mats.domain.orders import Fill, Order
from mats.domain.portfolio import Activation, Allocation, AllocationStatus
from mats.domain.senders import Sender, signing_key, verifier_of
from mats.domain.signals.signal import Signal
from mats.domain.strategies import RiskLimits, Strategy, StrategyStatus
from mats.domain.trading import (
    Intent,
    OrderAction,
    OrderPurpose,
    OrderType,
    Position,
    PositionSide,
    Side,
    TimeInForce,
    TradingMode,
)

CREATED = datetime(2026, 11, 1, tzinfo=UTC)
SECRET = "test-secret-not-real-0123456789abcdef"


def a_sender(sender_id: str = "alpha-1a2b3c", **overrides: Any) -> Sender:
    fields: dict[str, Any] = {
        "sender_id": sender_id,
        "name": "Alpha Signals",
        "secret_verifier": verifier_of(signing_key(SECRET)),
        "created_at": CREATED,
        "updated_at": CREATED,
    }
    fields.update(overrides)
    return Sender(**fields)


def a_strategy(strategy_id: str = "trend-es", **overrides: Any) -> Strategy:
    fields: dict[str, Any] = {
        "strategy_id": strategy_id,
        "name": "ES Trend",
        "status": StrategyStatus.ACTIVE,
        "trading_mode": TradingMode.LIVE,
        "account": "IBKR_Futures",
        "created_at": CREATED,
        "updated_at": CREATED,
        "risk_limits": RiskLimits(max_position_size=Decimal(4)),
        "sender_ids": ("alpha-1a2b3c",),
    }
    fields.update(overrides)
    return Strategy(**fields)


def tradingview_alert(**overrides: Any) -> dict[str, Any]:
    """A TradingView strategy alert for a flat → long entry, as placeholders render it."""
    alert: dict[str, Any] = {
        "strategy_id": "trend-es",
        "ticker": "ES1!",
        "exchange": "CME_MINI",
        "close": "5012.25",
        "time": "2026-11-20T14:29:00Z",
        "timenow": "2026-11-20T14:29:58Z",
        "action": "buy",
        "contracts": "1",
        "price": "5012.25",
        "order_id": "Long Entry",
        "comment": "",
        "position_size": "1",
        "market_position": "long",
        "market_position_size": "1",
        "prev_market_position": "flat",
        "prev_market_position_size": "0",
    }
    alert.update(overrides)
    return {key: value for key, value in alert.items() if value is not None}


def body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


NOW = datetime(2026, 11, 20, 14, 30, 5, tzinfo=UTC)


def a_signal(**overrides: Any) -> Signal:
    """A standard signal: flat → long entry in AAPL on IBKR_Main, priced at 200."""
    fields: dict[str, Any] = {
        "id": "momentum_20261120_143000_1",
        "created_at": NOW,
        "strategy_id": "momentum",
        "sender_id": "alpha-1a2b3c",
        "source_format": "tradingview",
        "symbol": "AAPL",
        "intent": Intent.ENTRY_LONG,
        "trading_mode": TradingMode.LIVE,
        "account": "IBKR_Main",
        "side": Side.BUY,
        "price": Decimal(200),
        "previous": Position(PositionSide.FLAT, Decimal(0)),
        "target": Position(PositionSide.LONG, Decimal(10)),
        "signal_time": NOW,
    }
    fields.update(overrides)
    return Signal(**fields)


def an_order(order_id: str = "momentum_20261120_143000_1_ORD", **overrides: Any) -> Order:
    """A LIVE market entry at IB: buy 10 AAPL on IBKR_Main, priced at 100 when decided."""
    fields: dict[str, Any] = {
        "id": order_id,
        "created_at": NOW,
        "signal_id": order_id.split("_ORD", 1)[0],
        "strategy_id": "momentum",
        "account": "IBKR_Main",
        "broker": "IB",
        "trading_mode": TradingMode.LIVE,
        "symbol": "AAPL",
        "currency": "USD",
        "purpose": OrderPurpose.ENTRY,
        "action": OrderAction.PLACE,
        "side": Side.BUY,
        "quantity": Decimal(10),
        "reference_price": Decimal(100),
        "asset_class": "STOCK",
        "tick_size": Decimal("0.01"),
    }
    fields.update(overrides)
    return Order(**fields)


def a_fill(execution_id: str = "0000e0d5.6745a0f1.01.01", **overrides: Any) -> Fill:
    """The venue's execution of :func:`an_order`: 10 AAPL bought at 100.05, 1.00 commission."""
    order = an_order()
    fields: dict[str, Any] = {
        "id": execution_id,
        "created_at": NOW,
        "order_id": order.id,
        "signal_id": order.signal_id,
        "strategy_id": order.strategy_id,
        "account": order.account,
        "broker": order.broker,
        "trading_mode": order.trading_mode,
        "symbol": order.symbol,
        "side": order.side,
        "quantity": order.quantity,
        "price": Decimal("100.05"),
        "commission": Decimal("1.00"),
        "currency": order.currency,
        "executed_at": NOW,
        "purpose": order.purpose,
    }
    fields.update(overrides)
    return Fill(**fields)


def a_crypto_order(**overrides: Any) -> Order:
    """A GTC limit buy of 0.0025 BTC at 90,000 USDT on Binance_Main."""
    fields: dict[str, Any] = {
        "account": "Binance_Main",
        "broker": "BINANCE",
        "symbol": "BTCUSDT",
        "currency": "USDT",
        "quantity": Decimal("0.0025"),
        "order_type": OrderType.LIMIT,
        "limit_price": Decimal(90000),
        "time_in_force": TimeInForce.GTC,
        "reference_price": None,
        "asset_class": None,
        "tick_size": None,
    }
    fields.update(overrides)
    return an_order(**fields)


def an_instrument(symbol: str = "AAPL", **overrides: Any) -> Instrument:
    fields: dict[str, Any] = {
        "symbol": symbol,
        "asset_class": AssetClass.STOCK,
        "currency": "USD",
        "tick_size": Decimal("0.01"),
        "lot_size": Decimal(1),
        "updated_at": CREATED,
        "margin_rate": Decimal("0.25"),
    }
    fields.update(overrides)
    return Instrument(**fields)


def an_account(**overrides: Any) -> AccountState:
    fields: dict[str, Any] = {
        "account": "IBKR_Main",
        "broker": "IB",
        "base_currency": "USD",
        "equity": Decimal(100_000),
        "cash": Decimal(100_000),
        "margin_used": Decimal(0),
        "updated_at": NOW,
    }
    fields.update(overrides)
    return AccountState(**fields)


def a_position(quantity: str, **overrides: Any) -> StrategyPosition:
    fields: dict[str, Any] = {
        "account": "IBKR_Main",
        "strategy_id": "momentum",
        "symbol": "AAPL",
        "quantity": Decimal(quantity),
        "updated_at": NOW,
    }
    fields.update(overrides)
    return StrategyPosition(**fields)


def an_allocation(percent: str = "10", strategy_id: str = "momentum") -> Allocation:
    return Allocation(
        allocation_id="ALLOC_20261101_000000",
        allocations={strategy_id: Decimal(percent)},
        status=AllocationStatus.ACTIVE,
        created_at=CREATED,
        activated_at=CREATED,
    )


def an_activation(allocation: Allocation, sequence: int = 1) -> Activation:
    return Activation(
        sequence=sequence,
        allocation_id=allocation.allocation_id,
        allocations=allocation.allocations,
        activated_at=allocation.activated_at or CREATED,
        approved_by="test",
    )


def decision_inputs(
    *,
    position: StrategyPosition | None = None,
    allocation: Allocation | str | None = "default",
    fx: FxRate | None = None,
    strategy_pnl_today: Decimal | None = None,
    **overrides: Any,
) -> DecisionInputs:
    """Inputs where a plain entry is approved: 10% of 100,000 USD, no position, no quote.

    ``position``, ``allocation`` (``None``: no ACTIVE allocation), ``fx`` and
    ``strategy_pnl_today`` are shorthands for the facts a store returns (the strategy's
    positions, the newest activation, the FX rates).
    """
    positions = [position] if position is not None else []
    if strategy_pnl_today is not None:
        positions.append(
            a_position("0", symbol="OTHER", pnl_today=strategy_pnl_today, pnl_date=NOW.date())
        )
    chosen = an_allocation() if allocation == "default" else allocation
    fields: dict[str, Any] = {
        "strategy": a_strategy("momentum", account="IBKR_Main", risk_limits=RiskLimits()),
        "account": an_account(),
        "instrument": an_instrument(),
        "activation": an_activation(chosen) if isinstance(chosen, Allocation) else None,
        "positions": tuple(positions),
        "fx_rates": (fx,) if fx is not None else (),
    }
    fields.update(overrides)
    return DecisionInputs(**fields)


def write_backtest(
    directory: Path, strategy_id: str, mean: float, seed: int, days: int = 400
) -> Path:
    """A backtest CSV (date, return, trades) of fat-tailed daily returns around ``mean``."""
    generator = np.random.default_rng(seed)
    dates = np.busday_offset("2024-06-03", np.arange(days), roll="forward")
    returns = mean + 0.01 * generator.standard_t(5, days) / np.sqrt(5 / 3)
    rows = "\n".join(f"{d},{r:.8f},1" for d, r in zip(dates, returns, strict=True))
    path = directory / f"{strategy_id}.csv"
    path.write_text(f"date,return,trades\n{rows}\n")
    return path
