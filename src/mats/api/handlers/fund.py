"""The fund's figures for admins: summary, P&L, NAV history and returns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mats.api.handlers.call import Call, Reply
from mats.codec import to_primitive


def fund(call: Call) -> Reply:
    return to_primitive(call.services.accounting.summary())


def pnl(call: Call) -> Reply:
    return {"items": to_primitive(call.services.accounting.pnl(call.params["by"]))}


def nav_history(call: Call) -> Reply:
    accounting = call.services.accounting
    year = call.params.get("year") or call.services.clock.now().year
    return to_primitive(accounting.nav_history(year))


def nav_returns(call: Call) -> Reply:
    accounting = call.services.accounting
    year = call.params.get("year")
    found = accounting.returns() if year is None else accounting.returns_of(year)
    return to_primitive(found)


HANDLERS: dict[str, Callable[[Call], Any]] = {
    "fund": fund,
    "pnl": pnl,
    "nav_history": nav_history,
    "nav_returns": nav_returns,
}
