"""The composition root: read settings, wire adapters to services, lazily and once.

Nothing connects or loads a Google client library at import time: each adapter is imported and
built on first use, so ``mats --help`` answers at once, a command only pays for the clients it
uses, and tests can pass fakes for any port.
"""

# ruff: noqa: PLC0415 - adapters are imported where they are first needed (see above).

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mats.adapters.clock import SystemClock
from mats.adapters.oidc import GOOGLE_CERTS_URL, OidcSettings
from mats.domain.cerebro.decisions import CerebroSettings, MismatchPolicy
from mats.errors import ValidationError
from mats.logs import configure_logging
from mats.ports import (
    Clock,
    DecisionStore,
    PortfolioStore,
    Publisher,
    SenderStore,
    SignalStore,
    StrategyStore,
)
from mats.services.allocations import AllocationService
from mats.services.backtests import BacktestService
from mats.services.cerebro import CerebroService
from mats.services.ingest import IngestService, IngestSettings
from mats.services.operations import OperationsService
from mats.services.optimizer import OptimizerService
from mats.services.registry import SenderService, StrategyService

if TYPE_CHECKING:
    from mats.adapters.firestore.trading import FirestoreTradingState


@dataclass(frozen=True)
class Settings:
    """Runtime settings, from the environment (see README "Configuration")."""

    project_id: str
    ingest: IngestSettings = field(default_factory=IngestSettings)
    cerebro: CerebroSettings = field(default_factory=CerebroSettings)
    max_body_bytes: int = 32_768
    trusted_proxy_hops: int = 0
    backtest_dir: Path | None = None
    oidc: OidcSettings | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        project_id = env.get("GOOGLE_CLOUD_PROJECT") or env.get("GCLOUD_PROJECT")
        if not project_id:
            raise ValidationError("GOOGLE_CLOUD_PROJECT", "must name the Google Cloud project")
        defaults = IngestSettings()
        return cls(
            project_id=project_id,
            ingest=IngestSettings(
                default_max_lag_seconds=_int(
                    env, "MATS_DEFAULT_MAX_LAG_SECONDS", defaults.default_max_lag_seconds
                ),
                dedupe_window_seconds=_int(
                    env, "MATS_DEDUPE_WINDOW_SECONDS", defaults.dedupe_window_seconds
                ),
                auth_failures_per_minute=_int(
                    env, "MATS_AUTH_FAILURES_PER_MINUTE", defaults.auth_failures_per_minute
                ),
            ),
            cerebro=_cerebro_settings(env),
            max_body_bytes=_int(env, "MATS_MAX_BODY_BYTES", cls.max_body_bytes),
            trusted_proxy_hops=_int(env, "MATS_TRUSTED_PROXY_HOPS", cls.trusted_proxy_hops),
            backtest_dir=Path(env["MATS_BACKTEST_DIR"]) if env.get("MATS_BACKTEST_DIR") else None,
            oidc=_oidc_settings(env),
        )


def _oidc_settings(env: Mapping[str, str]) -> OidcSettings | None:
    audience = env.get("MATS_OIDC_AUDIENCE", "").strip()
    if not audience:
        return None
    allowed = env.get("MATS_OIDC_ALLOWED_EMAILS", "")
    return OidcSettings(
        audience=audience,
        allowed_emails=frozenset(e.strip() for e in allowed.split(",") if e.strip()),
        certs_url=env.get("MATS_OIDC_CERTS_URL") or GOOGLE_CERTS_URL,
    )


def _cerebro_settings(env: Mapping[str, str]) -> CerebroSettings:
    defaults = CerebroSettings()
    policy = env.get("MATS_MISMATCH_POLICY", defaults.mismatch_policy.value).strip().upper()
    if policy not in MismatchPolicy.__members__:
        allowed = ", ".join(MismatchPolicy.__members__)
        raise ValidationError("MATS_MISMATCH_POLICY", f"must be one of {allowed}; got {policy!r}")
    return CerebroSettings(
        margin_limit=_decimal(env, "MATS_MARGIN_LIMIT", defaults.margin_limit),
        slippage_alpha_fraction=_decimal(
            env, "MATS_SLIPPAGE_ALPHA_FRACTION", defaults.slippage_alpha_fraction
        ),
        quote_max_age=timedelta(
            seconds=_int(
                env, "MATS_QUOTE_MAX_AGE_SECONDS", int(defaults.quote_max_age.total_seconds())
            )
        ),
        max_event_age=timedelta(
            seconds=_int(
                env, "MATS_MAX_EVENT_AGE_SECONDS", int(defaults.max_event_age.total_seconds())
            )
        ),
        mismatch_policy=MismatchPolicy[policy],
    )


