"""The composition root: read settings, wire adapters to services, lazily and once.

Nothing connects or loads a Google client library at import time: each adapter is imported and
built on first use, so ``mats --help`` answers at once, a command only pays for the clients it
uses, and tests can pass fakes for any port.
"""

# ruff: noqa: PLC0415 - adapters are imported where they are first needed (see above).

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time as dt_time
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mats.adapters.brokers.paper import PaperSettings
from mats.adapters.clock import SystemClock
from mats.adapters.oidc import GOOGLE_CERTS_URL, OidcSettings
from mats.domain.cerebro.decisions import CerebroSettings, MismatchPolicy
from mats.domain.market import validate_currency
from mats.errors import ValidationError
from mats.logs import configure_logging
from mats.ports import (
    Clock,
    DecisionStore,
    PortfolioStore,
    Publisher,
    SecretStore,
    SenderStore,
    SignalStore,
    StrategyStore,
)
from mats.services.alerts import AlertService, AlertSettings
from mats.services.allocations import AllocationService
from mats.services.backtests import BacktestService
from mats.services.bridge import BridgeSettings
from mats.services.cerebro import CerebroService
from mats.services.execution.router import ExecutionSettings
from mats.services.ingest import IngestService, IngestSettings
from mats.services.operations import OperationsService
from mats.services.optimizer import OptimizerService
from mats.services.registry import SenderService, StrategyService

if TYPE_CHECKING:
    from mats.adapters.brokers.ib_session import IbSession
    from mats.adapters.firestore.execution import FirestoreExecutionStore
    from mats.adapters.firestore.trading import FirestoreTradingState
    from mats.ports import Notifier, QuoteFeed
    from mats.services.bridge import Bridge


@dataclass(frozen=True)
class CcxtVenueConfig:
    """One ccxt venue: ``MATS_CCXT_VENUES=BINANCE=binance:Binance_Main`` plus its secrets."""

    name: str
    exchange_id: str
    account: str
    api_key: str | None = field(default=None, repr=False)
    secret: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    sandbox: bool = False


@dataclass(frozen=True)
class BridgeConfig:
    """The execution bridge's venues, alerts and timings (README "Configuration")."""

    ib_host: str = "127.0.0.1"
    ib_port: int = 4002
    ib_client_id: int = 1
    ib_accounts: Mapping[str, str] = field(default_factory=dict)  # MATS account -> IB code
    ib_restart_window: tuple[dt_time, dt_time] | None = None
    ib_heartbeat_seconds: float = 15.0
    ccxt_venues: tuple[CcxtVenueConfig, ...] = ()
    paper: PaperSettings = field(default_factory=PaperSettings)
    execution: ExecutionSettings = field(default_factory=ExecutionSettings)
    runtime: BridgeSettings = field(default_factory=BridgeSettings)
    reconcile_tolerance: Decimal = Decimal(0)


@dataclass(frozen=True)
class NotificationConfig:
    """Where alerts go (README "Alerts"): Telegram when a bot is configured, else the log."""

    telegram_api_url: str = "https://api.telegram.org"
    telegram_bot_token: str | None = field(default=None, repr=False)
    telegram_chat_id: str | None = None
    alerts: AlertSettings = field(default_factory=AlertSettings)


@dataclass(frozen=True)
class Settings:
    """Runtime settings, from the environment (see README "Configuration")."""

    project_id: str
    ingest: IngestSettings = field(default_factory=IngestSettings)
    cerebro: CerebroSettings = field(default_factory=CerebroSettings)
    max_body_bytes: int = 32_768
    trusted_proxy_hops: int = 0
    backtest_dir: Path | None = None
    secrets_dir: Path | None = None
    oidc: OidcSettings | None = None
    bridge: BridgeConfig = field(default_factory=BridgeConfig)
    notifications: NotificationConfig = field(default_factory=NotificationConfig)

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
            secrets_dir=Path(env["MATS_SECRETS_DIR"]) if env.get("MATS_SECRETS_DIR") else None,
            oidc=_oidc_settings(env),
            bridge=_bridge_config(env),
            notifications=_notification_config(env),
        )


