"""What a handler gets, and the helpers every handler shares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mats.api.identity import Principal
from mats.bootstrap import Services
from mats.codec import to_primitive

Reply = Any  # A JSON-able payload, or ``(payload, status)``.


@dataclass(frozen=True)
class Call:
    services: Services
    principal: Principal | None  # ``None`` only on public routes.
    params: dict[str, Any]
    body: dict[str, Any]

    @property
    def user(self) -> Principal:
        if self.principal is None:
            raise RuntimeError("a signed-in route without a principal")
        return self.principal

    def audit(self, operation: str, target: str, before: Any, after: Any) -> None:
        """Append an admin's write to the audit log (after it took effect); a write that
        changed nothing (a repeat) is not one."""
        if before == after:
            return
        self.services.audit.record(
            by_uid=self.user.uid,
            by_email=self.user.email,
            operation=operation,
            target=target,
            before=to_primitive(before),
            after=to_primitive(after),
        )


def page(items: Any, following: str | None) -> dict[str, Any]:
    """A page of a list: its items and the cursor of the next (``None`` on the last)."""
    return {"items": to_primitive(list(items)), "next_cursor": following}


def window(ordered: list[Any], key: str, cursor: str | None, limit: int) -> dict[str, Any]:
    """A page of a small list already in memory and in order, continuing after ``cursor``
    (the ``key`` of the previous page's last item)."""
    start = 0
    if cursor is not None:
        keys = [getattr(item, key) for item in ordered]
        start = keys.index(cursor) + 1 if cursor in keys else len(ordered)
    chunk = ordered[start : start + limit]
    more = start + limit < len(ordered)
    return page(chunk, getattr(chunk[-1], key) if more and chunk else None)