def _decimal(env: Mapping[str, str], name: str, default: Decimal) -> Decimal:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValidationError(name, f"must be a number; got {raw!r}") from None
    if not value.is_finite() or not 0 < value <= 1:
        raise ValidationError(name, "must be a fraction above 0 and at most 1")
    return value


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(name, f"must be a whole number; got {raw!r}") from None
    if value < 0:
        raise ValidationError(name, "must not be negative")
    return value


class Services:
    """Every service MATS offers, built on first use from the configured adapters."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        publisher: Publisher | None = None,
        firestore_client: Any = None,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self._publisher = publisher
        self._firestore_client = firestore_client

    def close(self) -> None:
        """Close the Firestore client this instance created, if it created one."""
        client = self.__dict__.get("firestore")
        if client is not None and self._firestore_client is None:
            client.close()

    @cached_property
    def firestore(self) -> Any:
        if self._firestore_client is not None:
            return self._firestore_client
        from google.cloud import firestore

        return firestore.Client(project=self.settings.project_id)

    @cached_property
    def publisher(self) -> Publisher:
        if self._publisher is not None:
            return self._publisher
        from mats.adapters.pubsub import PubSubPublisher

        return PubSubPublisher(self.settings.project_id)

    @cached_property
    def sender_store(self) -> SenderStore:
        from mats.adapters.firestore.registry import FirestoreSenderStore

        return FirestoreSenderStore(self.firestore)

    @cached_property
    def strategy_store(self) -> StrategyStore:
        from mats.adapters.firestore.registry import FirestoreStrategyStore

        return FirestoreStrategyStore(self.firestore)

    @cached_property
    def signal_store(self) -> SignalStore:
        from mats.adapters.firestore.signals import FirestoreSignalStore

        return FirestoreSignalStore(self.firestore)

    @cached_property
    def trading_state(self) -> FirestoreTradingState:
        from mats.adapters.firestore.trading import FirestoreTradingState

        return FirestoreTradingState(self.firestore)

    @cached_property
    def portfolio(self) -> PortfolioStore:
        from mats.adapters.firestore.portfolio import FirestorePortfolio

        return FirestorePortfolio(self.firestore)

    @cached_property
    def decision_store(self) -> DecisionStore:
        from mats.adapters.firestore.decisions import FirestoreDecisionStore

        return FirestoreDecisionStore(self.firestore, self.trading_state, self.portfolio)

    @cached_property
    def allocations(self) -> AllocationService:
        return AllocationService(self.portfolio, self.strategy_store, self.clock)

    @cached_property
    def cerebro(self) -> CerebroService:
        return CerebroService(
            store=self.decision_store,
            alerts=self.trading_state,
            publisher=self.publisher,
            clock=self.clock,
            settings=self.settings.cerebro,
        )

    @cached_property
    def operations(self) -> OperationsService:
        state = self.trading_state
        return OperationsService(
            accounts=state,
            positions=state,
            market=state,
            risk=state,
            alerts=state,
            strategies=self.strategy_store,
            clock=self.clock,
        )

    @cached_property
    def backtests(self) -> BacktestService:
        return BacktestService(
            self.portfolio, self.publisher, self.clock, self.settings.backtest_dir
        )

    @cached_property
    def optimizer(self) -> OptimizerService:
        return OptimizerService(self.portfolio, self.strategy_store, self.allocations, self.clock)

    @cached_property
    def ingest(self) -> IngestService:
        return IngestService(self.signal_store, self.publisher, self.clock, self.settings.ingest)

    @cached_property
    def senders(self) -> SenderService:
        return SenderService(self.sender_store, self.clock)

    @cached_property
    def strategies(self) -> StrategyService:
        return StrategyService(self.strategy_store, self.sender_store, self.clock)


def bootstrap(env: Mapping[str, str] | None = None, **overrides: Any) -> Services:
    """Build the services from the environment; keyword overrides replace adapters (tests)."""
    return Services(Settings.from_env(env), **overrides)


_instance: Services | None = None
_instance_lock = threading.Lock()


def instance_services() -> Services:
    """The one composition root of a function instance, built on its first request.

    Never at import: a cold start only pays for what the first request uses.
    """
    global _instance  # noqa: PLW0603 - one per process, built lazily.
    with _instance_lock:
        if _instance is None:
            configure_logging()
            _instance = bootstrap()
        return _instance


def forget_instance_services() -> None:
    """Drop the instance's services so the next request rebuilds them from the environment."""
    global _instance  # noqa: PLW0603 - see instance_services.
    with _instance_lock:
        _instance = None
