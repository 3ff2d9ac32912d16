"""Serve one ``/api`` request: CORS, the contract's route, sign-in, role and scope, then the
handler — and every refusal as a JSON ``{"error", "field"?}`` that changed nothing.

In order: an unknown route is 404 and a wrong method 405 (for anyone: the routes are public in
``/api/openapi.json``); a missing or bad token 401; a role the route does not take 403 — except
on a route about one client or sender (``x-mats-scope``), where anything but the caller's own is
404, as an unknown one is, so ids cannot be probed; then bad parameters or body 400/422; then the
handler, whose errors map as everywhere else (not found 404, conflict 409, invalid 422, store
unavailable 503).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import flask

from mats.api.contract import (
    MethodNotAllowedError,
    Operation,
    UnknownRouteError,
    match,
    read_parameters,
)
from mats.api.contract import check as check_schema
from mats.api.handlers import HANDLERS, Call, Reply
from mats.bootstrap import Services, instance_services
from mats.errors import (
    ConflictError,
    Forbidden,
    MatsError,
    NotFoundError,
    TemporaryError,
    Unauthenticated,
    ValidationError,
)

log = logging.getLogger("mats.api")

MAX_BODY_BYTES = 64 * 1024
_CORS_HEADERS = "Authorization, Content-Type"


def serve_api(request: flask.Request, services: Services | None = None) -> flask.Response:
    app = services or instance_services()
    origin = request.headers.get("Origin")
    allowed = origin is not None and origin in app.settings.api.allowed_origins
    if request.method == "OPTIONS":
        response = _preflight(request, allowed)
    else:
        response = _answer(request, app)
    if allowed and origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _preflight(request: flask.Request, allowed: bool) -> flask.Response:
    if not allowed:
        return _error(403, "this origin may not call the API")
    try:
        match(request.headers.get("Access-Control-Request-Method", "GET"), request.path)
    except (UnknownRouteError, MethodNotAllowedError):
        return _error(404, f"no route {request.path}")
    response = flask.Response(status=204)
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, DELETE"
    response.headers["Access-Control-Allow-Headers"] = _CORS_HEADERS
    response.headers["Access-Control-Max-Age"] = "600"
    return response


def _answer(request: flask.Request, app: Services) -> flask.Response:
    try:
        operation, path_values = match(request.method, request.path)
    except UnknownRouteError:
        return _error(404, f"no route {request.path}")
    except MethodNotAllowedError as error:
        response = _error(405, f"{request.method} is not a method of {request.path}")
        response.headers["Allow"] = ", ".join(error.allowed)
        return response
    try:
        call = _call(request, app, operation, path_values)
        reply = HANDLERS[operation.operation_id](call)
    except (MatsError, _NotYours) as error:
        return _refusal(request, error)
    except Exception:
        # A fault of ours: logged with its traceback and the operation (never a header or the
        # body), and answered as JSON like every other answer, never as Flask's HTML page.
        log.exception("api request failed", extra={"operation": operation.operation_id})
        return _error(500, "the server failed to answer; it is logged")
    return _json(reply)


def _refusal(request: flask.Request, error: Exception) -> flask.Response:
    """The answer to a refused request (nothing was changed by it)."""
    if isinstance(error, Unauthenticated):
        log.warning("api request refused", extra={"path": request.path, "reason": str(error)})
        response = _error(401, "sign in: the token is missing, invalid or expired")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    if isinstance(error, ValidationError):
        status = 400 if error.field == "body" else 422
        return _error(status, error.message, field=error.field)
    if isinstance(error, TemporaryError):
        log.error("api request failed; retry", extra={"path": request.path, "error": str(error)})
        return _error(503, "the store is unavailable for now; retry")
    if isinstance(error, _NotYours):
        return _error(404, "not found")
    if isinstance(error, ConflictError):
        return _error(409, str(error), field=error.field)
    for kind, status in ((Forbidden, 403), (NotFoundError, 404)):
        if isinstance(error, kind):
            return _error(status, str(error))
    return _error(422, str(error))


class _NotYours(Exception):  # noqa: N818 - an outcome (404), not an error of the caller's making.
    """Another client's or sender's record: answered as an unknown one."""


def _call(
    request: flask.Request, app: Services, operation: Operation, path_values: dict[str, str]
) -> Call:
    principal = None
    if not operation.public:
        principal = app.authenticator.authenticate(request.headers.get("Authorization"))
        if operation.scope is not None and principal.role.value != "admin":
            if not principal.owns(operation.scope, path_values[operation.scope]):
                raise _NotYours
        elif principal.role.value not in operation.roles:
            raise Forbidden(f"this is for {' and '.join(sorted(operation.roles))} users only")
    query = {name: request.args.getlist(name) for name in request.args}
    params = read_parameters(operation, path_values, query)
    return Call(app, principal, params, _body(request, operation))


def _body(request: flask.Request, operation: Operation) -> dict[str, Any]:
    raw = request.get_data(cache=False)
    if operation.body is None:
        if raw.strip():
            raise ValidationError("body", "this route takes no body")
        return {}
    if len(raw) > MAX_BODY_BYTES:
        raise ValidationError("body", f"is larger than {MAX_BODY_BYTES} bytes")
    if not raw.strip():
        if operation.body_required:
            raise ValidationError("body", "is required: a JSON object")
        check_schema({}, operation.body, "body")
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("body", "is not valid JSON") from None
    if not isinstance(body, dict):
        raise ValidationError("body", "must be a JSON object")
    check_schema(body, operation.body, "body")
    return body


def _json(reply: Reply) -> flask.Response:
    payload, status = reply if isinstance(reply, tuple) else (reply, 200)
    return flask.Response(
        json.dumps(payload, separators=(",", ":")), status=status, mimetype="application/json"
    )


def _error(status: int, message: str, *, field: str | None = None) -> flask.Response:
    body: dict[str, Any] = {"error": message}
    if field is not None:
        body["field"] = field
    return _json((body, status))
