"""Senders and clients for admins: who may post webhooks (as ``mats senders``) and who invests
(as ``mats clients``), with their deposits and withdrawals.

A sender's secret is in the answer that issues it (creation, rotation) and nowhere else: not in
the audit log, not in a log line, not in any later read — a lost answer means a rotation. Money
flows are keyed by the caller's ``request_id``: the same request sent again (a retry after a lost
answer, a double click) answers the flow the first one booked and books nothing, so a deposit is
booked once however often it is sent; another request id is another flow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Any

from mats.api.handlers.call import Call, Reply
from mats.codec import from_primitive, to_primitive
from mats.domain.senders import DEFAULT_RATE_LIMIT_PER_MINUTE, SenderStatus, public_sender
from mats.errors import NotFoundError, ValidationError
from mats.services.registry import IssuedSecret

# The service names a sender's settings as the CLI's options; the API as the record's fields.
_SENDER_FIELDS = {
    "ip_allow": "ip_allowlist",
    "max_lag": "max_lag_seconds",
    "rate_limit": "rate_limit_per_minute",
    "grace": "grace_seconds",
}


def list_senders(call: Call) -> Reply:
    found = sorted(call.services.senders.list(), key=lambda sender: sender.sender_id)
    return {"items": to_primitive([public_sender(sender) for sender in found])}


def create_sender(call: Call) -> Reply:
    body = call.body
    with _named_as_in_the_body():
        issued = call.services.senders.create(
            body["name"],
            ip_allowlist=_addresses(body.get("ip_allowlist", [])),
            max_lag_seconds=body.get("max_lag_seconds"),
            rate_limit_per_minute=body.get("rate_limit_per_minute", DEFAULT_RATE_LIMIT_PER_MINUTE),
        )
    call.audit("create_sender", issued.sender.sender_id, None, public_sender(issued.sender))
    return _issued(issued), 201


def rotate_sender_secret(call: Call) -> Reply:
    senders = call.services.senders
    before = senders.get(call.params["sender_id"])
    with _named_as_in_the_body():
        issued = senders.rotate(before.sender_id, grace_seconds=call.body.get("grace_seconds", 0))
    after = public_sender(issued.sender)
    call.audit("rotate_sender_secret", before.sender_id, public_sender(before), after)
    return _issued(issued)


def disable_sender(call: Call) -> Reply:
    return _set_status(call, SenderStatus.DISABLED)


def enable_sender(call: Call) -> Reply:
    return _set_status(call, SenderStatus.ACTIVE)


def _set_status(call: Call, status: SenderStatus) -> Reply:
    senders = call.services.senders
    before = public_sender(senders.get(call.params["sender_id"]))
    after = public_sender(senders.update(before["sender_id"], status=status))
    operation = "disable_sender" if status is SenderStatus.DISABLED else "enable_sender"
    call.audit(operation, before["sender_id"], before, after)
    return to_primitive(after)


def _issued(issued: IssuedSecret) -> dict[str, Any]:
    return {"sender": to_primitive(public_sender(issued.sender)), "secret": issued.secret}


def _addresses(value: list[Any]) -> tuple[str, ...]:
    for index, address in enumerate(value):
        if not isinstance(address, str) or not address.strip():
            raise ValidationError(f"ip_allowlist[{index}]", "must be an IP address or CIDR")
    return tuple(value)


@contextmanager
def _named_as_in_the_body() -> Iterator[None]:
    try:
        yield
    except ValidationError as error:
        if error.field not in _SENDER_FIELDS:
            raise
        raise ValidationError(_SENDER_FIELDS[error.field], error.message) from None


def create_client(call: Call) -> Reply:
    body = call.body
    client = call.services.accounting.investors.create_client(
        body["client_id"], body["name"], email=body.get("email")
    )
    call.audit("create_client", client.client_id, None, client)
    return to_primitive(client), 201


def record_deposit(call: Call) -> Reply:
    investors = call.services.accounting.investors
    client_id = _client(call)
    body = call.body
    booked = investors.deposit(
        client_id,
        body["amount"],  # A decimal string (the contract's pattern); the accounting parses it.
        on=_day(body),
        request_id=body["request_id"],
    )
    if booked.new:
        call.audit("record_deposit", client_id, None, booked.flow)
    return to_primitive(booked.flow), 201


def record_withdrawal(call: Call) -> Reply:
    investors = call.services.accounting.investors
    client_id = _client(call)
    body = call.body
    booked = investors.withdraw(
        client_id,
        amount=body.get("amount"),
        units=body.get("units"),
        on=_day(body),
        request_id=body["request_id"],
    )
    if booked.new:
        call.audit("record_withdrawal", client_id, None, booked.flow)
    return to_primitive(booked.flow), 201


def _client(call: Call) -> str:
    client_id: str = call.params["client_id"]
    if call.services.accounting.investors.find(client_id) is None:
        raise NotFoundError(f"no client {client_id!r}")
    return client_id


def _day(body: Mapping[str, Any]) -> date | None:
    given = body.get("date")
    return None if given is None else from_primitive(date, given, "date")


HANDLERS: dict[str, Callable[[Call], Any]] = {
    "list_senders": list_senders,
    "create_sender": create_sender,
    "rotate_sender_secret": rotate_sender_secret,
    "disable_sender": disable_sender,
    "enable_sender": enable_sender,
    "create_client": create_client,
    "record_deposit": record_deposit,
    "record_withdrawal": record_withdrawal,
}
