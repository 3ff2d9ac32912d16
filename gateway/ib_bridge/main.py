"""IB bridge: the one always-on service that executes ``orders`` and reports what happened.

Run (Cloud Run's container command, and the local stack's):
``gunicorn --workers 1 --threads 8 --timeout 0 --bind :$PORT 'main:create_app()'`` from this
folder. One worker only: the bridge holds the single broker connection and is the single writer
of orders, fills and positions (Cloud Run: min = max = 1 instance, CPU always allocated).

Authentication: when ``MATS_OIDC_AUDIENCE`` is set, every route but the health checks needs a
Google OIDC token for that audience (Pub/Sub push signs its requests; admins use
``gcloud auth print-identity-token``), from ``MATS_OIDC_ALLOWED_EMAILS`` when that is set.

Routes:
- ``POST /pubsub/orders``: Pub/Sub push of one ``mats.order.v1``. 200 once the order is placed,
  refused or known (any number of deliveries place it once); 503 while its venue is not taking
  orders or the store is down (Pub/Sub delivers again with backoff); 400 for a body that is not
  an order (Pub/Sub dead-letters it after its retries, where it is kept).
- ``GET /healthz``: the process is up. ``GET /readyz``: 200 when every live venue is connected
  and taking orders, else 503 with the reasons.
- ``GET /admin/status``: venues, sessions, background jobs, the last reconciliation.
- ``POST /admin/reconcile`` ``{"account": "IBKR_Main"}`` (optional): reconcile now; answers
  with each account's lines and what was booked to Discretionary.
- ``POST /admin/orders/<order_id>/cancel`` ``{"by": "who asked"}`` (optional; default the
  authenticated caller): cancel at the venue and stop retrying.
"""

from __future__ import annotations

import atexit
import base64
import binascii
import logging
from typing import Any

import flask

from mats.adapters.oidc import Unauthenticated, verify_request
from mats.bootstrap import instance_services
from mats.codec import to_primitive
from mats.contracts import ContractError, decode_as
from mats.domain.orders import Order
from mats.errors import NotFoundError, PermanentError, TemporaryError
from mats.services.bridge import Bridge

log = logging.getLogger("mats.gateway.ib_bridge")
OPEN = frozenset({"/healthz", "/readyz"})


routes = flask.Blueprint("bridge", __name__)


def create_app() -> flask.Flask:
    """Build the bridge, start its venue sessions and background jobs, and serve it."""
    services = instance_services()
    bridge = services.bridge
    bridge.start()
    atexit.register(bridge.stop)
    app = flask.Flask("ib_bridge")
    app.extensions["mats.bridge"] = bridge
    app.extensions["mats.oidc"] = services.settings.oidc
    app.register_blueprint(routes)
    for error_type, status, label in (
        (TemporaryError, 503, "unavailable"),
        (NotFoundError, 404, "not_found"),
        (PermanentError, 422, "invalid"),
    ):
        app.register_error_handler(error_type, _answer(status, label))
    return app


def _bridge() -> Bridge:
    bridge: Bridge = flask.current_app.extensions["mats.bridge"]
    return bridge


def _answer(status: int, label: str) -> Any:
    def handler(error: Exception) -> Any:
        return {"status": label, "error": str(error)}, status

    return handler


@routes.before_request
def authenticate() -> Any:
    if flask.request.path in OPEN:
        return None
    try:
        claims = verify_request(flask.request.headers, flask.current_app.extensions["mats.oidc"])
    except Unauthenticated as error:
        log.warning("bridge request refused", extra={"reason": str(error)})
        return {"status": "unauthorized", "error": "authentication failed"}, 401
    flask.g.caller = claims.get("email") or "operator"
    return None


@routes.post("/pubsub/orders")
def orders() -> Any:
    order = _pushed_order(flask.request.get_json(silent=True))
    if isinstance(order, str):
        log.error("order message rejected", extra={"error": order})
        return {"status": "invalid", "error": order}, 400
    record = _bridge().handle_order(order)
    return {"order_id": record.order_id, "state": record.state.value}, 200


@routes.get("/healthz")
def healthz() -> Any:
    return {"status": "ok"}, 200


@routes.get("/readyz")
def readyz() -> Any:
    ready, problems = _bridge().ready()
    return {"ready": ready, "problems": problems}, 200 if ready else 503


@routes.get("/admin/status")
def status() -> Any:
    return to_primitive(_bridge().status()), 200


@routes.post("/admin/reconcile")
def reconcile() -> Any:
    body = flask.request.get_json(silent=True) or {}
    account = body.get("account") if isinstance(body, dict) else None
    if account is not None and not isinstance(account, str):
        return {"status": "invalid", "field": "account", "error": "expected a string"}, 400
    return {"accounts": to_primitive(_bridge().reconcile(account))}, 200


@routes.post("/admin/orders/<order_id>/cancel")
def cancel(order_id: str) -> Any:
    body = flask.request.get_json(silent=True) or {}
    asked_by = body.get("by") if isinstance(body, dict) else None
    if asked_by is not None and (not isinstance(asked_by, str) or not 0 < len(asked_by) <= 200):
        return {"status": "invalid", "field": "by", "error": "expected a name (1-200)"}, 400
    # The dashboard names its signed-in admin; the caller itself was authenticated above.
    record = _bridge().cancel(order_id, by=asked_by or flask.g.caller)
    return to_primitive(record), 200


def _pushed_order(body: Any) -> Order | str:
    """The order in a Pub/Sub push body, or what is wrong with the body."""
    try:
        data = base64.b64decode(body["message"]["data"], validate=True)
    except (KeyError, TypeError, binascii.Error):
        return "expected a Pub/Sub push body with message.data (base64)"
    try:
        return decode_as(data, Order)
    except ContractError as error:
        return f"not a MATS order: {error}"
