"""Telegram alerts through the Bot API (``sendMessage``), with a configurable base URL.

The bot token is a secret: it comes from Secret Manager (the environment locally) and is never
logged; a failed send is logged and swallowed, because an alert must never break trading.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

from mats.domain.alerts import Alert, AlertSeverity

log = logging.getLogger(__name__)

ICONS = {"CRITICAL": "🚨", "WARNING": "⚠️", "INFO": "ℹ️"}  # noqa: RUF001 - emoji, not letters.


class TelegramNotifier:
    def __init__(self, base_url: str, bot_token: str, chat_id: str, timeout: float = 5.0) -> None:
        self._url = f"{base_url.rstrip('/')}/bot{bot_token}/sendMessage"
        self._chat_id = chat_id
        self._timeout = timeout

    def notify(self, alert: Alert) -> bool:
        body = json.dumps({"chat_id": self._chat_id, "text": message_text(alert)}).encode()
        request = urllib.request.Request(  # noqa: S310 - the configured Telegram API base URL.
            self._url, data=body, headers={"Content-Type": "application/json"}, method="POST"
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
