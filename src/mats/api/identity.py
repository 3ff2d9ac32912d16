"""Who is calling: a Firebase Authentication ID token, verified, and the user record it names.

The Admin SDK verifies the token (signature against Google's certificates, and — with
``check_revoked`` — that its user is enabled and its refresh tokens were not revoked since it
was issued). The API then checks the claims itself, because with ``FIREBASE_AUTH_EMULATOR_HOST``
set the SDK accepts unsigned tokens and skips checks: the audience and issuer are this project,
it has not expired, it was not issued (or signed in) in the future, and its subject is a user id.

The role and scope are read from the user record's custom claims, never the token's: a token
whose claims were rewritten grants nothing more than its user has now. An admin must have signed
in with a second factor (``firebase.sign_in_second_factor`` in the token).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from mats.errors import Forbidden, Unauthenticated
from mats.ports import Clock, IdentityProvider, UserFacts

ISSUER = "https://securetoken.google.com/"


class Role(StrEnum):
    ADMIN = "admin"
    CLIENT = "client"
    SENDER = "sender"


@dataclass(frozen=True)
class Principal:
    """A signed-in user, as their user record says now."""

    uid: str
    email: str | None
    role: Role
    client_id: str | None = None
    sender_id: str | None = None
    second_factor: str | None = None

    @property
    def label(self) -> str:
        """How audit records and approvals name this user."""
        return self.email or self.uid

    def owns(self, scope: str, value: str) -> bool:
        """Whether ``value`` of the path parameter ``scope`` is this user's own."""
        if scope == "client_id":
            return self.role is Role.CLIENT and self.client_id == value
        if scope == "sender_id":
            return self.role is Role.SENDER and self.sender_id == value
        return False


class Authenticator:
    def __init__(
        self, provider: IdentityProvider, clock: Clock, *, project: str, skew_seconds: int
    ) -> None:
        self._provider = provider
        self._clock = clock
        self._project = project
        self._skew = skew_seconds

    def authenticate(self, authorization: str | None) -> Principal:
        token = _bearer(authorization)
        claims = self._provider.verify(token)
        _check_claims(claims, self._project, self._clock.now(), self._skew)
        uid = str(claims["sub"])
        user = self._provider.user(uid)
        if user is None or user.disabled:
            raise Unauthenticated("the token's user is missing or disabled")
        principal = _principal(user)
        if principal.role is Role.ADMIN:
            factor = (claims.get("firebase") or {}).get("sign_in_second_factor")
            if not factor:
                raise Forbidden("admins must sign in with a second factor")
            principal = Principal(principal.uid, principal.email, Role.ADMIN, second_factor=factor)
        return principal


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise Unauthenticated("no Authorization header")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 8192:
        raise Unauthenticated("the Authorization header is not a bearer token")
    if token.count(".") != 2:
        raise Unauthenticated("the token is not a JWT")
    return token


def _check_claims(claims: Mapping[str, Any], project: str, now: datetime, skew: int) -> None:
    """The checks the API makes itself, whatever the SDK did."""
    moment = now.timestamp()
    if claims.get("aud") != project:
        raise Unauthenticated("the token is for another project")
    if claims.get("iss") != ISSUER + project:
        raise Unauthenticated("the token has another issuer")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not 0 < len(subject) <= 128:
        raise Unauthenticated("the token names no user")
    expires, issued = _number(claims.get("exp")), _number(claims.get("iat"))
    if expires is None or expires <= moment:
        raise Unauthenticated("the token has expired")
    if issued is None or issued > moment + skew:
        raise Unauthenticated("the token was issued in the future")
    if "auth_time" in claims:
        signed_in = _number(claims["auth_time"])
        if signed_in is None or signed_in > moment + skew:
            raise Unauthenticated("the token's sign-in is in the future")


def _number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _principal(user: UserFacts) -> Principal:
    """The role and scope the user record grants; none is no data at all."""
    claims = user.claims
    try:
        role = Role(str(claims.get("role")))
    except ValueError:
        raise Forbidden("this user has no role; an admin must give them one") from None
    if role is Role.CLIENT:
        client_id = claims.get("client_id")
        if not isinstance(client_id, str) or not client_id:
            raise Forbidden("this client user is not linked to a client")
        return Principal(user.uid, user.email, role, client_id=client_id)
    if role is Role.SENDER:
        sender_id = claims.get("sender_id")
        if not isinstance(sender_id, str) or not sender_id:
            raise Forbidden("this sender user is not linked to a sender")
        return Principal(user.uid, user.email, role, sender_id=sender_id)
    return Principal(user.uid, user.email, role)


def unverified_claims(token: str) -> dict[str, Any]:
    """A JWT's payload, not verified (for the emulator's tests and logs only)."""
    try:
        payload = token.split(".")[1]
        decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * 4))
    except (IndexError, ValueError, binascii.Error) as error:
        raise Unauthenticated("the token is not a JWT") from error
    return decoded
