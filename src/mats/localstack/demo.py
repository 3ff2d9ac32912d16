"""Demo data for the local stack: a sender and strategies covering every status and mode."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from mats.contracts import TradingMode
from mats.domain.strategies import StrategyStatus
from mats.services.registry import IssuedSecret, SenderService, StrategyChanges, StrategyService

DEMO_SENDER_NAME = "Demo Signals"

DEMO_STRATEGIES = {
    "trend-es": StrategyChanges(
        name="ES Trend Follower",
        status=StrategyStatus.ACTIVE,
        trading_mode=TradingMode.LIVE,
        account="IBKR_Futures",
        include_in_optimization=True,
        max_position_size=Decimal(4),
        max_daily_loss=Decimal(5000),
        developer_contact="trend-desk@example.com",
    ),
    "meanrev-spy": StrategyChanges(
        name="SPY Mean Reversion",
        status=StrategyStatus.ACTIVE,
        trading_mode=TradingMode.PAPER,
        account="IBKR_Main",
        include_in_optimization=True,
        max_position_size=Decimal(500),
        max_daily_loss=Decimal(2500),
    ),
    "momentum-aapl": StrategyChanges(
        name="AAPL Momentum",
        status=StrategyStatus.ACTIVE,
        trading_mode=TradingMode.LIVE,
        account="IBKR_Main",
        include_in_optimization=True,
        max_position_size=Decimal(300),
    ),
    "btc-breakout": StrategyChanges(
        name="BTC Breakout",
        status=StrategyStatus.TESTING,
        trading_mode=TradingMode.PAPER,
        account="Binance_Main",
        max_position_size=Decimal("0.5"),
        notes="New strategy: signals are tagged TESTING while it proves itself.",
    ),
    "eth-carry": StrategyChanges(
        name="ETH Carry",
        status=StrategyStatus.INACTIVE,
        trading_mode=TradingMode.LIVE,
        account="Binance_Main",
        notes="Switched off: its signals are rejected at ingest.",
    ),
    "gold-swing": StrategyChanges(
        name="Gold Swing",
        status=StrategyStatus.INACTIVE,
        trading_mode=TradingMode.PAPER,
        account="IBKR_Futures",
    ),
}


def seed_demo(senders: SenderService, strategies: StrategyService) -> IssuedSecret:
    """Create the demo sender and strategies; return the sender with its one-time secret."""
    issued = senders.create(DEMO_SENDER_NAME, rate_limit_per_minute=600)
    for strategy_id, changes in DEMO_STRATEGIES.items():
        assigned = dataclasses.replace(changes, sender_ids=(issued.sender.sender_id,))
        strategies.create(strategy_id, assigned)
    return issued
