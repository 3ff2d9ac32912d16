"""Trading states, fund-wide and per strategy: ACTIVE, REDUCING (exits only), HALTED (nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

GLOBAL_SCOPE = "global"
STRATEGY_PREFIX = "strategy:"


class RiskState(StrEnum):
    ACTIVE = "ACTIVE"
    REDUCING = "REDUCING"
    HALTED = "HALTED"

    @property
    def severity(self) -> int:
        return {"ACTIVE": 0, "REDUCING": 1, "HALTED": 2}[self.value]


@dataclass(frozen=True)
class RiskSetting:
    """The state set for one scope (``global`` or ``strategy:{id}``) and why."""

    scope: str
    state: RiskState
    updated_at: datetime
    reason: str | None = None
    set_by: str | None = None


def strategy_scope(strategy_id: str) -> str:
    return f"{STRATEGY_PREFIX}{strategy_id}"


def most_restrictive(*states: RiskState) -> RiskState:
    return max(states, key=lambda state: state.severity, default=RiskState.ACTIVE)
