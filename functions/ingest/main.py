"""Ingest: the HTTPS webhook where signal senders post their alerts.

Trigger: HTTPS, public (TradingView and other senders post here).

Routes:
- ``POST /webhook/{sender_id}/{secret}``: the secret in the path (TradingView cannot set headers).
- ``POST /webhook/{sender_id}``: the secret in the body (``"secret"``) or an ``X-Signature``
  header, ``sha256=<hex HMAC-SHA256 of the raw body>`` (see README "Signing requests").
- ``POST /webhook``: ``sender_id`` and ``secret`` both in the body.
- ``?strategy=ID`` names the strategy when the body does not.
- ``GET /healthz``: liveness.

Answers (JSON, always, even for paths and methods that do not exist): 202 accepted with
``signal_id``; 200 for a repeat of an alert already received, with the original ``signal_id``;
400/422 naming the bad field (hostile bodies included: the limits are in
``mats.domain.signals.payload``); 401 for any authentication failure (unknown sender, wrong secret,
address not allowed: all look alike); 413 for a body over the size limit; 415 for a content
type that cannot hold a JSON alert; 429 with ``Retry-After``; 503 when the store is unavailable
(nothing was kept, the sender may retry); 500 only for a fault of our own, logged without the
request.

Logs never hold a path secret, a signature or a body secret: the redaction is installed before
the first request is served (``mats.logs``).

Side effects: ``signals/{signal_id}`` and ``signal_keys/{business_key}`` in Firestore, then one
``mats.signal.v1`` message on ``signals``. Google never retries HTTP functions, and TradingView
never retries a webhook, so the signal is stored before it is published and before the answer;
a failed publish leaves it PENDING for ``mats signals publish-pending``.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

import flask
import functions_framework
from werkzeug.exceptions import HTTPException

from mats.bootstrap import instance_services
from mats.errors import TemporaryError
from mats.logs import install_redaction
from mats.services.ingest import IngestResult, Outcome, WebhookRequest

install_redaction()  # At import, before the framework serves (or logs) a single request.
log = logging.getLogger("mats.functions.ingest")
# TradingView posts JSON messages as application/json and any other message as text/plain;
# curl -d and many HTTP libraries label a body form-encoded unless told otherwise. The body is
# parsed as JSON whatever its label; other types (multipart, XML, binary) are refused up front.
_CONTENT_TYPES = frozenset(
    {"application/json", "text/plain", "application/x-www-form-urlencoded", ""}
)

_STATUS = {
    Outcome.ACCEPTED: 202,
    Outcome.DUPLICATE: 200,
    Outcome.REJECTED: 422,
    Outcome.INVALID: 422,
    Outcome.UNAUTHORIZED: 401,
    Outcome.RATE_LIMITED: 429,
}


@functions_framework.http
def ingest(request: flask.Request) -> flask.typing.ResponseReturnValue:
    """Route one HTTP request; answer JSON whatever happens."""
    try:
        return _route(request)
    except Exception as error:
        # The last resort. Neither the message nor the request is logged: either may hold the
        # sender's secret; the type and the place are enough to find the fault.
        frames = traceback.extract_tb(error.__traceback__)
        log.error(
            "ingest failed unexpectedly",
            extra={
                "error_type": type(error).__name__,
                "where": [f"{frame.filename}:{frame.lineno} {frame.name}" for frame in frames],
            },
        )
        return _error(500, "error", "internal error; retry, and tell the operators if it repeats")


@functions_framework.errorhandler(HTTPException)
def _framework_error(error: HTTPException) -> flask.typing.ResponseReturnValue:
    """Answer the framework's own refusals (e.g. ``/favicon.ico``) in JSON as well."""
    kind = error.name.lower().replace(" ", "_")  # "Not Found" -> "not_found", as _route says.
    return _error(error.code or 400, kind, error.description or error.name)


def _route(request: flask.Request) -> flask.typing.ResponseReturnValue:
    parts = [part for part in request.path.split("/") if part]
    if parts == ["healthz"]:
        return {"status": "ok"}, 200
    if not parts or parts[0] != "webhook" or len(parts) > 3:
        return _error(404, "not_found", "unknown path; post alerts to /webhook/{sender_id}")
    if request.method != "POST":
        return _error(405, "method_not_allowed", "alerts must be sent with POST")
    unsupported = _unsupported_content_type(request)
    if unsupported is not None:
        return _error(415, "invalid", unsupported, field="Content-Type")
    app = instance_services()
    body = _read_body(request, app.settings.ingest.max_body_bytes)
    if body is None:
        limit = app.settings.ingest.max_body_bytes
        return _error(413, "invalid", f"body is larger than {limit} bytes", field="body")
    webhook = WebhookRequest(
        body=body,
        sender_id=parts[1] if len(parts) > 1 else None,
        path_secret=parts[2] if len(parts) > 2 else None,
        signature=request.headers.get("X-Signature"),
        client_ip=_client_ip(request, app.settings.ingest.trusted_proxy_hops),
        strategy_hint=request.args.get("strategy") or None,
    )
    try:
        result = app.ingest.receive(webhook)
    except TemporaryError as error:
        log.error("webhook not recorded: store unavailable", extra={"error": str(error)})
        return _error(503, "unavailable", "temporarily unable to record the signal; retry")
    return _answer(result)


def _unsupported_content_type(request: flask.Request) -> str | None:
    mimetype = request.mimetype
    charset = request.mimetype_params.get("charset", "utf-8").strip().lower()
    if (mimetype in _CONTENT_TYPES or mimetype.endswith("+json")) and charset == "utf-8":
        return None
    return "send the alert as JSON with Content-Type: application/json (UTF-8)"


def _read_body(request: flask.Request, limit: int) -> bytes | None:
    if request.content_length is not None and request.content_length > limit:
        return None
    body = request.stream.read(limit + 1)
    return None if len(body) > limit else body


def _client_ip(request: flask.Request, trusted_hops: int) -> str | None:
    """Return the caller's address: the socket peer, or the entry our own proxies appended."""
    if trusted_hops == 0:
        return request.remote_addr
    forwarded = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",")]
    forwarded = [hop for hop in forwarded if hop]
    return forwarded[-trusted_hops] if len(forwarded) >= trusted_hops else None


def _answer(result: IngestResult) -> tuple[dict[str, Any], int, dict[str, str]]:
    status = _STATUS[result.outcome]
    if result.outcome is Outcome.INVALID and result.field in ("body", "X-Signature"):
        status = 400
    body: dict[str, Any] = {"status": result.outcome.value}
    if result.signal_id is not None:
        body["signal_id"] = result.signal_id
    if result.outcome is Outcome.DUPLICATE and result.status is not None:
        body["signal_status"] = result.status.value
    if result.reason is not None:
        body["reason"] = result.reason
    if result.detail is not None:
        body["error"] = result.detail
    if result.field is not None:
        body["field"] = result.field
    if result.published is not None:
        body["published"] = result.published
    if result.tags:
        body["tags"] = list(result.tags)
    headers = {}
    if result.retry_after_seconds is not None:
        seconds = max(1, round(result.retry_after_seconds + 0.5))
        body["retry_after_seconds"] = seconds
        headers["Retry-After"] = str(seconds)
        body.setdefault("error", "too many requests")
    return body, status, headers


def _error(
    status: int, kind: str, message: str, *, field: str | None = None
) -> tuple[dict[str, Any], int]:
    body: dict[str, Any] = {"status": kind, "error": message}
    if field is not None:
        body["field"] = field
    return body, status
