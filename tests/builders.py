"""Builders with safe defaults, so a test shows only what matters to it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from mats.contracts import TradingMode
from mats.domain.senders import Sender, hash_secret
from mats.domain.strategies import RiskLimits, Strategy, StrategyStatus

CREATED = datetime(2026, 11, 1, tzinfo=UTC)
SECRET = "test-secret-not-real-0123456789abcdef"


def a_sender(sender_id: str = "alpha-1a2b3c", **overrides: Any) -> Sender:
    fields: dict[str, Any] = {
        "sender_id": sender_id,
        "name": "Alpha Signals",
        "secret_hash": hash_secret(SECRET),
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
