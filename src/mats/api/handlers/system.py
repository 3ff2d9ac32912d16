"""The system for admins: health, alerts, the audit log — and the contract itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mats.api.contract import document
from mats.api.handlers.call import Call, Reply, page
from mats.codec import to_primitive
from mats.errors import PermanentError, TemporaryError


def openapi(call: Call) -> Reply:
    return document()


def health(call: Call) -> Reply:
    """The accounting's health view (null before its first refresh) with what the platform
    reports now: every process and every subscription's backlog. A platform that cannot be
    asked leaves those two null and says why in ``platform_error``; the rest still answers."""
    view = call.services.accounting.health()
    if view is None:
        return None
    answer: dict[str, Any] = to_primitive(view)
    answer.update(processes=None, backlog=None, platform_error=None)
    try:
        probe = call.services.pipeline_probe
        answer["processes"] = to_primitive(probe.processes())
        answer["backlog"] = to_primitive(probe.backlog())
    except (TemporaryError, PermanentError) as error:
        answer["platform_error"] = str(error)
    return answer


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
