"""Signal senders: who may post webhooks, and how each request proves it.

A sender holds one secret. It authenticates a request with the secret itself (in the URL path or
a body field, because TradingView cannot set headers) or with an ``X-Signature: sha256=<hex>``
header: HMAC-SHA256 of the raw body keyed with the *signing key*, the SHA-256 hex digest of the
secret, which the sender computes itself.

Nothing stored in Firestore is enough to authenticate or sign. Firestore keeps the *verifier*,
SHA-256 of the signing key: a presented secret is checked by hashing it twice, and the verifier
cannot be run backwards into a key. The signing key, which checking a signature needs, is secret
material kept in the secret store under :func:`signing_key_name`. Every comparison is
constant-time, and checks for unknown senders do the same work as checks that fail.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from mats.errors import ValidationError

SENDER_ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,47}")
DEFAULT_RATE_LIMIT_PER_MINUTE = 60
SIGNATURE_PATTERN = re.compile(r"(?:(?i:sha256)=)?([0-9a-fA-F]{64})")
# Stands in for a key or verifier that does not exist, so that case costs the same as a wrong one.
_ABSENT = hashlib.sha256(b"mats-unknown-sender").hexdigest()
# Never stored: an unknown sender's signature check reads it, as a known sender's reads its keys.
UNKNOWN_KEY_NAME = "sender-unknown-signing-key"


class SenderStatus(StrEnum):
    ACTIVE = "ACTIVE"
    DISABLED = "DISABLED"


@dataclass(frozen=True)
class Sender:
    sender_id: str
    name: str
    secret_verifier: str
    created_at: datetime
    updated_at: datetime
    status: SenderStatus = SenderStatus.ACTIVE
    ip_allowlist: tuple[str, ...] = ()
    max_lag_seconds: int | None = None
    rate_limit_per_minute: int = DEFAULT_RATE_LIMIT_PER_MINUTE
    previous_secret_verifier: str | None = None
    previous_secret_valid_until: datetime | None = None

    def secret_matches(self, presented: str, now: datetime) -> bool:
        """Check a presented secret against the current and (during a grace period) previous one."""
        presented_verifier = verifier_of(signing_key(presented))
        current = hmac.compare_digest(presented_verifier, self.secret_verifier)
        previous = hmac.compare_digest(presented_verifier, self._previous_verifier(now))
        return self.status is SenderStatus.ACTIVE and (current or previous)

    def key_names(self, now: datetime) -> tuple[str, str]:
        """Name the secret-store entries of the current and (in a grace period) previous key."""
        previous = self._previous_verifier(now)
        return (
            signing_key_name(self.sender_id, self.secret_verifier),
            UNKNOWN_KEY_NAME if previous == _ABSENT else signing_key_name(self.sender_id, previous),
        )

    def signature_matches(
        self, body: bytes, signature: str, now: datetime, keys: tuple[str | None, str | None]
    ) -> bool:
        """Check a parsed signature against the keys the secret store holds for ``key_names``."""
        current_key, previous_key = keys
        current = _signed_with(body, signature, current_key, self.secret_verifier)
        previous = _signed_with(body, signature, previous_key, self._previous_verifier(now))
        return self.status is SenderStatus.ACTIVE and (current or previous)

    def ip_allowed(self, client_ip: str | None) -> bool:
        if not self.ip_allowlist:
            return True
        if client_ip is None:
            return False
        try:
            address = ipaddress.ip_address(client_ip)
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(cidr) for cidr in self.ip_allowlist)

    def _previous_verifier(self, now: datetime) -> str:
        valid_until = self.previous_secret_valid_until
        if self.previous_secret_verifier and valid_until is not None and now < valid_until:
            return self.previous_secret_verifier
        return _ABSENT


@dataclass(frozen=True)
class LegacySender:
    """A sender document written before verifiers existed: it still holds its signing keys."""

    sender_id: str
    signing_key: str
    previous_signing_key: str | None = None


def new_secret() -> str:
    """Return a fresh 256-bit URL-safe secret."""
    return secrets.token_urlsafe(32)


def signing_key(secret: str) -> str:
    """Return the HMAC key a sender signs with: the SHA-256 hex digest of its secret."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def verifier_of(key: str) -> str:
    """Return the one-way verifier kept in Firestore: the SHA-256 hex digest of a signing key."""
    return hashlib.sha256(key.encode()).hexdigest()


