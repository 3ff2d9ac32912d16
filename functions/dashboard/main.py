"""Dashboard: the fund's accounting — fills and account updates into read models; scheduled
snapshots, NAV strikes and month-end crystallisations.

Trigger: HTTPS, private (like the optimizer: with ``MATS_OIDC_AUDIENCE`` set, every request must
carry a Google OIDC token for it — Pub/Sub push and Cloud Scheduler sign theirs). One function
serves both the Pub/Sub pushes and the Scheduler's calls, so it is an HTTP function whose push
subscriptions target its paths (a Cloud Run function has one trigger type).

Routes:
- ``POST /pubsub/fills``: push of ``mats.fill.v1`` (subscription ``dashboard-fills``): the
  execution kept once by its execution id, its ledger updated, its order's shortfall measured,
  the read models refreshed. A replay or a reordered delivery changes nothing.
- ``POST /pubsub/account-updates``: push of ``mats.account.v1``: kept once per account and
  ``as_of``; an update older than the stored one never replaces it.
- ``POST /pubsub/dead-letters``: push of whatever a dead-letter topic received (subscriptions
  ``dashboard-{topic}-dead-letter``): recorded once per message in ``dead_letters`` (source
  subscription, delivery attempts, publish times, size, and the ids of a known contract; never
  the data), counted per source subscription, alerted (CRITICAL for an order or a fill, WARNING
  otherwise; once per message) and the health view refreshed. A redelivery changes nothing; the
  ``-hold`` subscription beside it still keeps the message for replay.
- ``POST /snapshot`` (Scheduler, hourly): body ``{"at": ISO-8601}`` optional; once per hour.
- ``POST /strike`` (Scheduler, daily at ``MATS_NAV_STRIKE_AT``): body ``{"date": "YYYY-MM-DD"}``
  optional; the NAV per unit struck and the pending flows dealt, once per date.
- ``POST /month-end`` (Scheduler, the 1st): body ``{"month": "YYYY-MM"}`` (default: last month);
  every sender's fee crystallised at the month's last strike, once per month.
- ``POST /settings`` (``mats fund set``): body ``{"base_currency": "EUR", "by": NAME}``; the fund's
  settings changed by their one writer, so this instance values in the new currency at once.
- ``GET /healthz``.
- ``/api/...``: the dashboard API (``mats.api``; its contract is ``src/mats/api/openapi/``,
  served whole at ``/api/openapi.json``): Firebase ID tokens, roles and scopes checked server-side.
  Unlike the routes above it is public at the HTTP level; every route but the document itself
  needs a signed-in user.

Answers: 200 with what was done (a repeat answers with the first result); a message that breaks
its contract is logged and acknowledged (200, retrying cannot fix it); 422 names a bad field;
503 when the store is down (Pub/Sub and the Scheduler retry).
"""

from __future__ import annotations

import base64
import binascii
import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

import flask
import functions_framework

from mats.api.app import serve_api
from mats.bootstrap import Services
from mats.bootstrap.private_routes import Handler, serve
from mats.codec import from_primitive, parse_datetime, to_primitive
from mats.contracts import AccountUpdateV1, ContractError, FillV1, decode, from_message
from mats.domain.accounting import AccountState
from mats.errors import ValidationError
from mats.logs import install_redaction
from mats.services.accounting.service import AccountUpdate
from mats.services.dead_letters import parse_push

install_redaction()  # Before the framework serves (or logs) a single request.
log = logging.getLogger("mats.functions.dashboard")


@functions_framework.http
def dashboard(request: flask.Request) -> flask.typing.ResponseReturnValue:
    """Route one request: ``/api/...`` to the dashboard API, the rest to the private routes."""
    if request.path == "/api" or request.path.startswith("/api/"):
        return serve_api(request)
    return serve(request, ROUTES, log)


@functions_framework.errorhandler(404)
@functions_framework.errorhandler(405)
def refused_before_the_function(_error: Exception) -> flask.typing.ResponseReturnValue:
    """A request Flask's own routing refused before ``dashboard`` saw it (its path converter
    takes no newline, so ``/api/x/%0A`` never matches): answered as the API answers any unknown
    route, in JSON, instead of Flask's HTML page."""
    request = flask.request
    if request.path == "/api" or request.path.startswith("/api/"):
        return serve_api(request)
    return flask.jsonify(error=f"no route {request.path}"), 404