def _bridge_config(env: Mapping[str, str]) -> BridgeConfig:
    defaults, execution, runtime = BridgeConfig(), ExecutionSettings(), BridgeSettings()
    paper = PaperSettings()

    def seconds(name: str, default: timedelta) -> timedelta:
        return timedelta(seconds=float(_number(env, name, Decimal(default.total_seconds()))))

    return BridgeConfig(
        ib_host=env.get("MATS_IB_HOST") or defaults.ib_host,
        ib_port=_int(env, "MATS_IB_PORT", defaults.ib_port),
        ib_client_id=_int(env, "MATS_IB_CLIENT_ID", defaults.ib_client_id),
        ib_accounts=_pairs(env, "MATS_IB_ACCOUNTS"),
        ib_restart_window=_window(env, "MATS_IB_RESTART_WINDOW"),
        ib_heartbeat_seconds=float(
            _number(env, "MATS_IB_HEARTBEAT_SECONDS", Decimal(defaults.ib_heartbeat_seconds))
        ),
        ccxt_venues=_ccxt_venues(env),
        paper=PaperSettings(
            slippage_bps=_number(env, "MATS_PAPER_SLIPPAGE_BPS", paper.slippage_bps),
            commission_per_unit=_number(
                env, "MATS_PAPER_COMMISSION_PER_UNIT", paper.commission_per_unit
            ),
            minimum_commission=_number(
                env, "MATS_PAPER_MINIMUM_COMMISSION", paper.minimum_commission
            ),
        ),
        execution=ExecutionSettings(
            entry_max_age=seconds("MATS_ENTRY_MAX_AGE_SECONDS", execution.entry_max_age),
            exit_retry_min=seconds("MATS_EXIT_RETRY_MIN_SECONDS", execution.exit_retry_min),
            exit_retry_max=seconds("MATS_EXIT_RETRY_MAX_SECONDS", execution.exit_retry_max),
            outage_alert_after=seconds("MATS_OUTAGE_ALERT_SECONDS", execution.outage_alert_after),
            margin_warning=_fraction(env, "MATS_MARGIN_WARNING", execution.margin_warning),
            margin_limit=_fraction(env, "MATS_MARGIN_LIMIT", execution.margin_limit),
        ),
        runtime=BridgeSettings(
            poll_seconds=float(
                _number(env, "MATS_BRIDGE_POLL_SECONDS", Decimal(runtime.poll_seconds))
            ),
            account_seconds=float(
                _number(env, "MATS_ACCOUNT_UPDATE_SECONDS", Decimal(runtime.account_seconds))
            ),
            reconcile_seconds=float(
                _number(env, "MATS_RECONCILE_SECONDS", Decimal(runtime.reconcile_seconds))
            ),
            quote_seconds=float(_number(env, "MATS_QUOTE_SECONDS", Decimal(runtime.quote_seconds))),
        ),
        reconcile_tolerance=_number(env, "MATS_RECONCILE_TOLERANCE", Decimal(0)),
    )


def _notification_config(env: Mapping[str, str]) -> NotificationConfig:
    defaults = NotificationConfig()
    repeat = _number(
        env, "MATS_ALERT_REPEAT_SECONDS", Decimal(defaults.alerts.repeat_every.total_seconds())
    )
    if repeat <= 0:
        raise ValidationError("MATS_ALERT_REPEAT_SECONDS", "must be a positive number of seconds")
    return NotificationConfig(
        telegram_api_url=env.get("MATS_TELEGRAM_API_URL") or defaults.telegram_api_url,
        telegram_bot_token=env.get("MATS_TELEGRAM_BOT_TOKEN") or None,
        telegram_chat_id=env.get("MATS_TELEGRAM_CHAT_ID") or None,
        alerts=AlertSettings(repeat_every=timedelta(seconds=float(repeat))),
    )


def _ccxt_venues(env: Mapping[str, str]) -> tuple[CcxtVenueConfig, ...]:
    """``MATS_CCXT_VENUES`` (``NAME=exchange:Account,...``) with ``MATS_CCXT_<NAME>_*`` secrets."""
    venues = []
    for name, target in _pairs(env, "MATS_CCXT_VENUES").items():
        exchange_id, colon, account = target.partition(":")
        if not colon or not exchange_id or not account:
            raise ValidationError(
                "MATS_CCXT_VENUES", f"expected NAME=exchange:Account; got {name}={target}"
            )
        prefix = f"MATS_CCXT_{name.upper()}_"
        venues.append(
            CcxtVenueConfig(
                name=name,
                exchange_id=exchange_id.strip().lower(),
                account=account.strip(),
                api_key=env.get(prefix + "API_KEY") or None,
                secret=env.get(prefix + "SECRET") or None,
                password=env.get(prefix + "PASSWORD") or None,
                sandbox=env.get(prefix + "SANDBOX", "").strip().lower() in ("1", "true", "yes"),
            )
        )
    return tuple(venues)


