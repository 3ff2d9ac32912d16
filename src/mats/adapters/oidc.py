"""Verify the Google OIDC tokens Cloud Scheduler and Pub/Sub push put on their requests.

When an audience is configured, a request must carry ``Authorization: Bearer <token>`` signed by
Google for that audience, from a verified email on the allowlist (when one is given). Locally,
with no audience configured, nothing is checked (the local stack sends no tokens).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mats.errors import Unauthenticated

GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"


@dataclass(frozen=True)
class OidcSettings:
    audience: str
    allowed_emails: frozenset[str] = field(default_factory=frozenset)
    certs_url: str = GOOGLE_CERTS_URL


def verify_request(headers: Mapping[str, str], settings: OidcSettings | None) -> dict[str, Any]:
    """Return the token's claims, or raise ``Unauthenticated``; no settings means no check."""
    if settings is None:
        return {}
    # google.auth (and requests under it) load only where tokens are checked: the local stack's
    # processes and the CLI never pay for them.
    from google.auth import exceptions as auth_errors  # noqa: PLC0415
    from google.auth.transport import requests as auth_requests  # noqa: PLC0415
    from google.oauth2 import id_token  # noqa: PLC0415

    scheme, _, token = headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("missing bearer token")
    try:
        claims = id_token.verify_token(
            token,
            auth_requests.Request(),
            audience=settings.audience,
            certs_url=settings.certs_url,
        )
    except (ValueError, auth_errors.GoogleAuthError) as error:
        raise Unauthenticated(f"invalid token: {error}") from None
    email = claims.get("email")
    if settings.allowed_emails and (
        email not in settings.allowed_emails or not claims.get("email_verified")
    ):
        raise Unauthenticated(f"caller {email!r} is not allowed")
    return dict(claims)