def _pushed(body: dict[str, Any], expected: type) -> tuple[str, Any] | None:
    """The message id and decoded message of a push; junk is logged (and acknowledged)."""
    try:
        message = body["message"]
        data = base64.b64decode(message["data"], validate=True)
        decoded = decode(data)
        if not isinstance(decoded, expected):
            raise ContractError(f"expected {expected.schema}, got {decoded.schema}")  # type: ignore[attr-defined]
        return str(message.get("messageId") or message.get("message_id") or ""), decoded
    except (KeyError, TypeError, AttributeError, binascii.Error, ContractError) as error:
        log.error("pushed message rejected", extra={"error": repr(error)})
        return None


def _fill(app: Services, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    pushed = _pushed(body, FillV1)
    if pushed is None:
        return {"status": "ignored"}, 200
    message_id, message = pushed
    booked = app.accounting.on_fill(from_message(message), message_id=message_id)
    return {"status": "booked" if booked else "unchanged", "execution_id": message.id}, 200


def _account(app: Services, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    pushed = _pushed(body, AccountUpdateV1)
    if pushed is None:
        return {"status": "ignored"}, 200
    message_id, message = pushed
    update = AccountUpdate(
        message_id=message_id,
        state=AccountState(
            account=message.account,
            broker=message.broker,
            base_currency=message.currency,
            equity=message.equity,
            cash=message.cash,
            margin_used=message.margin_used,
            updated_at=message.as_of,
            margin_available=message.margin_available,
            source=message.broker,
        ),
        marks=tuple(
            (p.symbol, p.mark_price) for p in message.positions if p.mark_price is not None
        ),
    )
    kept = app.accounting.on_account(update)
    return {"status": "kept" if kept else "unchanged", "account": message.account}, 200


def _dead_letter(app: Services, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    try:
        push = parse_push(body)
    except ValidationError as error:
        log.error(
            "pushed dead letter rejected", extra={"field": error.field, "error": error.message}
        )
        return {"status": "ignored", "field": error.field, "error": error.message}, 200
    letter, new = app.dead_letters.take(push)
    app.accounting.refresh_health()
    answer = {
        "status": "recorded" if new else "unchanged",
        "letter_id": letter.letter_id,
        "source_subscription": letter.source_subscription,
        "severity": str(letter.severity),
    }
    return answer, 200


def _snapshot(app: Services, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    at = parse_datetime(body["at"], "at") if body.get("at") else None
    snapshot, new = app.accounting.snapshot(at)
    return {"status": "taken" if new else "repeat", **_brief(to_primitive(snapshot))}, 200


def _strike(app: Services, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    on = from_primitive(date, body["date"], "date") if body.get("date") else None
    record, new = app.accounting.strike(on)
    return {"status": "struck" if new else "repeat", "strike": to_primitive(record)}, 200


def _month_end(app: Services, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    month = body.get("month")
    if month is None:
        first = datetime.now(UTC).date().replace(day=1)
        month = (first - timedelta(days=1)).strftime("%Y-%m")
    if not isinstance(month, str):
        raise ValidationError("month", "expected YYYY-MM")
    payouts = app.accounting.crystallise(month)
    return {"status": "crystallised", "month": month, "payouts": to_primitive(payouts)}, 200


def _settings(app: Services, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    currency, by = body.get("base_currency"), body.get("by") or "api"
    if not isinstance(currency, str):
        raise ValidationError("base_currency", "expected a currency code, e.g. USD")
    if not isinstance(by, str):
        raise ValidationError("by", "expected a name")
    stored = app.accounting.set_base_currency(currency, by=by)
    return {"status": "set", "settings": to_primitive(stored)}, 200


def _brief(snapshot: dict[str, Any]) -> dict[str, Any]:
    keys = ("snapshot_id", "at", "equity", "margin_used", "flags")
    return {"snapshot": {k: snapshot[k] for k in keys}, "positions": len(snapshot["positions"])}


ROUTES: dict[str, Handler] = {
    "/pubsub/fills": _fill,
    "/pubsub/account-updates": _account,
    "/pubsub/dead-letters": _dead_letter,
    "/snapshot": _snapshot,
    "/strike": _strike,
    "/month-end": _month_end,
    "/settings": _settings,
}
