"""Asking ``functions/dashboard`` to do what only it may: the accounting's scheduled work.

The dashboard function is its read models' one writer, so the commands that strike the NAV,
crystallise a month, take a snapshot or change the fund's settings call its routes, as Cloud
Scheduler does, instead of writing from the CLI's process. Its URL is the local stack's (from
``stack.json``) or ``MATS_DASHBOARD_URL``; against a Google Cloud project the request carries an
identity token. A 422 naming a field becomes that ``ValidationError``, so it prints (and exits 1)
like every other refusal.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from mats.cli.app import CliContext
from mats.errors import MatsError, TemporaryError, ValidationError

UNPROCESSABLE = 422


def dashboard_call(app: CliContext, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST ``body`` to one of the dashboard function's routes and return its answer."""
    target = app.target
    base = target.dashboard_url
    if not base:
        raise MatsError(
            "the dashboard function's URL is unknown: set MATS_DASHBOARD_URL "
            "(the local stack has it)"
        )
    headers = {"Content-Type": "application/json"}
    if target.kind == "cloud":
        headers["Authorization"] = f"Bearer {identity_token(base)}"
    request = urllib.request.Request(  # noqa: S310 - the configured dashboard URL.
        base.rstrip("/") + path, data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            answer: dict[str, Any] = json.loads(response.read())
            return answer
    except urllib.error.HTTPError as error:
        raise _refusal(error) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise TemporaryError(f"cannot reach the dashboard function at {base}: {reason}") from None


def _refusal(error: urllib.error.HTTPError) -> MatsError:
    raw = error.read()
    try:
        answer = json.loads(raw)
    except ValueError:
        answer = {}
    if not isinstance(answer, dict):
        answer = {}
    message = str(answer.get("error") or raw.decode(errors="replace"))
    if error.code == UNPROCESSABLE and answer.get("field"):
        return ValidationError(str(answer["field"]), message)
    if error.code >= 500:
        return TemporaryError(f"the dashboard function could not do it now: {message}")
    return MatsError(message)


def identity_token(audience: str) -> str:
    """A Google identity token for ``audience`` (a private Cloud Run service)."""
    from google.auth.transport import requests as auth_requests  # noqa: PLC0415 - cloud only.
    from google.oauth2 import id_token  # noqa: PLC0415

    token: str = id_token.fetch_id_token(auth_requests.Request(), audience)  # type: ignore[no-untyped-call]
    return token
