"""The bridge's operator actions for admins, asked of the bridge itself (it holds the venues):
cancel an order, as ``mats orders cancel``, and reconcile now, as ``mats reconcile``.

An order that is already final (filled, cancelled, rejected, expired), or that turns out to have
ended at the venue before the cancel reached it, is not cancelled: 409.
A cancel is recorded on the order as the signed-in admin's and in the audit log; a reconciliation
in the audit log when it booked a residual to ``Discretionary``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mats.api.handlers.call import Call, Reply
from mats.codec import to_primitive
from mats.domain.execution.states import OrderState
from mats.errors import ConflictError, NotFoundError


def cancel_order(call: Call) -> Reply:
    services = call.services
    order_id = call.params["order_id"]
    before = services.execution_store.order(order_id)
    if before is None:
        raise NotFoundError(f"no order {order_id!r}")
    if before.state.ended:
        raise ConflictError(f"order {order_id} is already {before.state.value}; nothing to cancel")
    after = services.bridge_control.cancel_order(order_id, by=call.user.label)
    if after.state is not OrderState.CANCELLED:
        # It ended at the venue (filled, say) before the cancel reached it: nothing was cancelled.
        raise ConflictError(f"order {order_id} ended {after.state.value}; nothing to cancel")
    call.audit("cancel_order", order_id, before, after)
    return to_primitive(after)


def reconcile(call: Call) -> Reply:
    services = call.services
    account = call.body.get("account")
    if account is not None:
        services.strategies.require_known_account(account)
    reports = services.bridge_control.reconcile(account)
    for report in reports:
        booked = set(report.get("booked") or ())
        if booked:
            lines = [line for line in report["lines"] if line["symbol"] in booked]
            call.audit(
                "reconcile",
                report["account"],
                {line["symbol"]: line["discretionary_before"] for line in lines},
                {line["symbol"]: line["residual"] for line in lines},
            )
    return {"accounts": reports}


HANDLERS: dict[str, Callable[[Call], Any]] = {
    "cancel_order": cancel_order,
    "reconcile": reconcile,
}
