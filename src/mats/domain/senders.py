"""Signal senders: who may post webhooks, and how each request proves it.

Only the SHA-256 of a sender's secret is stored. A request authenticates with the secret itself
(in the URL path or a body field, because TradingView cannot set headers) or with an
``X-Signature: sha256=<hex>`` header holding HMAC-SHA256 of the raw body keyed with that same
SHA-256 hex digest, which a sender computes from its secret. Every comparison is constant-time.
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

from mats.errors import ValidationError

SENDER_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,47}$")
DEFAULT_RATE_LIMIT_PER_MINUTE = 60
# Compared against when the sender is unknown, so that case costs the same as a wrong secret.
_UNKNOWN_SENDER_HASH = hashlib.sha256(b"mats-unknown-sender").hexdigest()


class SenderStatus(StrEnum):
    ACTIVE = "ACTIVE"
    DISABLED = "DISABLED"


@dataclass(frozen=True)
class Sender:
    sender_id: str
    name: str
    secret_hash: str
    created_at: datetime
    updated_at: datetime
    status: SenderStatus = SenderStatus.ACTIVE
    ip_allowlist: tuple[str, ...] = ()
    max_lag_seconds: int | None = None
    rate_limit_per_minute: int = DEFAULT_RATE_LIMIT_PER_MINUTE
    previous_secret_hash: str | None = None
    previous_secret_valid_until: datetime | None = None

    def secret_matches(self, presented: str, now: datetime) -> bool:
        """Check a presented secret against the current and (during a grace period) previous one."""
        presented_hash = hash_secret(presented)
        current = hmac.compare_digest(presented_hash, self.secret_hash)
        previous = hmac.compare_digest(presented_hash, self._previous_hash(now))
        return self.status is SenderStatus.ACTIVE and (current or previous)

    def signature_matches(self, body: bytes, signature: str, now: datetime) -> bool:
        """Check an ``X-Signature`` header (``sha256=<hex>`` or bare hex) over the raw body."""
        presented = signature.strip().removeprefix("sha256=").lower()
        current = hmac.compare_digest(presented, sign_body(self.secret_hash, body))
        previous = hmac.compare_digest(presented, sign_body(self._previous_hash(now), body))
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

    def _previous_hash(self, now: datetime) -> str:
        valid_until = self.previous_secret_valid_until
        if self.previous_secret_hash and valid_until is not None and now < valid_until:
            return self.previous_secret_hash
        return _UNKNOWN_SENDER_HASH


def new_secret() -> str:
    """Return a fresh 256-bit URL-safe secret."""
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def sign_body(secret_hash: str, body: bytes) -> str:
    """Return the hex HMAC-SHA256 of ``body`` keyed with the secret's SHA-256 hex digest."""
    return hmac.new(secret_hash.encode(), body, hashlib.sha256).hexdigest()


def reject_unknown_sender(presented: str) -> bool:
    """Spend the same work as a real check and fail, so unknown senders look like bad secrets."""
    hmac.compare_digest(hash_secret(presented), _UNKNOWN_SENDER_HASH)
    return False


def new_sender_id(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:40].strip("-") or "sender"
    return f"{slug}-{secrets.token_hex(3)}"


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
