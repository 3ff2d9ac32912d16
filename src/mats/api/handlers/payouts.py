"""Senders' payouts for admins, as ``mats payouts``: what is due and what was paid, and recording
a payment. A payout is paid once: marking it paid again with its reference answers the payment
and records nothing; another reference is refused (409)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mats.api.handlers.call import Call, Reply, page
from mats.codec import to_primitive
from mats.services.accounting.payouts import Payout


def list_payouts(call: Call) -> Reply:
    params = call.params
    found, following = call.services.accounting.payouts.page(
        sender_id=params.get("sender_id"),
        status=params.get("status"),
        limit=params["limit"],
        after=params.get("cursor"),
    )
    return page([shown_payout(payout) for payout in found], following)


def mark_payout_paid(call: Call) -> Reply:
    payouts = call.services.accounting.payouts
    payout_id = call.params["payout_id"]
    before = payouts.get(payout_id)
    payment = payouts.mark_paid(payout_id, reference=call.body["reference"], by=call.user.label)
    after = shown_payout(payment.payout)
    if payment.new:
        call.audit("mark_payout_paid", payout_id, shown_payout(before) if before else None, after)
    return to_primitive(after)


def shown_payout(payout: Payout) -> dict[str, Any]:
    """A payout with its status (``DUE``, ``PAID``, ``CARRIED``, ``NO FEE``)."""
    shown: dict[str, Any] = to_primitive(payout)
    shown["status"] = payout.status
    return shown


HANDLERS: dict[str, Callable[[Call], Any]] = {
    "list_payouts": list_payouts,
    "mark_payout_paid": mark_payout_paid,
}
