"""``Services``: every store and service of one process, wired on first use.

Each property imports its adapter or service when it is first read, so a process loads only the
code (and the client libraries, numpy or the solvers) of what it uses: ``mats strategies list``
never loads the optimiser, ingest never loads a broker.
"""

# ruff: noqa: PLC0415 - every adapter and service is imported where it is first needed (above).

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mats.adapters.clock import SystemClock
from mats.errors import TemporaryError, ValidationError
from mats.settings import Settings

if TYPE_CHECKING:
    from mats.adapters.firestore.execution import FirestoreExecutionStore
    from mats.adapters.firestore.ledger import FirestoreLedgerStore
    from mats.adapters.firestore.schedule import FirestoreNightlySchedule
    from mats.adapters.firestore.trading import FirestoreTradingState
    from mats.api.identity import Authenticator
    from mats.ports import (
        BacktestFiles,
        BridgeControl,
        Clock,
        DeadLetterHold,
        DecisionStore,
        NightlySchedule,
        Notifier,
        PipelineProbe,
        PortfolioStore,
        Publisher,
        RecordStore,
        SecretStore,
        SenderStore,
        SignalStore,
        StrategyStore,
        UserDirectory,
    )
    from mats.services.accounting.service import AccountingService
    from mats.services.alerts import AlertService
    from mats.services.allocations import AllocationService
    from mats.services.audit import AuditLog
    from mats.services.backtests import BacktestService
    from mats.services.bridge import Bridge
    from mats.services.cerebro import CerebroService
    from mats.services.dead_letters import DeadLetterService
    from mats.services.ingest import IngestService
    from mats.services.operations import OperationsService
    from mats.services.optimizer import OptimizerService
    from mats.services.registry import SenderService, StrategyService
    from mats.services.users import UserService
    from mats.settings.backtests import BacktestLocation


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
        user_directory: UserDirectory | None = None,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self._publisher = publisher
        self._firestore_client = firestore_client
        self._secret_store = secret_store
        self._user_directory = user_directory

    def close(self) -> None:
        """Close the Firestore client this instance created, if it created one."""
        client = self.__dict__.get("firestore")
        if client is not None and self._firestore_client is None:
            client.close()

    @cached_property
    def firestore(self) -> Any:
        if self._firestore_client is not None:
            return self._firestore_client
        from mats.adapters.firestore.client import firestore_client

        cloud = self.settings.cloud
        return firestore_client(cloud.project_id, cloud.firestore_emulator_host)

    @cached_property
    def publisher(self) -> Publisher:
        if self._publisher is not None:
            return self._publisher
        from mats.adapters.pubsub import PubSubPublisher

        cloud = self.settings.cloud
        return PubSubPublisher(cloud.project_id, emulator_host=cloud.pubsub_emulator_host)

    @cached_property
    def secret_store(self) -> SecretStore:
        """Senders' signing keys: files under ``MATS_SECRETS_DIR`` (the local stack), else
        Secret Manager in a real project; against emulators without a directory, none."""
        if self._secret_store is not None:
            return self._secret_store
        if self.settings.secrets_dir is not None:
            from mats.adapters.secrets import FileSecretStore

            return FileSecretStore(self.settings.secrets_dir)
        cloud = self.settings.cloud
        if cloud.firestore_emulator_host is None:
            from mats.adapters.secret_manager import SecretManagerSecretStore

            return SecretManagerSecretStore(cloud.project_id)
        from mats.adapters.secrets import UnconfiguredSecretStore

        return UnconfiguredSecretStore()

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
    def execution_store(self) -> FirestoreExecutionStore:
        from mats.adapters.firestore.execution import FirestoreExecutionStore

        return FirestoreExecutionStore(self.firestore)

    @cached_property
    def notifier(self) -> Notifier:
        from mats.adapters.telegram import LogNotifier, TelegramNotifier

        config = self.settings.notifications
        secret = config.telegram_bot_token_secret
        token = (lambda: self.secret_store.get(secret)) if secret else config.telegram_bot_token
        if token and config.telegram_chat_id:
            return TelegramNotifier(config.telegram_api_url, token, config.telegram_chat_id)
        return LogNotifier()

    @cached_property
    def alerts(self) -> AlertService:
        from mats.services.alerts import AlertService

        return AlertService(
            self.trading_state, self.notifier, self.clock, self.settings.notifications.alerts
        )

    @cached_property
    def allocations(self) -> AllocationService:
        from mats.services.allocations import AllocationService

        return AllocationService(
            self.portfolio,
            self.strategy_store,
            positions=self.trading_state,
            orders=self.execution_store,
            clock=self.clock,
        )

    @cached_property
    def cerebro(self) -> CerebroService:
        from mats.services.cerebro import CerebroService

        return CerebroService(
            store=self.decision_store,
            alerts=self.alerts,
            publisher=self.publisher,
            clock=self.clock,
            settings=self.settings.cerebro,
        )

    @cached_property
    def operations(self) -> OperationsService:
        from mats.services.operations import OperationsService

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
        from mats.services.backtests import BacktestService

        return BacktestService(self.portfolio, self.strategies, self.publisher, self.clock)

    @cached_property
    def backtest_files(self) -> BacktestFiles | None:
        """Where syncs read backtests (``MATS_BACKTEST_DIR``); ``None`` when it is not set."""
        location = self.settings.backtest_location
        return None if location is None else self.backtest_files_at(location)

    def backtest_files_at(self, location: BacktestLocation) -> BacktestFiles:
        """The backtest files in a directory, or under a Cloud Storage prefix."""
        if isinstance(location, Path):
            from mats.adapters.backtest_files import DirectoryBacktestFiles

            return DirectoryBacktestFiles(location)
        from mats.adapters.cloud_storage import CloudStorageBacktestFiles

        return CloudStorageBacktestFiles(
            location.bucket, location.prefix, project_id=self.settings.cloud.project_id
        )

    @cached_property
    def optimizer(self) -> OptimizerService:
        from mats.services.optimizer import OptimizerService

        return OptimizerService(self.portfolio, self.strategy_store, self.allocations, self.clock)

    @cached_property
    def ingest(self) -> IngestService:
        from mats.services.ingest import IngestService

        return IngestService(
            self.signal_store,
            self.secret_store,
            self.publisher,
            self.clock,
            settings=self.settings.ingest.service,
        )

    @cached_property
    def senders(self) -> SenderService:
        from mats.services.registry import SenderService

        return SenderService(self.sender_store, self.secret_store, self.clock)

    @cached_property
    def strategies(self) -> StrategyService:
        from mats.services.registry import StrategyService

        return StrategyService(
            self.strategy_store,
            self.sender_store,
            self.trading_state,
            self.clock,
            allocations=self.portfolio,
            positions=self.trading_state,
            orders=self.execution_store,
        )

    @cached_property
    def bridge(self) -> Bridge:
        """The execution bridge: its venues, execution and reconciliation (not yet started)."""
        from mats.bootstrap.bridge import build_bridge

        return build_bridge(self)

    @cached_property
    def bridge_control(self) -> BridgeControl:
        """The bridge's operator actions (cancel, reconcile) over its admin API, for the
        dashboard API: at ``MATS_BRIDGE_URL``."""
        from mats.adapters.bridge_control import HttpBridgeControl

        api = self.settings.api
        if api.bridge_url is None:
            raise TemporaryError("the bridge is not configured here: set MATS_BRIDGE_URL")
        return HttpBridgeControl(api.bridge_url, audience=api.bridge_audience)

    @cached_property
    def pipeline_probe(self) -> PipelineProbe:
        """The pipeline's processes and subscription backlogs for the health page: the local
        stack's (``MATS_LOCAL_STACK_FILE``) or the project's Cloud Run services and Pub/Sub
        metrics in ``MATS_REGION``."""
        api, cloud = self.settings.api, self.settings.cloud
        if api.local_stack_file is not None and cloud.pubsub_emulator_host is not None:
            from mats.adapters.local_pipeline import LocalPipelineProbe

            return LocalPipelineProbe(Path(api.local_stack_file), cloud.pubsub_emulator_host)
        if api.region is None:
            raise TemporaryError("the platform is not configured here: set MATS_REGION")
        from mats.adapters.cloud_pipeline import CloudPipelineProbe

        return CloudPipelineProbe(cloud.project_id, api.region)

    @cached_property
    def ledger_store(self) -> FirestoreLedgerStore:
        from mats.adapters.firestore.ledger import FirestoreLedgerStore

        return FirestoreLedgerStore(self.firestore)

    @cached_property
    def records(self) -> RecordStore:
        from mats.adapters.firestore.records import FirestoreRecords

        return FirestoreRecords(self.firestore)

    @cached_property
    def accounting(self) -> AccountingService:
        """Fund accounting: ledgers, valuation, investors, payouts and the read models."""
        from mats.services.accounting.service import AccountingService

        return AccountingService(
            ledger=self.ledger_store,
            records=self.records,
            orders=self.execution_store,
            signals=self.signal_store,
            alerts=self.trading_state,
            portfolio=self.portfolio,
            clock=self.clock,
            settings=self.settings.accounting,
        )

    @cached_property
    def audit(self) -> AuditLog:
        """Every admin write, appended: who, when, what, before and after."""
        from mats.services.audit import AuditLog

        return AuditLog(self.records, self.clock)

    @cached_property
    def authenticator(self) -> Authenticator:
        """The dashboard API's sign-in check: Firebase ID tokens and their user records."""
        from mats.adapters.firebase_auth import firebase_app, refuse_emulator_in_cloud
        from mats.adapters.firebase_tokens import FirebaseIdentity
        from mats.api.identity import Authenticator

        refuse_emulator_in_cloud(self.settings.env)  # With it the SDK takes unsigned tokens.
        api = self.settings.api
        return Authenticator(
            FirebaseIdentity(firebase_app(api.firebase_project)),
            self.clock,
            project=api.firebase_project,
            skew_seconds=api.clock_skew_seconds,
        )

    @cached_property
    def dead_letters(self) -> DeadLetterService:
        """Dead letters: recorded once, counted per source subscription, alerted."""
        from mats.services.dead_letters import DeadLetterService

        return DeadLetterService(self.records, self.alerts, self.clock)

    @cached_property
    def dead_letter_hold(self) -> DeadLetterHold:
        """The ``-dead-letter-hold`` subscriptions, pulled to replay what they keep."""
        from mats.adapters.pubsub import PubSubDeadLetterHold

        cloud = self.settings.cloud
        return PubSubDeadLetterHold(cloud.project_id, emulator_host=cloud.pubsub_emulator_host)

    @cached_property
    def nightly_schedule(self) -> NightlySchedule:
        """The nightly optimisation's schedule: Cloud Scheduler's job in a project, the local
        stack's schedule document against emulators."""
        if self.settings.cloud.firestore_emulator_host is not None:
            return self.local_schedule
        from mats.adapters.cloud_scheduler import CloudSchedulerNightlySchedule

        schedule = self.settings.schedule
        return CloudSchedulerNightlySchedule(
            schedule.job_name(self.settings.cloud.project_id), self.clock
        )

    @cached_property
    def local_schedule(self) -> FirestoreNightlySchedule:
        """The local stack's schedule document, which its nightly runner reads."""
        from mats.adapters.firestore.schedule import FirestoreNightlySchedule

        return FirestoreNightlySchedule(
            self.firestore, self.clock, self.settings.schedule.optimize_at
        )

    @cached_property
    def user_directory(self) -> UserDirectory:
        """Firebase Auth's users (the Auth emulator's with ``FIREBASE_AUTH_EMULATOR_HOST``).

        Refused on Cloud Run when the emulator is configured: it would accept forged tokens.
        """
        if self._user_directory is not None:
            return self._user_directory
        from mats.adapters.firebase_auth import (
            FirebaseUsers,
            firebase_app,
            refuse_emulator_in_cloud,
        )

        refuse_emulator_in_cloud(self.settings.env)
        firebase = self.settings.firebase
        return FirebaseUsers(
            firebase_app(firebase.project_id), emulator_host=firebase.auth_emulator_host
        )

    @cached_property
    def users(self) -> UserService:
        """Dashboard users: their roles over clients' and senders' data, checked against both."""
        from mats.services.users import UserService

        return UserService(
            self.user_directory,
            client_exists=self._client_exists,
            sender_exists=lambda sender_id: self.sender_store.get(sender_id) is not None,
        )

    def _client_exists(self, client_id: str) -> bool:
        try:
            self.accounting.investors.client(client_id)
        except ValidationError:
            return False
        return True
