"""The strategy registry's records (`strategy_configurations`) and their validation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from mats.domain.trading import TradingMode
from mats.errors import ValidationError

STRATEGY_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
ACCOUNT_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


class StrategyStatus(StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    TESTING = "TESTING"


@dataclass(frozen=True)
class RiskLimits:
    """Per-strategy limits; ``None`` means not set (the fund-wide limits still apply)."""

    max_position_size: Decimal | None = None
    max_daily_loss: Decimal | None = None


@dataclass(frozen=True)
class Strategy:
    strategy_id: str
    name: str
    status: StrategyStatus
    trading_mode: TradingMode
    account: str
    created_at: datetime
    updated_at: datetime
    include_in_optimization: bool = False
    risk_limits: RiskLimits = field(default_factory=RiskLimits)
    developer_contact: str | None = None
    notes: str | None = None
    sender_ids: tuple[str, ...] = ()
    max_signal_lag_seconds: int | None = None

    def accepts_signals_from(self, sender_id: str) -> bool:
        return sender_id in self.sender_ids


@dataclass(frozen=True)
class StrategyFilter:
    status: StrategyStatus | None = None
    account: str | None = None
    search: str | None = None

    def matches(self, strategy: Strategy) -> bool:
        if self.status is not None and strategy.status is not self.status:
            return False
        if self.account is not None and strategy.account != self.account:
            return False
        if self.search:
            needle = self.search.casefold()
            haystack = " ".join(
                text
                for text in (
                    strategy.strategy_id,
                    strategy.name,
                    strategy.notes,
                    strategy.developer_contact,
                )
                if text
            ).casefold()
            return needle in haystack
        return True


def validate_account_name(account: str) -> str:
    """Accept an account name such as IBKR_Main: it is a document id and a routing key."""
    if not ACCOUNT_PATTERN.match(account):
        raise ValidationError("account", "use letters, digits, '-' or '_' (e.g. IBKR_Main)")
    return account


def validate_strategy(strategy: Strategy) -> Strategy:
    """Return the strategy unchanged or raise ``ValidationError`` naming the bad field."""
    if not STRATEGY_ID_PATTERN.match(strategy.strategy_id):
        raise ValidationError(
            "strategy_id",
            "use 1-64 letters, digits, '-' or '_', starting with a letter or digit",
        )
    if not strategy.name.strip():
        raise ValidationError("name", "must not be empty")
    validate_account_name(strategy.account)
    limits = strategy.risk_limits
    for name, value in (
        ("max_position_size", limits.max_position_size),
        ("max_daily_loss", limits.max_daily_loss),
    ):
        if value is not None and (not value.is_finite() or value <= 0):
            raise ValidationError(f"risk_limits.{name}", "must be a positive number")
    lag = strategy.max_signal_lag_seconds
    if lag is not None and lag <= 0:
        raise ValidationError("max_signal_lag_seconds", "must be a positive number of seconds")
    return strategy
