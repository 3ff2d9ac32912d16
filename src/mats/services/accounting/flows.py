"""Clients' flows as records: created once, with the cash the fund holds for leaving clients
kept beside them.

A flow is created with a create-if-absent write: keyed by its time (the CLI), or by the caller's
request id (the API), so the same request sent again — also at once — finds the flow the first
created and books nothing, and a request id used for another flow is a conflict.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from decimal import Decimal

from mats.domain.funds.units import ClientFlow, FlowKind, FlowStatus
from mats.errors import ConflictError, MatsError, ValidationError
from mats.ports import Clock, RecordStore

FLOWS = "client_flows"
CASH_HELD = "cash_held"

_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


@dataclass(frozen=True)
class CashHeld:
    """Cash at the broker that belongs to a leaving client (``cash_held/{flow_id}``): kept
    beside its flow while it is held, so the fund's NAV reads the open few, not every flow."""

    flow_id: str
    client_id: str
    amount: Decimal


def held_by(flow: ClientFlow) -> Decimal:
    """What of ``flow`` the fund holds for the client: an amount withdrawal waiting to be dealt,
    a dealt withdrawal not yet sent, a refused deposit not yet returned."""
    if flow.paid_at is not None:
        return Decimal(0)
    if flow.kind is FlowKind.WITHDRAWAL and flow.status is FlowStatus.PENDING:
        return flow.amount or Decimal(0)
    if flow.kind is FlowKind.WITHDRAWAL and flow.status is FlowStatus.DEALT:
        return -(flow.amount_dealt or Decimal(0))
    if flow.kind is FlowKind.DEPOSIT and flow.status is FlowStatus.REFUSED:
        return flow.amount or Decimal(0)
    return Decimal(0)


def write_flows(records: RecordStore, flows: Sequence[ClientFlow]) -> None:
    """Write flows and keep their held cash beside them."""
    records.put_all(FLOWS, [(f.flow_id, f) for f in flows])
    held = [(f.flow_id, CashHeld(f.flow_id, f.client_id, held_by(f))) for f in flows]
    records.put_all(CASH_HELD, [(i, c) for i, c in held if c.amount])
    for flow_id, cash in held:
        if not cash.amount:
            records.delete(CASH_HELD, flow_id)


def held_for_withdrawals(records: RecordStore, at: datetime | None) -> Decimal:
    """Cash at the broker that belongs to leaving clients, now (the open few) or at a past
    moment (from the flows that could have been open then)."""
    if at is None:
        return sum((c.amount for c in records.list(CASH_HELD, CashHeld)), Decimal(0))
    candidates = [
        *records.list(FLOWS, ClientFlow, filters=[("status", "==", FlowStatus.PENDING.value)]),
        *_unpaid(records, FlowKind.WITHDRAWAL, FlowStatus.DEALT),
        *_unpaid(records, FlowKind.DEPOSIT, FlowStatus.REFUSED),
        *records.list(FLOWS, ClientFlow, filters=[("paid_at", ">", at)]),  # Paid since then.
    ]
    held = Decimal(0)
    for flow in {f.flow_id: f for f in candidates}.values():
        if flow.recorded_at <= at:
            held += held_by(replace(flow, paid_at=None))
    return held


def _unpaid(records: RecordStore, kind: FlowKind, status: FlowStatus) -> list[ClientFlow]:
    found = records.list(
        FLOWS, ClientFlow, filters=[("kind", "==", kind.value), ("status", "==", status.value)]
    )
    return [flow for flow in found if flow.paid_at is None]


@dataclass(frozen=True)
class Booked:
    """A flow as recorded, and whether this call recorded it (``False``: a repeat of its
    request, which changed nothing)."""

    flow: ClientFlow
    new: bool = True


@dataclass(frozen=True)
class FlowRequest:
    """A flow asked for, before it is recorded."""

    client_id: str
    kind: FlowKind
    amount: Decimal | None
    units: Decimal | None
    on: date | None


def request_flow_id(client_id: str, request_id: str | None) -> str | None:
    """The flow id a request keys, ``FLOW_REQ_{client}_{request}``: a request id has no ``_``,
    so no two (client, request) pairs share one, and a time-keyed id (``FLOW_{time}_{client}``)
    has a digit where this has ``R``."""
    if request_id is None:
        return None
    if not _REQUEST_ID.match(request_id):
        raise ValidationError("request_id", "use 8-64 letters, digits or '-' (a UUID, say)")
    return f"FLOW_REQ_{client_id}_{request_id}"


def record_flow(
    records: RecordStore, clock: Clock, wanted: FlowRequest, flow_id: str | None
) -> Booked:
    """Create the flow once: under its request's id when it has one (of concurrent repeats
    the first wins and the others answer with its flow), else under its time."""
    now = clock.now()
    on = wanted.on
    if on is not None and on > now.date():
        raise ValidationError("date", f"{on} is in the future; flows are recorded as they happen")
    recorded = now if on is None or on == now.date() else datetime.combine(on, time(), UTC)
    client_id = wanted.client_id
    key = flow_id or f"FLOW_{recorded:%Y%m%d_%H%M%S_%f}_{client_id}"
    flow = ClientFlow(key, client_id, wanted.kind, wanted.amount, wanted.units, recorded)
    if not records.create(FLOWS, key, flow):
        repeat = repeated_flow(records, wanted, key) if flow_id is not None else None
        if repeat is None:
            raise MatsError(f"flow {key} already exists; record it again")
        return Booked(repeat, new=False)
    write_flows(records, [flow])  # An amount withdrawal's cash is held from now.
    return Booked(flow)


def repeated_flow(records: RecordStore, wanted: FlowRequest, flow_id: str) -> ClientFlow | None:
    """The flow a request already recorded, or ``None``; a request id used for another
    flow is a conflict."""
    stored = records.get(FLOWS, flow_id, ClientFlow)
    if stored is None:
        return None
    same = (
        stored.client_id == wanted.client_id
        and stored.kind is wanted.kind
        and stored.amount == wanted.amount
        and stored.units == wanted.units
        and (wanted.on is None or stored.recorded_at.date() == wanted.on)
    )
    if not same:
        raise ConflictError(
            f"this request_id already recorded another flow, {flow_id} "
            f"({stored.kind} of {stored.amount or stored.units})",
            field="request_id",
        )
    return stored
