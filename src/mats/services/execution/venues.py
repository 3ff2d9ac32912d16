"""Watch venues: a live venue down longer than allowed raises one CRITICAL alert per outage."""

from __future__ import annotations

from datetime import timedelta

from mats.domain.alerts import Alert, AlertSeverity
from mats.ports import Clock
from mats.services.alerts import AlertService
from mats.services.execution.router import VenueRouter


class VenueWatch:
    def __init__(
        self,
        *,
        router: VenueRouter,
        alerts: AlertService,
        clock: Clock,
        outage_alert_after: timedelta,
    ) -> None:
        self._router = router
        self._alerts = alerts
        self._clock = clock
        self._outage_alert_after = outage_alert_after
        self._raised: set[str] = set()  # Outage alerts raised by this process (saves a write).

    def check(self) -> None:
        now = self._clock.now()
        for name, venue in sorted(self._router.live.items()):
            status = venue.status()
            since = status.disconnected_since
            if status.connected or since is None:
                continue
            down_for = now - since
            alert_id = f"venue-{name}-{since:%Y%m%dT%H%M%S}"
            if down_for < self._outage_alert_after or alert_id in self._raised:
                continue
            self._raised.add(alert_id)
            # One id per outage: even another process raising it stores and sends it once.
            self._alerts.raise_alert(
                Alert(
                    alert_id=alert_id,
                    kind="BROKER_DISCONNECTED",
                    severity=AlertSeverity.CRITICAL,
                    message=f"{name} has been disconnected for {down_for.total_seconds():.0f} s "
                    f"({status.reason or 'no reason given'}); orders are held until it is back",
                    created_at=now,
                    source="bridge",
                )
            )
