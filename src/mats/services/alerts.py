"""The one way an alert is raised: stored once, sent to people once, repeated until seen.

Every part of MATS that finds something wrong (Cerebro, the bridge, reconciliation) raises it
here. The alert's id is its key: a second raise of the same alert stores and sends nothing. A
WARNING or CRITICAL alert goes to people (Telegram) as soon as it is stored; one that could not
be sent, or was stored by someone who then crashed, is sent by the next sweep; a CRITICAL alert
is sent again every ``repeat_every`` until someone acknowledges it (``mats alerts ack ID``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from mats.domain.alerts import Alert
from mats.errors import NotFoundError
from mats.ports import AlertStore, Clock, Notifier

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlertSettings:
    repeat_every: timedelta = timedelta(minutes=5)
    # A sweep leaves an alert raised this recently to whoever raised it, who is sending it.
    first_grace: timedelta = timedelta(seconds=30)
    sweep_limit: int = 500


class AlertService:
    def __init__(
        self,
        store: AlertStore,
        notifier: Notifier,
        clock: Clock,
        settings: AlertSettings | None = None,
    ) -> None:
        self._store = store
        self._notifier = notifier
        self._clock = clock
        self._settings = settings or AlertSettings()

    def raise_alert(self, alert: Alert) -> bool:
        """Store and send a new alert; ``False`` if it had been raised already."""
        if not self._store.create_alert(alert):
            return False
        log.warning(
            "alert raised",
            extra={"alert_id": alert.alert_id, "kind": alert.kind, "severity": alert.severity},
        )
        self._send(alert)
        return True

    def send_stored(self, alerts: Iterable[Alert]) -> None:
        """Send alerts that were stored with other writes (a decision's, in one batch)."""
        for alert in alerts:
            self._send(alert)

    def sweep(self) -> int:
        """Send what is due: alerts never sent, and CRITICAL ones nobody has acknowledged."""
        now, settings = self._clock.now(), self._settings
        sent = 0
        for alert in self._store.list_alerts(limit=settings.sweep_limit, outstanding=True):
            if alert.due(now, repeat_every=settings.repeat_every, first_grace=settings.first_grace):
                sent += self._send(alert)
        return sent

    def acknowledge(self, alert_id: str, *, by: str) -> Alert:
        """Mark an alert seen: a CRITICAL alert stops repeating."""
        acknowledged = self._store.acknowledge(alert_id, by=by, at=self._clock.now())
        if acknowledged is None:
            raise NotFoundError(f"alert {alert_id!r} does not exist")
        log.info(
            "alert acknowledged", extra={"alert_id": alert_id, "by": acknowledged.acknowledged_by}
        )
        return acknowledged

    def list(self, *, limit: int, outstanding: bool = False) -> list[Alert]:
        return list(self._store.list_alerts(limit=limit, outstanding=outstanding))

    def _send(self, alert: Alert) -> bool:
        if not alert.outstanding or not self._notifier.notify(alert):
            return False
        self._store.mark_notified(alert, self._clock.now())
        return True