def _number(env: Mapping[str, str], name: str, default: Decimal) -> Decimal:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValidationError(name, f"must be a number; got {raw!r}") from None
    if not value.is_finite() or value < 0:
        raise ValidationError(name, "must be a number of at least 0")
    return value


def _pairs(env: Mapping[str, str], name: str) -> dict[str, str]:
    """``A=x,B=y`` as a mapping."""
    pairs = {}
    for item in filter(None, (part.strip() for part in env.get(name, "").split(","))):
        key, equals, value = item.partition("=")
        if not equals or not key.strip() or not value.strip():
            raise ValidationError(
                name, f"expected NAME=VALUE pairs separated by commas; got {item!r}"
            )
        pairs[key.strip()] = value.strip()
    return pairs


def _window(env: Mapping[str, str], name: str) -> tuple[dt_time, dt_time] | None:
    """``HH:MM-HH:MM`` (UTC; may wrap midnight)."""
    raw = env.get(name, "").strip()
    if not raw:
        return None
    start, dash, end = raw.partition("-")
    try:
        if not dash:
            raise ValueError(raw)
        return dt_time.fromisoformat(start.strip()), dt_time.fromisoformat(end.strip())
    except ValueError:
        raise ValidationError(name, f"expected HH:MM-HH:MM (UTC); got {raw!r}") from None


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
        margin_limit=_fraction(env, "MATS_MARGIN_LIMIT", defaults.margin_limit),
        slippage_alpha_fraction=_fraction(
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
        cost_allowance=_fraction(env, "MATS_COST_ALLOWANCE", defaults.cost_allowance),
        base_currency=validate_currency(
            (env.get("MATS_BASE_CURRENCY") or defaults.base_currency).strip().upper(),
            "MATS_BASE_CURRENCY",
        ),
    )


