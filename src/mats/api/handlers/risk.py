"""Trading states for admins, as ``mats risk``: the fund's and each strategy's (ACTIVE, REDUCING:
exits only, HALTED: nothing is sent), read and set. The next signal obeys a change; Cerebro checks
the state at decision time and the bridge again before any send. Setting what is already set
changes nothing and is not audited again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mats.api.handlers.call import Call, Reply
from mats.codec import to_primitive
from mats.domain.risk import RiskState


def get_risk(call: Call) -> Reply:
    return to_primitive(call.services.operations.risk_overview())


def set_fund_risk(call: Call) -> Reply:
    return _set(call, None)


def set_strategy_risk(call: Call) -> Reply:
    return _set(call, call.params["strategy_id"])


def _set(call: Call, strategy_id: str | None) -> Reply:
    operations = call.services.operations
    before = operations.risk_of(strategy_id)
    operations.set_risk(
        RiskState(call.body["state"]),
        strategy_id=strategy_id,
        reason=call.body.get("reason"),
        set_by=call.user.label,
    )
    after = operations.risk_of(strategy_id)
    call.audit("set_risk", after.scope, before, after)
    return to_primitive(after)


HANDLERS: dict[str, Callable[[Call], Any]] = {
    "get_risk": get_risk,
    "set_fund_risk": set_fund_risk,
    "set_strategy_risk": set_strategy_risk,
}
