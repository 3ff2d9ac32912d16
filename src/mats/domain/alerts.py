"""Alerts for people: what went wrong, how bad, where it came from, and who has seen it.

WARNING and CRITICAL alerts are sent to people (Telegram); a CRITICAL one is sent again at an
interval until someone acknowledges it. An alert's id is its deduplication key: raising the
same alert twice stores and sends it once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class AlertSeverity(StrEnum):
    INFO = "INFO"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"

    @property
    def notifies(self) -> bool:
        """Whether people are told (INFO is only stored)."""
        return self is not AlertSeverity.INFO


@dataclass(frozen=True)
class AlertDraft:
    """An alert a decision wants raised; the service gives it an id and a time."""

    kind: str
    severity: AlertSeverity
    message: str


@dataclass(frozen=True)
class Alert:
    """One alert (``alerts/{alert_id}``); the id is deterministic so a retry raises it once.

    ``notifications`` counts the times it was sent to people (``notified_at`` the first,
    ``last_notified_at`` the latest).
    """

    alert_id: str
    kind: str
    severity: AlertSeverity
    message: str
    created_at: datetime
    source: str
    strategy_id: str | None = None
    signal_id: str | None = None
    acknowledged: bool = False
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    notifications: int = 0
    notified_at: datetime | None = None
    last_notified_at: datetime | None = None

    @property
    def outstanding(self) -> bool:
        """Whether people still have to be told: once for a WARNING, until acknowledged for a
        CRITICAL alert."""
        if not self.severity.notifies or self.acknowledged:
            return False
        return self.severity is AlertSeverity.CRITICAL or self.notifications == 0

    def due(self, now: datetime, *, repeat_every: timedelta, first_grace: timedelta) -> bool:
        """Whether a sweep should send it now: never sent (and not just raised, since whoever
        raised it is sending it), or a CRITICAL alert whose last notice is ``repeat_every`` old."""
        if not self.outstanding:
            return False
        if self.last_notified_at is None:
            return now - self.created_at >= first_grace
        return now - self.last_notified_at >= repeat_every

    def notified(self, at: datetime) -> Alert:
        return dataclasses.replace(
            self,
            notifications=self.notifications + 1,
            notified_at=self.notified_at or at,
            last_notified_at=at,
        )

    def acknowledge(self, by: str, at: datetime) -> Alert:
        if self.acknowledged:
            return self
        return dataclasses.replace(self, acknowledged=True, acknowledged_at=at, acknowledged_by=by)


def from_draft(draft: AlertDraft, *, signal_id: str, strategy_id: str, at: datetime) -> Alert:
    return Alert(
        alert_id=f"{signal_id}_{draft.kind}",
        kind=draft.kind,
        severity=draft.severity,
        message=draft.message,
        created_at=at,
        source="cerebro",
        strategy_id=strategy_id,
        signal_id=signal_id,
    )
