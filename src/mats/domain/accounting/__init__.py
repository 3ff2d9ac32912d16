"""Fund accounting: the position ledger, FIFO lots, FX conversion and valuation.

``positions`` holds the per-strategy position ledger the trading flow writes; ``lots``,
``fx`` and ``valuation`` compute P&L in the base currency from the same fills.
"""

from mats.domain.accounting.positions import (
    AccountState,
    LedgerFill,
    StrategyPosition,
    apply_fill,
    position_id,
)

__all__ = ["AccountState", "LedgerFill", "StrategyPosition", "apply_fill", "position_id"]