def _fraction(env: Mapping[str, str], name: str, default: Decimal) -> Decimal:
    value = _number(env, name, default)
    if not 0 < value <= 1:
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
        secret_store: SecretStore | None = None,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self._publisher = publisher
        self._firestore_client = firestore_client
        self._secret_store = secret_store

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
    def secret_store(self) -> SecretStore:
        """Senders' signing keys: files under ``MATS_SECRETS_DIR`` (Secret Manager: issue 14)."""
        if self._secret_store is not None:
            return self._secret_store
        from mats.adapters.secrets import FileSecretStore, UnconfiguredSecretStore

        if self.settings.secrets_dir is None:
            return UnconfiguredSecretStore()
        return FileSecretStore(self.settings.secrets_dir)

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
        return AllocationService(
            self.portfolio,
            self.strategy_store,
            positions=self.trading_state,
            orders=self.execution_store,
            clock=self.clock,
        )

    @cached_property
    def cerebro(self) -> CerebroService:
        return CerebroService(
            store=self.decision_store,
            alerts=self.alerts,
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
            strategies=self.strategy_store,
            clock=self.clock,
        )

    @cached_property
    def backtests(self) -> BacktestService:
        return BacktestService(
            self.portfolio,
            self.strategies,
            self.publisher,
            self.clock,
            self.settings.backtest_dir,
        )

    @cached_property
    def optimizer(self) -> OptimizerService:
        return OptimizerService(self.portfolio, self.strategy_store, self.allocations, self.clock)

    @cached_property
    def ingest(self) -> IngestService:
        return IngestService(
            self.signal_store,
            self.secret_store,
            self.publisher,
            self.clock,
            settings=self.settings.ingest,
        )

    @cached_property
    def senders(self) -> SenderService:
        return SenderService(self.sender_store, self.secret_store, self.clock)

    @cached_property
    def strategies(self) -> StrategyService:
        return StrategyService(
            self.strategy_store, self.sender_store, self.trading_state, self.clock
        )

    @cached_property
    def execution_store(self) -> FirestoreExecutionStore:
        from mats.adapters.firestore.execution import FirestoreExecutionStore

        return FirestoreExecutionStore(self.firestore)

    @cached_property
    def notifier(self) -> Notifier:
        from mats.adapters.telegram import LogNotifier, TelegramNotifier

        config = self.settings.notifications
        if config.telegram_bot_token and config.telegram_chat_id:
            return TelegramNotifier(
                config.telegram_api_url, config.telegram_bot_token, config.telegram_chat_id
            )
        return LogNotifier()

    @cached_property
    def alerts(self) -> AlertService:
        return AlertService(
            self.trading_state, self.notifier, self.clock, self.settings.notifications.alerts
        )

    @cached_property
    def bridge(self) -> Bridge:
        """The execution bridge: its venues, execution and reconciliation (not yet started)."""
        from mats.adapters.brokers.paper import PaperBroker
        from mats.adapters.firestore.execution import FirestorePaperBook
        from mats.services.bridge import Bridge
        from mats.services.execution.accounts import AccountPublisher
        from mats.services.execution.booking import FillBooking
        from mats.services.execution.messages import MessageOut
        from mats.services.execution.router import VenueRouter
        from mats.services.execution.submission import OrderSubmission
        from mats.services.execution.venues import VenueWatch
        from mats.services.reconciliation import ReconciliationService

        config, state, execution = (
            self.settings.bridge,
            self.trading_state,
            self.settings.bridge.execution,
        )
        paper = PaperBroker(FirestorePaperBook(self.firestore), state, self.clock, config.paper)
        live: dict[str, Any] = {}
        feeds: dict[str, QuoteFeed] = {}
        sessions: list[Any] = []
        if config.ib_accounts:
            session, ib = self._interactive_brokers(lambda: bridge)
            live["IB"] = feeds["IB"] = ib
            sessions.append(session)
        for venue in config.ccxt_venues:
            live[venue.name] = feeds[venue.name] = self._ccxt(venue)
        accounts = dict.fromkeys(config.ib_accounts, "IB")
        accounts.update({venue.account: venue.name for venue in config.ccxt_venues})
        router = VenueRouter(paper, live, accounts)
        out = MessageOut(self.publisher, execution.publish_timeout_seconds)
        booking = FillBooking(store=self.execution_store, out=out, clock=self.clock)
        bridge = Bridge(
            submission=OrderSubmission(
                store=self.execution_store,
                router=router,
                booking=booking,
                alerts=self.alerts,
                clock=self.clock,
                settings=execution,
            ),
            booking=booking,
            accounts=AccountPublisher(
                router=router,
                accounts=state,
                out=out,
                alerts=self.alerts,
                clock=self.clock,
                margin_warning=execution.margin_warning,
                margin_limit=execution.margin_limit,
            ),
            venues=VenueWatch(
                router=router,
                alerts=self.alerts,
                clock=self.clock,
                outage_alert_after=execution.outage_alert_after,
            ),
            reconciliation=ReconciliationService(
                venues=live,
                accounts=accounts,
                positions=state,
                market=state,
                alerts=self.alerts,
                clock=self.clock,
                tolerance=config.reconcile_tolerance,
            ),
            router=router,
            market=state,
            alerts=self.alerts,
            feeds=feeds,
            sessions=sessions,
            clock=self.clock,
            settings=config.runtime,
        )
        return bridge

    def _ccxt(self, venue: CcxtVenueConfig) -> Any:
        from mats.adapters.brokers.ccxt import CcxtBroker, CcxtCredentials

        credentials = (
            CcxtCredentials(venue.api_key, venue.secret, venue.password)
            if venue.api_key and venue.secret
            else None
        )
        return CcxtBroker(
            venue.exchange_id,
            venue.account,
            credentials,
            sandbox=venue.sandbox,
            clock=self.clock,
        )

    def _interactive_brokers(self, bridge: Callable[[], Bridge]) -> tuple[IbSession, Any]:
        from mats.adapters.brokers.ib import IbBroker
        from mats.adapters.brokers.ib_session import IbSession, IbSettings

        config = self.settings.bridge
        session = IbSession(
            IbSettings(
                host=config.ib_host,
                port=config.ib_port,
                client_id=config.ib_client_id,
                accounts=tuple(config.ib_accounts.values()),
                heartbeat_seconds=config.ib_heartbeat_seconds,
                restart_window=config.ib_restart_window,
            ),
            clock=self.clock,
            # The bridge is built after its venues; these run only once it is started.
            on_connected=lambda: bridge().venue_connected("IB"),
            on_order_event=lambda reference: bridge().venue_event(reference),
        )
        return session, IbBroker(session, config.ib_accounts)


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
