"""The people's pages: a client's capital and returns, a sender's P&L, fees and signals, and
``/api/me``, which is whichever of them the signed-in user is.

A client sees nothing about trades: units, value, flows and the fund's time-weighted returns.
A sender sees the P&L of the lots their signals opened, their fees and payouts, the execution
quality of their orders and how Cerebro sized each of their signals — never another sender's or
the fund's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mats.api.handlers import activity
from mats.api.handlers.call import Call, Reply, page
from mats.api.handlers.payouts import shown_payout
from mats.api.identity import Role
from mats.bootstrap import Services
from mats.codec import to_primitive
from mats.errors import NotFoundError


def me(call: Call) -> Reply:
    user = call.user
    answer: dict[str, Any] = {
        "uid": user.uid,
        "email": user.email,
        "role": user.role.value,
        "client_id": user.client_id,
        "sender_id": user.sender_id,
        "client": None,
        "sender": None,
    }
    if user.role is Role.CLIENT and user.client_id is not None:
        answer["client"] = client_page(call.services, user.client_id)
    if user.role is Role.SENDER and user.sender_id is not None:
        answer["sender"] = sender_page(call.services, user.sender_id)
    return answer


def list_clients(call: Call) -> Reply:
    return {"items": to_primitive(call.services.accounting.client_views())}


def get_client(call: Call) -> Reply:
    return client_page(call.services, call.params["client_id"])


def get_sender(call: Call) -> Reply:
    return sender_page(call.services, call.params["sender_id"])


def sender_signals(call: Call) -> Reply:
    sender_id = call.params["sender_id"]
    _sender(call.services, sender_id)
    return activity.sender_signals(
        call.services, sender_id, limit=call.params["limit"], after=call.params.get("cursor")
    )


def sender_payouts(call: Call) -> Reply:
    sender_id = call.params["sender_id"]
    _sender(call.services, sender_id)
    items, following = call.services.accounting.payouts.page(
        sender_id=sender_id, limit=call.params["limit"], after=call.params.get("cursor")
    )
    return page([shown_payout(item) for item in items], following)


def client_page(services: Services, client_id: str) -> dict[str, Any]:
    accounting = services.accounting
    if accounting.investors.find(client_id) is None:
        raise NotFoundError(f"no client {client_id!r}")
    view = accounting.investors.current_view(client_id)  # With the flows since the strike.
    return {"client": to_primitive(view), "returns": to_primitive(accounting.returns())}


def sender_page(services: Services, sender_id: str) -> dict[str, Any]:
    sender = _sender(services, sender_id)
    accounting = services.accounting
    return {
        "sender_id": sender_id,
        "name": sender.name,
        "view": to_primitive(accounting.sender_view(sender_id)),
        "shortfall": to_primitive(accounting.quality.summary("sender", sender_id)),
    }


def _sender(services: Services, sender_id: str) -> Any:
    sender = services.sender_store.get(sender_id)
    if sender is None:
        raise NotFoundError(f"no sender {sender_id!r}")
    return sender


HANDLERS: dict[str, Callable[[Call], Any]] = {
    "me": me,
    "list_clients": list_clients,
    "get_client": get_client,
    "get_sender": get_sender,
    "sender_signals": sender_signals,
    "sender_payouts": sender_payouts,
}
