"""The system for admins: health, alerts, the audit log — and the contract itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mats.api.contract import document
from mats.api.handlers.call import Call, Reply, page
from mats.codec import to_primitive


def openapi(call: Call) -> Reply:
    return document()


def health(call: Call) -> Reply:
    return to_primitive(call.services.accounting.health())


def list_alerts(call: Call) -> Reply:
    found = call.services.alerts.list(
        limit=call.params["limit"], outstanding=call.params["outstanding"]
    )
    return {"items": to_primitive(found)}


def acknowledge_alert(call: Call) -> Reply:
    alerts = call.services.alerts
    acknowledged = alerts.acknowledge(call.params["alert_id"], by=call.user.label)
    call.audit("acknowledge_alert", acknowledged.alert_id, None, acknowledged)
    return to_primitive(acknowledged)


def audit_log(call: Call) -> Reply:
    entries, following = call.services.audit.page(
        limit=call.params["limit"], after=call.params.get("cursor")
    )
    return page(entries, following)


HANDLERS: dict[str, Callable[[Call], Any]] = {
    "openapi": openapi,
    "health": health,
    "list_alerts": list_alerts,
    "acknowledge_alert": acknowledge_alert,
    "audit_log": audit_log,
}
