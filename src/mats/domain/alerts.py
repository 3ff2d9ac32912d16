"""Alerts for people: what went wrong, how bad, and where it came from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class AlertSeverity(StrEnum):
    INFO = "INFO"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"


@dataclass(frozen=True)
class AlertDraft:
    """An alert a decision wants raised; the service gives it an id and a time."""

    kind: str
    severity: AlertSeverity
    message: str


@dataclass(frozen=True)
class Alert:
    """One alert (``alerts/{alert_id}``); the id is deterministic so a retry raises it once."""

    alert_id: str
    kind: str
    severity: AlertSeverity
    message: str
    created_at: datetime
    source: str
    strategy_id: str | None = None
    signal_id: str | None = None
    acknowledged: bool = False


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
