"""Webhook alerts in every accepted format, parsed into one :class:`Alert`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mats.domain.signals.alert import Alert
from mats.domain.signals.fields import Fields
from mats.domain.signals.native import parse_native
from mats.domain.signals.traderspost import looks_like_traderspost, parse_traderspost
from mats.domain.signals.tradingview import looks_like_tradingview, parse_tradingview
from mats.domain.strategies import STRATEGY_ID_PATTERN
from mats.errors import ValidationError

PARSERS = {
    "tradingview": parse_tradingview,
    "traderspost": parse_traderspost,
    "mats": parse_native,
}

__all__ = ["PARSERS", "Alert", "detect_format", "parse_alert", "strategy_id_of"]


def strategy_id_of(payload: Mapping[str, Any], hint: str | None = None) -> str | None:
    """Return the strategy an alert names (``strategy_id`` or a ``strategy`` string) or the hint."""
    fields = Fields(payload)
    found = fields.raw("strategy_id", "strategy")
    named = found[1] if found and isinstance(found[1], str) else None
    if named is not None and hint is not None and named.strip() != hint:
        raise ValidationError("strategy_id", f"{named!r} contradicts the URL's strategy {hint!r}")
    strategy_id = named.strip() if named is not None else hint
    if strategy_id is not None and not STRATEGY_ID_PATTERN.fullmatch(strategy_id):
        raise ValidationError("strategy_id", f"is not a valid strategy id: {strategy_id!r}")
    return strategy_id


def detect_format(payload: Mapping[str, Any]) -> str:
    """Name the alert's format: the ``format`` field if given, otherwise by its shape."""
    stated = Fields(payload).text("format")
    if stated is not None:
        if stated.casefold() not in PARSERS:
            allowed = ", ".join(PARSERS)
            raise ValidationError("format", f"must be one of {allowed}; got {stated!r}")
        return stated.casefold()
    if "intent" in payload:
        return "mats"
    if looks_like_tradingview(payload):
        return "tradingview"
    if looks_like_traderspost(payload):
        return "traderspost"
    raise ValidationError(
        "format",
        'cannot tell the alert format; add "format": "tradingview", "traderspost" or "mats"',
    )


def parse_alert(payload: Mapping[str, Any], strategy_hint: str | None = None) -> Alert:
    """Parse a webhook payload in any accepted format, or raise ``ValidationError``."""
    strategy_id = strategy_id_of(payload, strategy_hint)
    if strategy_id is None:
        raise ValidationError("strategy_id", "is required (in the body or as ?strategy=)")
    return PARSERS[detect_format(payload)](payload, strategy_id)
