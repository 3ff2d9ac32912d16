"""Accounting: positions, FIFO lots, FX, valuation and the read models the dashboard shows."""

from mats.domain.accounting.positions import (
    AccountState,
    LedgerFill,
    StrategyPosition,
    apply_fill,
    position_id,
)

__all__ = ["AccountState", "LedgerFill", "StrategyPosition", "apply_fill", "position_id"]
