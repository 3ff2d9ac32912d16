"""The execution bridge's admin API (``gateway/ib_bridge``) over HTTP: cancel, reconcile, status.

The CLI (``mats orders cancel``, ``mats reconcile``, ``mats bridge status``) and the dashboard
API both ask the bridge through this one client. With an ``audience`` every request carries a
Google identity token for it (the bridge's ``MATS_OIDC_AUDIENCE`` on Cloud Run); the local stack
sends none. The bridge's answers become MATS errors: 404 ``NotFoundError``, 5xx or no answer
``TemporaryError``, any other refusal ``MatsError`` (``ValidationError`` when it names a field).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from mats.codec import from_primitive
from mats.domain.execution.records import OrderRecord
from mats.errors import MatsError, NotFoundError, TemporaryError, ValidationError

TIMEOUT_SECONDS = 60  # A reconciliation asks every venue for a fresh snapshot first.


class HttpBridgeControl:
    def __init__(self, base_url: str, *, audience: str | None = None) -> None:
        self._base = base_url.rstrip("/")
        self._audience = audience

    def cancel_order(self, order_id: str, *, by: str | None = None) -> OrderRecord:
        path = f"/admin/orders/{urllib.parse.quote(order_id, safe='')}/cancel"
        answer = self._request("POST", path, {"by": by} if by else {})
        return from_primitive(OrderRecord, answer, "order")

    def reconcile(self, account: str | None = None) -> list[dict[str, Any]]:
        answer = self._request("POST", "/admin/reconcile", {"account": account} if account else {})
        reports: list[dict[str, Any]] = answer["accounts"]
        return reports

    def status(self) -> dict[str, Any]:
        answer: dict[str, Any] = self._request("GET", "/admin/status")
        return answer

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        headers = {"Content-Type": "application/json"}
        if self._audience is not None:
            headers["Authorization"] = f"Bearer {_identity_token(self._audience)}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - the configured bridge URL.
            self._base + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            raise _refusal(error.code, error.read()) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise TemporaryError(f"cannot reach the bridge at {self._base}: {reason}") from None


def _refusal(status: int, raw: bytes) -> MatsError:
    try:
        answer = json.loads(raw)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        answer = {"error": raw.decode(errors="replace")}
    message = str(answer.get("error") or f"status {status}")
    if status == 404:
        return NotFoundError(message)
    if status >= 500:
        return TemporaryError(f"the bridge could not do it now: {message}")
    field = answer.get("field")
    if isinstance(field, str) and field:
        return ValidationError(field, message)
    return MatsError(f"the bridge refused: {message}")


def _identity_token(audience: str) -> str:
    # google.auth loads only where a token is sent (Cloud Run, or the CLI against a project).
    from google.auth import exceptions as auth_errors  # noqa: PLC0415
    from google.auth.transport import requests as auth_requests  # noqa: PLC0415
    from google.oauth2 import id_token  # noqa: PLC0415

    try:
        token: str = id_token.fetch_id_token(auth_requests.Request(), audience)  # type: ignore[no-untyped-call]
    except auth_errors.GoogleAuthError as error:
        raise TemporaryError(f"cannot get an identity token for the bridge: {error}") from None
    return token
