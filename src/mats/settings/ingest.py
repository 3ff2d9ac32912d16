"""The ingest function's settings: its webhook limits and how it reads the caller's address."""

from __future__ import annotations

from dataclasses import dataclass, field

from mats.services.ingest import IngestSettings
from mats.settings.environment import Environment, whole_number


@dataclass(frozen=True)
class IngestConfig:
    service: IngestSettings = field(default_factory=IngestSettings)
    max_body_bytes: int = 32_768
    # 0: the client address is the socket peer; 1 on Cloud Run: the last X-Forwarded-For entry.
    trusted_proxy_hops: int = 0


def ingest_config(env: Environment) -> IngestConfig:
    defaults = IngestSettings()
    return IngestConfig(
        service=IngestSettings(
            default_max_lag_seconds=whole_number(
                env, "MATS_DEFAULT_MAX_LAG_SECONDS", defaults.default_max_lag_seconds
            ),
            dedupe_window_seconds=whole_number(
                env, "MATS_DEDUPE_WINDOW_SECONDS", defaults.dedupe_window_seconds
            ),
            auth_failures_per_minute=whole_number(
                env, "MATS_AUTH_FAILURES_PER_MINUTE", defaults.auth_failures_per_minute
            ),
        ),
        max_body_bytes=whole_number(env, "MATS_MAX_BODY_BYTES", IngestConfig.max_body_bytes),
        trusted_proxy_hops=whole_number(
            env, "MATS_TRUSTED_PROXY_HOPS", IngestConfig.trusted_proxy_hops
        ),
    )
