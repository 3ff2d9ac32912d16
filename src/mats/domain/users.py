"""Dashboard users: who signs in, with which role and over whose data.

A user's role and scope live in the identity provider's custom claims, exactly
``{"role": "admin"}``, ``{"role": "client", "client_id": ID}`` or
``{"role": "sender", "sender_id": ID}``: one scope id, the one its role needs. Anything else
(no role, an unknown role, a missing or extra scope id) grants nothing.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from mats.errors import ValidationError

# Loose on purpose: the identity provider has the last word; this catches typos and junk.
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
MIN_PASSWORD_LENGTH = 8
MAX_DISPLAY_NAME_LENGTH = 256


class Role(StrEnum):
    ADMIN = "admin"
    CLIENT = "client"
    SENDER = "sender"


# The scope id each role carries, and the claim it is kept under.
SCOPE_CLAIM = {Role.ADMIN: None, Role.CLIENT: "client_id", Role.SENDER: "sender_id"}


@dataclass(frozen=True)
class Access:
    """A role and the one client or sender it is scoped to (none for an admin)."""

    role: Role
    client_id: str | None = None
    sender_id: str | None = None

    @property
    def scope_id(self) -> str | None:
        return self.client_id or self.sender_id

    def claims(self) -> dict[str, str]:
        """Return the custom claims that grant this access, and nothing else."""
        claims = {"role": self.role.value}
        if self.client_id is not None:
            claims["client_id"] = self.client_id
        if self.sender_id is not None:
            claims["sender_id"] = self.sender_id
        return claims


@dataclass(frozen=True)
class User:
    """A user as the identity provider keeps it; ``access`` is ``None`` when it grants nothing."""

    uid: str
    email: str | None
    display_name: str | None
    disabled: bool
    email_verified: bool
    access: Access | None
    second_factors: tuple[str, ...] = ()  # Enrolled factors' kinds ("phone").
    created_at: datetime | None = None
    last_sign_in_at: datetime | None = None
    tokens_valid_after: datetime | None = None  # Tokens issued before this are revoked.


def parse_access(role: object, client_id: object = None, sender_id: object = None) -> Access:
    """Parse a role and its scope id; the ``ValidationError`` names the offending field."""
    parsed = _role(role)
    given = {"client_id": _scope_id("client_id", client_id)}
    given["sender_id"] = _scope_id("sender_id", sender_id)
    needed = SCOPE_CLAIM[parsed]
    for name, value in given.items():
        if name == needed and value is None:
            raise ValidationError(name, f"role {parsed.value} needs its {name}")
        if name != needed and value is not None:
            raise ValidationError(name, f"role {parsed.value} takes no {name}")
    return Access(parsed, client_id=given["client_id"], sender_id=given["sender_id"])


def access_from_claims(claims: Mapping[str, Any] | None) -> Access | None:
    """Read the access granted by custom claims; ``None`` when they grant nothing.

    Claims that do not say exactly one valid thing (no role, an unknown role, a scope id
    missing, of the wrong kind or blank) grant nothing rather than raising.
    """
    if not claims:
        return None
    try:
        return parse_access(claims.get("role"), claims.get("client_id"), claims.get("sender_id"))
    except ValidationError:
        return None


def parse_email(raw: object) -> str:
    """Return the address trimmed and in lower case (the identity provider compares so)."""
    if not isinstance(raw, str) or not _EMAIL.fullmatch(raw.strip()):
        raise ValidationError("email", f"{raw!r} is not an email address")
    return raw.strip().lower()


def parse_password(raw: object) -> str:
    if not isinstance(raw, str) or len(raw) < MIN_PASSWORD_LENGTH:
        raise ValidationError("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if raw != raw.strip():
        raise ValidationError("password", "must not start or end with spaces")
    return raw


def parse_display_name(raw: object) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or len(raw.strip()) > MAX_DISPLAY_NAME_LENGTH:
        raise ValidationError(
            "display_name", f"must be at most {MAX_DISPLAY_NAME_LENGTH} characters"
        )
    return raw.strip() or None


def new_password() -> str:
    """A random password of 22 URL-safe characters (128 bits), to be shown once."""
    return secrets.token_urlsafe(16)


def _role(raw: object) -> Role:
    for role in Role:
        if raw == role.value:
            return role
    choices = ", ".join(role.value for role in Role)
    raise ValidationError("role", f"{raw!r} is not a role (one of {choices})")


def _scope_id(name: str, raw: object) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw.strip():
        raise ValidationError(name, "must be a non-empty id")
    return raw.strip()


def public_user(user: User) -> dict[str, Any]:
    """A user as the CLI's ``--json`` and the API show it (nothing secret is kept on it)."""
    access = user.access
    return {
        "uid": user.uid,
        "email": user.email,
        "display_name": user.display_name,
        "role": access.role.value if access else None,
        "client_id": access.client_id if access else None,
        "sender_id": access.sender_id if access else None,
        "disabled": user.disabled,
        "email_verified": user.email_verified,
        "second_factors": list(user.second_factors),
        "created_at": user.created_at,
        "last_sign_in_at": user.last_sign_in_at,
        "tokens_valid_after": user.tokens_valid_after,
    }
