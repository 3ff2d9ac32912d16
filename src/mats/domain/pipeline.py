"""The pipeline's processes and queues as the platform running them reports them: what the
health page shows beside the accounting's own marks (last message per topic, dead letters)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProcessState:
    """One deployable (a function, the bridge; locally also the emulators): ``ready`` when the
    platform says it serves; ``state`` its own word for it (``running``, ``CONDITION_FAILED``...);
    ``detail`` why it is not ready, or ``None``."""

    name: str
    ready: bool
    state: str
    restarts: int | None = None
    detail: str | None = None


@dataclass(frozen=True)
class SubscriptionBacklog:
    """Messages a subscription holds that its subscriber has not acknowledged yet, and how old
    the oldest is (``None`` where the platform does not say)."""

    subscription: str
    undelivered: int
    oldest_age_seconds: int | None = None
