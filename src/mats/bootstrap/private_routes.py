"""The private HTTP functions' one way to serve a route (the optimizer's and the dashboard's).

``GET /healthz`` answers ok; any other path must be one of ``routes`` and a POST, carry a Google
OIDC token when ``MATS_OIDC_AUDIENCE`` is set, and have a JSON object body (or none). The handler
gets the instance's services and the body; a temporary error is 503 (the caller retries), a bad
field 422 naming it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import flask

from mats.adapters.oidc import verify_request
from mats.bootstrap import Services, instance_services
from mats.errors import MatsError, TemporaryError, Unauthenticated, ValidationError

Handler = Callable[[Services, dict[str, Any]], tuple[dict[str, Any], int]]


def serve(
    request: flask.Request, routes: Mapping[str, Handler], log: logging.Logger
) -> flask.typing.ResponseReturnValue:
    """Route one request of a private function."""
    path = request.path.rstrip("/")
    if path == "/healthz":
        return {"status": "ok"}, 200
    handler = routes.get(path)
    if handler is None:
        return {"status": "not_found", "error": f"no route {request.path}"}, 404
    if request.method != "POST":
        return {"status": "method_not_allowed", "error": "use POST"}, 405
    app = instance_services()
    try:
        verify_request(dict(request.headers), app.settings.oidc)
    except Unauthenticated as error:
        log.warning("request refused", extra={"reason": str(error)})
        return {"status": "unauthorized", "error": "authentication failed"}, 401
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        body = {} if not request.get_data() else None
    if body is None:
        return {"status": "invalid", "field": "body", "error": "must be a JSON object"}, 400
    try:
        return handler(app, body)
    except TemporaryError as error:
        log.error("request failed; retry", extra={"error": str(error)})
        return {"status": "unavailable", "error": str(error)}, 503
    except ValidationError as error:
        return {"status": "invalid", "field": error.field, "error": error.message}, 422
    except MatsError as error:
        return {"status": "invalid", "error": str(error)}, 422