def sign_body(key: str, body: bytes) -> str:
    """Return the hex HMAC-SHA256 of ``body`` keyed with a signing key."""
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def signing_key_name(sender_id: str, verifier: str) -> str:
    """Name a signing key in the secret store; a new key (rotation) gets a new name."""
    return f"sender-{sender_id}-signing-key-{verifier[:16]}"


def parse_signature(header: str) -> str:
    """Return the hex digest of an ``X-Signature`` header (``sha256=<hex>`` or bare hex)."""
    found = SIGNATURE_PATTERN.fullmatch(header.strip())
    if found is None:
        raise ValidationError(
            "X-Signature", "must be sha256= followed by the 64 hex digits of the HMAC-SHA256"
        )
    return found.group(1).lower()


def reject_unknown_secret(presented: str) -> bool:
    """Spend the work of a real secret check and fail, so unknown senders look like bad secrets."""
    presented_verifier = verifier_of(signing_key(presented))
    hmac.compare_digest(presented_verifier, _ABSENT)
    hmac.compare_digest(presented_verifier, _ABSENT)
    return False


def reject_unknown_signature(body: bytes, signature: str) -> bool:
    """Spend the work of a real signature check and fail."""
    _signed_with(body, signature, None, _ABSENT)
    _signed_with(body, signature, None, _ABSENT)
    return False


def _signed_with(body: bytes, signature: str, key: str | None, verifier: str) -> bool:
    # The key must be the one Firestore's verifier names; a missing key is checked as a wrong one.
    usable = hmac.compare_digest(verifier_of(key or _ABSENT), verifier) and key is not None
    expected = sign_body(key if usable and key is not None else _ABSENT, body)
    return hmac.compare_digest(signature, expected) and usable


def new_sender_id(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:40].strip("-") or "sender"
    return f"{slug}-{secrets.token_hex(3)}"


def normalized_name(name: str) -> str:
    """Return the form two names share when they are the same name: case and spacing ignored."""
    return " ".join(name.casefold().split())


def normalize_allowlist(cidrs: tuple[str, ...]) -> tuple[str, ...]:
    """Validate CIDRs (or single addresses) and return them in canonical form."""
    normalized = []
    for cidr in cidrs:
        try:
            normalized.append(str(ipaddress.ip_network(cidr.strip(), strict=False)))
        except ValueError:
            raise ValidationError("ip_allow", f"{cidr!r} is not an IP address or CIDR") from None
    return tuple(normalized)


def validate_sender_settings(max_lag_seconds: int | None, rate_limit_per_minute: int) -> None:
    if max_lag_seconds is not None and max_lag_seconds <= 0:
        raise ValidationError("max_lag", "must be a positive number of seconds")
    if rate_limit_per_minute <= 0:
        raise ValidationError("rate_limit", "must be a positive number of requests per minute")


def public_sender(sender: Sender) -> dict[str, Any]:
    """A sender's settings without any secret material."""
    return {
        "sender_id": sender.sender_id,
        "name": sender.name,
        "status": sender.status,
        "ip_allowlist": sender.ip_allowlist,
        "max_lag_seconds": sender.max_lag_seconds,
        "rate_limit_per_minute": sender.rate_limit_per_minute,
        "previous_secret_valid_until": sender.previous_secret_valid_until,
        "created_at": sender.created_at,
        "updated_at": sender.updated_at,
    }
