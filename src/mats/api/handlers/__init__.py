"""Each operation of the contract (``openapi/``) and the function that answers it, by area.

A handler gets a :class:`Call` (the instance's services, the signed-in principal, the checked
parameters and body) and returns the JSON payload, or ``(payload, status)``. Reads come from the
accounting's read models and bounded queries; writes by admins are recorded in the audit log.
"""

from __future__ import annotations

from collections.abc import Callable

from mats.api.handlers import (
    activity,
    directory,
    execution,
    fund,
    optimization,
    payouts,
    people,
    portfolio,
    risk,
    schedule,
    strategies,
    system,
    users,
)
from mats.api.handlers.call import Call, Reply

HANDLERS: dict[str, Callable[[Call], Reply]] = {
    **fund.HANDLERS,
    **people.HANDLERS,
    **portfolio.HANDLERS,
    **system.HANDLERS,
    **strategies.HANDLERS,
    **optimization.HANDLERS,
    **schedule.HANDLERS,
    **risk.HANDLERS,
    **execution.HANDLERS,
    **directory.HANDLERS,
    **users.HANDLERS,
    **payouts.HANDLERS,
    **activity.HANDLERS,
}

__all__ = ["HANDLERS", "Call", "Reply"]
