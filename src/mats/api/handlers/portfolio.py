"""Strategies and the capital allocation: list and read them, approve or reject a
recommendation, or set a custom allocation, as the signed-in admin (who the approval and the
audit log then name)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mats.api.handlers.call import Call, Reply, page, window
from mats.api.handlers.inputs import decimal_of
from mats.codec import to_primitive
from mats.domain.portfolio import changes
from mats.domain.strategies import StrategyFilter, StrategyStatus
from mats.errors import NotFoundError, ValidationError
from mats.services.allocations import Activated


def list_strategies(call: Call) -> Reply:
    params = call.params
    status = params.get("status")
    query = StrategyFilter(
        status=StrategyStatus(status) if status else None,
        account=params.get("account"),
        search=params.get("search"),
    )
    services = call.services
    found = services.strategies.list(query)
    mode = params.get("mode")
    chosen = sorted(
        (s for s in found if mode is None or s.trading_mode.value == mode),
        key=lambda s: s.strategy_id,
    )
    shown = window(chosen, "strategy_id", params.get("cursor"), params["limit"])
    scored = {summary.strategy_id for summary in services.backtests.list()}
    for item in shown["items"]:
        item["has_backtest"] = item["strategy_id"] in scored
    return shown


def get_strategy(call: Call) -> Reply:
    services = call.services
    strategy = services.strategies.get(call.params["strategy_id"])
    try:
        backtest = services.backtests.get(strategy.strategy_id)
    except NotFoundError:
        backtest = None
    return {"strategy": to_primitive(strategy), "backtest": to_primitive(backtest)}


def current_allocation(call: Call) -> Reply:
    """The allocation in force with each strategy's capital at the fund's current equity
    (``capital`` is null until the accounting has valued the fund)."""
    allocation = call.services.allocations.current()
    if allocation is None:
        return None
    fund = call.services.accounting.summary()
    capital = None
    if fund is not None:
        capital = {
            "base_currency": fund.base_currency,
            "equity": fund.equity,
            "by_strategy": {
                strategy_id: allocation.capital_for(strategy_id, fund.equity)
                for strategy_id in sorted(allocation.allocations)
            },
        }
    return {**to_primitive(allocation), "capital": to_primitive(capital)}


def latest_recommendation(call: Call) -> Reply:
    """The pending recommendation, each strategy's line beside the allocation in force."""
    allocations = call.services.allocations
    recommendation = allocations.recommendation()
    if recommendation is None:
        return None
    lines = changes(recommendation, allocations.current())
    return {**to_primitive(recommendation), "against_current": to_primitive(lines)}


def allocation_history(call: Call) -> Reply:
    limit = call.params["limit"]
    cursor = call.params.get("cursor")
    allocations = call.services.allocations
    if cursor is not None:
        try:
            allocations.get(cursor)
        except NotFoundError:
            raise ValidationError("cursor", "is not a cursor of this list") from None
    found = list(allocations.history(limit=limit + 1, before=cursor))
    following = found[limit - 1].allocation_id if len(found) > limit else None
    return page(found[:limit], following)


def approve_allocation(call: Call) -> Reply:
    allocations = call.services.allocations
    allocation_id = call.params["allocation_id"]
    before = allocations.get(allocation_id)
    activated = allocations.approve(
        allocation_id,
        approved_by=call.user.label,
        allow_close=bool(call.body.get("allow_close", False)),
    )
    call.audit("approve_allocation", allocation_id, before, activated.allocation)
    return _activated(activated)


def reject_allocation(call: Call) -> Reply:
    allocations = call.services.allocations
    allocation_id = call.params["allocation_id"]
    before = allocations.get(allocation_id)
    rejected = allocations.reject(
        allocation_id, rejected_by=call.user.label, reason=call.body.get("reason")
    )
    call.audit("reject_allocation", allocation_id, before, rejected)
    return to_primitive(rejected)


def set_custom_allocation(call: Call) -> Reply:
    allocations = call.services.allocations
    body = call.body
    percents = {
        strategy_id: decimal_of(percent, f"allocations.{strategy_id}")
        for strategy_id, percent in body["allocations"].items()
    }
    based_on = body.get("based_on")
    if based_on is not None:
        try:
            allocations.get(based_on)
        except NotFoundError:
            raise ValidationError("based_on", f"allocation {based_on!r} does not exist") from None
    before = allocations.current()
    try:
        activated = allocations.set_custom(
            percents,
            approved_by=call.user.label,
            notes=body.get("notes"),
            based_on=based_on,
            allow_close=body.get("allow_close", False),
            expected_current=body.get("expected_current"),
        )
    except ValidationError as error:
        if error.field not in percents:
            raise
        raise ValidationError(f"allocations.{error.field}", error.message) from None
    allocation = activated.allocation
    call.audit("set_custom_allocation", allocation.allocation_id, before, allocation)
    return _activated(activated)


def _activated(activated: Activated) -> dict[str, Any]:
    return {
        "allocation": to_primitive(activated.allocation),
        "archived": list(activated.archived),
        "closed": [dropped.strategy_id for dropped in activated.dropped],
    }


HANDLERS: dict[str, Callable[[Call], Any]] = {
    "list_strategies": list_strategies,
    "get_strategy": get_strategy,
    "current_allocation": current_allocation,
    "latest_recommendation": latest_recommendation,
    "allocation_history": allocation_history,
    "approve_allocation": approve_allocation,
    "reject_allocation": reject_allocation,
    "set_custom_allocation": set_custom_allocation,
}
