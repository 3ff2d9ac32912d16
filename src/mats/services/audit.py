"""The audit log: every admin write, who made it, when, and the record before and after.

Entries are appended (created once, never changed) in ``audit_log`` with ids that sort by time,
so the newest page is one bounded query. ``before``/``after`` hold the record as its API shows
it; secrets never reach them (a sender's secret is shown once and not kept here).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mats.ports import Clock, RecordStore

AUDIT_LOG = "audit_log"


@dataclass(frozen=True)
class AuditEntry:
    audit_id: str  # ``{at:%Y%m%dT%H%M%S%f}_{random}``: sorts by time, unique under concurrency.
    at: datetime
    by_uid: str
    by_email: str | None
    operation: str
    target: str
    before: Any = None
    after: Any = None


class AuditLog:
    def __init__(self, records: RecordStore, clock: Clock) -> None:
        self._records = records
        self._clock = clock

    def record(
        self,
        *,
        by_uid: str,
        by_email: str | None,
        operation: str,
        target: str,
        before: Any = None,
        after: Any = None,
    ) -> AuditEntry:
        at = self._clock.now()
        entry = AuditEntry(
            audit_id=f"{at:%Y%m%dT%H%M%S%f}_{secrets.token_hex(4)}",
            at=at,
            by_uid=by_uid,
            by_email=by_email,
            operation=operation,
            target=target,
            before=before,
            after=after,
        )
        self._records.create(AUDIT_LOG, entry.audit_id, entry)
        return entry

    def page(self, *, limit: int, after: str | None = None) -> tuple[list[AuditEntry], str | None]:
        """Newest first."""
        return self._records.page(
            AUDIT_LOG, AuditEntry, order_by="audit_id", descending=True, limit=limit, after=after
        )
