"""Telegram alerts through the Bot API (``sendMessage``), with a configurable base URL.

The bot token is a secret: it comes from Secret Manager (the environment locally) and is never
logged; a failed send is logged and swallowed, because an alert must never break trading.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable

from mats.domain.alerts import Alert, AlertSeverity

log = logging.getLogger(__name__)

ICONS = {"CRITICAL": "🚨", "WARNING": "⚠️", "INFO": "ℹ️"}  # noqa: RUF001 - emoji, not letters.


class TelegramNotifier:
    """``bot_token`` is the token, or reads it on every send (from Secret Manager, which caches
    it briefly), so a rotated token is used without a restart."""

    def __init__(
        self,
        base_url: str,
        bot_token: str | Callable[[], str | None],
        chat_id: str,
        timeout: float = 5.0,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._token = bot_token if callable(bot_token) else (lambda: bot_token)
        self._chat_id = chat_id
        self._timeout = timeout

    def notify(self, alert: Alert) -> bool:
        token = self._token()
        if not token:
            log.error(
                "telegram alert not delivered: the bot token secret has no enabled version",
                extra={"alert_id": alert.alert_id},
            )
            return False
        body = json.dumps({"chat_id": self._chat_id, "text": message_text(alert)}).encode()
        request = urllib.request.Request(  # noqa: S310 - the configured Telegram API base URL.
            f"{self._base_url}/bot{token}/sendMessage",
            data=body,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout):  # noqa: S310
                return True
        except (urllib.error.URLError, OSError) as error:
            # The URL holds the token: log only the failure's kind.
            log.error(
                "telegram alert not delivered; the alert sweep sends it again",
                extra={"alert_id": alert.alert_id, "error": type(error).__name__},
            )
            return False


def message_text(alert: Alert) -> str:
    """What people read: severity, kind, the message, and how to stop a CRITICAL repeating."""
    icon = ICONS.get(alert.severity.value, "")
    repeat = f" (repeat {alert.notifications})" if alert.notifications else ""
    text = f"{icon} {alert.severity.value} {alert.kind}{repeat}\n{alert.message}"
    if alert.strategy_id:
        text += f"\nstrategy {alert.strategy_id}"
    if alert.severity is AlertSeverity.CRITICAL:
        text += f"\nacknowledge: mats alerts ack {alert.alert_id}"
    return text


class LogNotifier:
    """Where no Telegram bot is configured: the alert is logged (and stored by the caller)."""

    def notify(self, alert: Alert) -> bool:
        log.warning(
            "alert", extra={"alert_id": alert.alert_id, "kind": alert.kind, "text": alert.message}
        )
        return True
