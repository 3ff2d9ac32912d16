"""Sections more than one deployable reads: OIDC, where alerts go, the margin limit, the
trading day."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta
from decimal import Decimal

from mats.adapters.oidc import GOOGLE_CERTS_URL, OidcSettings
from mats.domain.cerebro.decisions import CerebroSettings
from mats.errors import ValidationError
from mats.services.alerts import AlertSettings
from mats.settings.environment import Environment, fraction, number, text, utc_time


@dataclass(frozen=True)
class NotificationConfig:
    """Where alerts go (README "Alerts"): Telegram when a bot is configured, else the log."""

    telegram_api_url: str = "https://api.telegram.org"
    telegram_bot_token: str | None = field(default=None, repr=False)
    # The Secret Manager secret holding the token (a deployment): read at each send, cached 60 s.
    telegram_bot_token_secret: str | None = None
    telegram_chat_id: str | None = None
    alerts: AlertSettings = field(default_factory=AlertSettings)


def oidc_settings(env: Environment) -> OidcSettings | None:
    audience = text(env, "MATS_OIDC_AUDIENCE")
    if not audience:
        return None
    allowed = env.get("MATS_OIDC_ALLOWED_EMAILS") or ""
    return OidcSettings(
        audience=audience,
        allowed_emails=frozenset(e.strip() for e in allowed.split(",") if e.strip()),
        certs_url=text(env, "MATS_OIDC_CERTS_URL") or GOOGLE_CERTS_URL,
    )


def notification_config(env: Environment) -> NotificationConfig:
    defaults = NotificationConfig()
    repeat = number(
        env, "MATS_ALERT_REPEAT_SECONDS", Decimal(defaults.alerts.repeat_every.total_seconds())
    )
    if repeat <= 0:
        raise ValidationError("MATS_ALERT_REPEAT_SECONDS", "must be a positive number of seconds")
    return NotificationConfig(
        telegram_api_url=text(env, "MATS_TELEGRAM_API_URL") or defaults.telegram_api_url,
        telegram_bot_token=text(env, "MATS_TELEGRAM_BOT_TOKEN"),
        telegram_bot_token_secret=text(env, "MATS_TELEGRAM_BOT_TOKEN_SECRET"),
        telegram_chat_id=text(env, "MATS_TELEGRAM_CHAT_ID"),
        alerts=AlertSettings(repeat_every=timedelta(seconds=float(repeat))),
    )


def margin_limit(env: Environment) -> Decimal:
    """The largest margin use an entry may cause: Cerebro decides by it, the bridge re-checks."""
    return fraction(env, "MATS_MARGIN_LIMIT", CerebroSettings.margin_limit)


def trading_day_start(env: Environment) -> time:
    """When the trading day starts (UTC): Cerebro's daily loss and the accounting's day P&L."""
    return utc_time(env, "MATS_TRADING_DAY_START", CerebroSettings.trading_day_start)
