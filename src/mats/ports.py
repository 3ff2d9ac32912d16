"""The ports the core talks through; adapters implement them, tests pass fakes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, runtime_checkable

from mats.errors import ConflictError

T = TypeVar("T")
C = TypeVar("C")

# Annotations only: whoever imports a port loads none of the domain it speaks about (a CLI
# listing strategies never loads decisions, backtests or the wire contracts).
if TYPE_CHECKING:
    from mats.contracts import EncodedMessage
    from mats.domain.accounting import AccountState, StrategyPosition
    from mats.domain.accounting.lots import LotFill
    from mats.domain.accounting.views import LedgerRecord, SignalPnl
    from mats.domain.alerts import Alert
    from mats.domain.backtests import BacktestRecord, BacktestSeries, BacktestSummary
    from mats.domain.cerebro.context import DecisionInputs
    from mats.domain.cerebro.decisions import Decision
    from mats.domain.execution.records import OrderRecord
    from mats.domain.execution.states import OrderState
    from mats.domain.market import FxRate, Instrument, Quote
    from mats.domain.optimization import BacktestJob, OptimizationRun, SandboxRun
    from mats.domain.orders import Fill, Order
    from mats.domain.pipeline import ProcessState, SubscriptionBacklog
    from mats.domain.portfolio import Activation, Allocation, AllocationStatus
    from mats.domain.risk import RiskSetting
    from mats.domain.schedule import DailyTime, RunRequest, Schedule
    from mats.domain.senders import LegacySender, Sender
    from mats.domain.signals.records import SignalClaim, SignalRecord, SignalStatus
    from mats.domain.signals.signal import Signal
    from mats.domain.strategies import Strategy, StrategyFilter
    from mats.domain.users import Access, User
    from mats.domain.venues import (
        BridgeHealth,
        VenueAccount,
        VenueFill,
        VenueOrderReport,
        VenueStatus,
    )


class Clock(Protocol):
    def now(self) -> datetime:
        """Return the current time, timezone-aware UTC."""
        ...


class Publisher(Protocol):
    def publish(self, message: EncodedMessage, *, timeout: float) -> str:
        """Publish one message and return its message id; raise ``TemporaryError`` on failure."""
        ...


class SenderStore(Protocol):
    def get(self, sender_id: str) -> Sender | None: ...

    def create(self, sender: Sender) -> str | None:
        """Store a new sender and claim its normalised name, unless another sender holds it.

        Return ``None`` when stored, or the id of the sender holding the name (nothing is
        stored). Of concurrent creates with one name exactly one stores. Raise
        ``ConflictError`` if the id exists.
        """
        ...

    def claim_name(self, sender: Sender) -> str:
        """Claim a stored sender's name if nobody holds it; return the id of its holder."""
        ...

    def save(self, sender: Sender) -> None: ...

    def list(self) -> Sequence[Sender]: ...

    def legacy_senders(self) -> Sequence[LegacySender]:
        """Senders whose stored document still holds signing keys (written before verifiers)."""
        ...


@dataclass(frozen=True)
class HeldMessage:
    """A message a dead-letter hold keeps: leased under ``ack_id`` until acknowledged."""

    ack_id: str
    message_id: str
    data: bytes
    attributes: Mapping[str, str]
    ordering_key: str = ""


class DeadLetterHold(Protocol):
    """The ``-dead-letter-hold`` pull subscriptions, for replays."""

    def pull(self, subscription: str, limit: int) -> Sequence[HeldMessage]:
        """Lease up to ``limit`` held messages (none waiting: an empty list at once)."""
        ...

    def acknowledge(self, subscription: str, ack_ids: Sequence[str]) -> None:
        """Drop leased messages from the hold for good."""
        ...


@dataclass(frozen=True)
class SecretInfo:
    """What a secret store says about a secret: never its value."""

    name: str
    versions: int
    latest_enabled: int | None = None  # The version ``get`` reads; ``None`` when none is enabled.
    updated_at: datetime | None = None


@runtime_checkable
class SecretCatalog(Protocol):
    """A secret store that can list what it holds (``mats secrets list``)."""

    def list_secrets(self) -> Sequence[SecretInfo]: ...


class SecretStore(Protocol):
    """Secret material (senders' signing keys), kept apart from the database."""

    def get(self, name: str) -> str | None:
        """Return the secret's value, or ``None`` if there is none."""
        ...

    def put(self, name: str, value: str) -> None:
        """Store a secret, replacing any earlier value."""
        ...

    def delete(self, name: str) -> None:
        """Remove a secret; removing one that is absent is not an error."""
        ...


class BacktestFiles(Protocol):
    """The backtest files a sync reads (``{strategy_id}.csv`` each, optionally ``metadata.csv``),
    all directly in one place: a directory, a Cloud Storage prefix."""

    location: str  # Where they are, as an operator writes it (in messages).

    def names(self) -> Sequence[str]:
        """The ``.csv`` file names directly in the location, sorted; ``ValidationError`` when the
        location does not exist or may not be read, ``TemporaryError`` when it cannot be reached.
        """
        ...

    def read(self, name: str) -> bytes | None:
        """Return one file's bytes, or ``None`` when there is no such file."""
        ...


class StrategyStore(Protocol):
    def get(self, strategy_id: str) -> Strategy | None: ...

    def create(self, strategy: Strategy) -> None:
        """Store a new strategy; raise ``ConflictError`` if the id exists."""
        ...

    def save(self, strategy: Strategy) -> None: ...

    def delete(self, strategy_id: str) -> None:
        """Remove a strategy; removing one that is not there changes nothing."""
        ...

    def list(self, query: StrategyFilter) -> Sequence[Strategy]: ...


@dataclass(frozen=True)
class WebhookContext:
    """The sender and strategy documents a webhook needs, fetched together in one read."""

    sender: Sender | None
    strategy: Strategy | None


@dataclass(frozen=True)
class Recorded:
    """The signal was new and is now stored."""

    record: SignalRecord


@dataclass(frozen=True)
class Duplicate:
    """The business key was already claimed; ``existing`` is the signal it produced."""

    existing: SignalRecord


class SignalStore(Protocol):
    def webhook_context(self, sender_id: str, strategy_id: str | None) -> WebhookContext:
        """Fetch the sender and (when named) the strategy in one round trip."""
        ...

    def record(
        self, claim: SignalClaim, build: Callable[[str], SignalRecord]
    ) -> Recorded | Duplicate:
        """Store a new signal unless its claim's key is already taken.

        The signal id is ``{claim.id_prefix}_{n}`` with the smallest free ``n``; ``build`` makes
        the record for a given id. A claim in ``claim.previous_key_id`` that still covers this one
        (``claim.is_repeat_of``) also makes it a duplicate. Concurrent calls with one key yield
        exactly one ``Recorded``.
        """
        ...

    def get(self, signal_id: str) -> SignalRecord | None: ...

    def mark_published(self, signal_id: str, message_id: str, published_at: datetime) -> None: ...

    def mark_publish_failed(self, signal_id: str, error: str, failed_at: datetime) -> None: ...

    def lease_pending(
        self, now: datetime, created_before: datetime, lease: timedelta, limit: int
    ) -> Sequence[SignalRecord]:
        """Lease accepted signals still waiting to be published, so one sweeper publishes each."""
        ...

    def page(
        self,
        *,
        strategy_id: str | None,
        sender_id: str | None,
        status: SignalStatus | None,
        limit: int,
        after: str | None = None,
    ) -> tuple[list[SignalRecord], str | None]:
        """A page of signals, latest received first, continuing ``after`` a signal id, and the
        cursor of the next page (``None`` on the last)."""
        ...

    def list(
        self,
        *,
        strategy_id: str | None,
        sender_id: str | None,
        status: SignalStatus | None,
        limit: int,
    ) -> Sequence[SignalRecord]:
        """Return the latest signals first."""
        ...


@dataclass(frozen=True)
class StoredDecision:
    """A decision as stored, with the exact order message bodies and whether they went out."""

    decision: Decision
    messages: tuple[EncodedMessage, ...]
    published: bool


class DecisionSupersededError(ConflictError):
    """Another decision on the account claimed the same sequence first: decide again."""


class DecisionStore(Protocol):
    def inputs_for(self, signal: Signal) -> tuple[DecisionInputs, StoredDecision | None]:
        """Read everything a decision needs, and any decision already made for the signal."""
        ...

    def record(self, decision: Decision, messages: Sequence[EncodedMessage]) -> StoredDecision:
        """Store the decision with its orders, alerts and risk change, unless one exists.

        Returns what is stored for the signal afterwards (the earlier decision if there was one).
        Raises ``DecisionSupersededError`` when another decision took ``decision.sequence`` on
        the account first (nothing of this one is kept).
        """
        ...

    def mark_published(
        self, decision: Decision, message_ids: Sequence[str], at: datetime
    ) -> None: ...

    def get(self, signal_id: str) -> StoredDecision | None: ...

    def get_many(self, signal_ids: Sequence[str]) -> Sequence[StoredDecision]:
        """The decisions of these signals that exist, in one read."""
        ...

    def orders_page(
        self,
        *,
        strategy_id: str | None,
        account: str | None = None,
        state: OrderState | None = None,
        limit: int,
        after: str | None = None,
    ) -> tuple[list[OrderRecord], str | None]:
        """A page of orders, latest decided first, continuing ``after`` an order id."""
        ...

    def list(self, *, strategy_id: str | None, limit: int) -> Sequence[StoredDecision]: ...

    def list_orders(
        self, *, strategy_id: str | None, account: str | None, limit: int
    ) -> Sequence[OrderRecord]: ...


class AccountStore(Protocol):
    def put_account(self, account: AccountState) -> None: ...

    def list_accounts(self) -> Sequence[AccountState]: ...

    def accounts_page(
        self, *, limit: int, after: str | None = None
    ) -> tuple[list[AccountState], str | None]:
        """A page of accounts by name, continuing ``after`` an account."""
        ...


class LedgerStore(Protocol):
    """The accounting's facts and lot ledgers (``functions/dashboard`` is their one writer)."""

    def create_fill(self, fill: LotFill) -> bool:
        """Record an execution once; ``False`` if it was already recorded."""
        ...

    def fill_applied(self, execution_id: str) -> bool: ...

    def mark_fill_applied(self, execution_id: str) -> None: ...

    def fills_of(self, ledger_id: str) -> Sequence[LotFill]: ...

    def fills_until(self, at: datetime) -> Sequence[LotFill]: ...

    def ledger(self, ledger_id: str) -> LedgerRecord | None: ...

    def ledgers(self) -> Sequence[LedgerRecord]: ...

    def put_ledger(
        self, record: LedgerRecord, signals: Sequence[SignalPnl], stale: Sequence[str] = ()
    ) -> None:
        """Write the ledger and the signals its fill touched (dropping ``stale`` ones' P&L:
        signals that open no lot once the ledger is folded in time order), in one batch."""
        ...

    def signal_pnls(self, signal_ids: Sequence[str]) -> Sequence[SignalPnl]: ...

    def signal_pnls_of(
        self,
        *,
        sender_id: str | None,
        strategy_id: str | None,
        limit: int,
        after: str | None = None,
    ) -> tuple[list[SignalPnl], str | None]:
        """A page of signals (newest P&L change first) and the cursor of the next page."""
        ...

    def sender_of(self, signal_id: str) -> str | None:
        """The sender whose webhook became this signal (``None``: unknown signal)."""
        ...

    def record_account(self, state: AccountState, marks: Sequence[tuple[str, Decimal]]) -> bool:
        """Keep an account update in the history; ``False`` if already kept. The latest
        state moves only forward: an update older than the stored one changes nothing."""
        ...

    def latest_accounts(self) -> Sequence[AccountState]: ...

    def accounts_at(self, at: datetime) -> Sequence[AccountState]: ...

    def broker_marks(self, at: datetime | None) -> Sequence[tuple[str, Decimal, datetime, str]]:
        """(symbol, mark, as_of, account) from the accounts' latest states at or before ``at``."""
        ...

    def quotes(self) -> Sequence[Quote]: ...

    def fx_history(self) -> Sequence[FxRate]: ...

    def fx_rates_at(self, at: datetime) -> Sequence[FxRate]:
        """Each pair's latest rate at or before ``at``."""
        ...


@dataclass(frozen=True)
class CountedIn(Generic[C]):
    """The document a create also counts in: ``count`` turns its current value (``None``: none
    yet) into the new one."""

    collection: str
    document_id: str
    cls: type[C]
    count: Callable[[C | None], C]


class RecordStore(Protocol):
    """Collections of dataclass documents: the accounting's records and read models."""

    def get(self, collection: str, document_id: str, cls: type[T]) -> T | None: ...

    def get_many(self, collection: str, document_ids: Sequence[str], cls: type[T]) -> list[T]: ...

    def put(self, collection: str, document_id: str, value: Any) -> None: ...

    def put_all(self, collection: str, items: Sequence[tuple[str, Any]]) -> None: ...

    def create(self, collection: str, document_id: str, value: Any) -> bool:
        """Create once; ``False`` if the id exists (the first writer wins)."""
        ...

    def create_counted(
        self, collection: str, document_id: str, value: Any, *, counter: CountedIn[Any]
    ) -> bool:
        """Create once and, atomically with it, replace the counter's document with
        ``counter.count`` of its current value; ``False`` (nothing written) if the id exists."""
        ...

    def delete(self, collection: str, document_id: str) -> None: ...

    def page(
        self,
        collection: str,
        cls: type[T],
        *,
        filters: Sequence[tuple[str, str, Any]] = (),
        order_by: str,
        descending: bool = False,
        limit: int,
        after: str | None = None,
    ) -> tuple[list[T], str | None]:
        """One page in ``order_by`` order and the id to pass as ``after`` for the next."""
        ...

    def list(
        self,
        collection: str,
        cls: type[T],
        *,
        filters: Sequence[tuple[str, str, Any]] = (),
        order_by: str | None = None,
        descending: bool = False,
        limit: int | None = None,
    ) -> list[T]: ...


class PositionStore(Protocol):
    def put_position(self, position: StrategyPosition) -> None: ...

    def list_positions(
        self, *, account: str | None, strategy_id: str | None
    ) -> Sequence[StrategyPosition]: ...

    def positions_page(
        self,
        *,
        account: str | None,
        strategy_id: str | None,
        limit: int,
        after: str | None = None,
    ) -> tuple[list[StrategyPosition], str | None]:
        """A page of positions by account, then id (``{account}__{strategy}__{symbol}``),
        continuing ``after`` a position's id."""
        ...


class WorkingOrderStore(Protocol):
    def active_orders(self) -> Sequence[OrderRecord]:
        """Orders not yet ended (they may still fill), and exits waiting for a retry."""
        ...


class MarketDataStore(Protocol):
    def put_instrument(self, instrument: Instrument) -> None: ...

    def list_instruments(self) -> Sequence[Instrument]: ...

    def put_quote(self, quote: Quote) -> None: ...

    def put_fx_rate(self, rate: FxRate) -> None: ...


class BridgeHealthStore(Protocol):
    def put_bridge_health(self, health: BridgeHealth) -> None:
        """Keep the bridge's session state where the dashboard's health view reads it."""
        ...


class RiskStore(Protocol):
    def put_risk(self, setting: RiskSetting) -> None: ...

    def list_risk(self) -> Sequence[RiskSetting]: ...


class PortfolioStore(Protocol):
    """Backtests, allocations with their activation log, optimisation and sandbox runs, jobs."""

    def put_backtest(self, record: BacktestRecord) -> None: ...

    def backtest_summaries(self) -> Sequence[BacktestSummary]: ...

    def backtest_summary(self, strategy_id: str) -> BacktestSummary | None: ...

    def backtest_series(self, strategy_ids: Sequence[str]) -> Mapping[str, BacktestSeries]: ...

    def create_allocation(self, allocation: Allocation) -> None:
        """Store a new allocation; raise ``ConflictError`` if its id is taken."""
        ...

    def put_allocation(self, allocation: Allocation) -> None: ...

    def put_allocations(self, allocations: Sequence[Allocation]) -> None:
        """Write several allocations in one batch (status changes of an activation)."""
        ...

    def get_allocation(self, allocation_id: str) -> Allocation | None: ...

    def list_allocations(self, *, limit: int, before: str | None = None) -> Sequence[Allocation]:
        """Newest first; ``before`` continues after that allocation id."""
        ...

    def allocations_with_status(self, status: AllocationStatus) -> Sequence[Allocation]: ...

    def head(self) -> Activation | None:
        """The newest activation, which names the ACTIVE allocation."""
        ...

    def append_activation(self, activation: Activation) -> None:
        """Add the next activation; raise ``ConflictError`` if its sequence is taken."""
        ...

    def claim_run_date(self, run_date: date, run_id: str) -> str | None:
        """Claim a date for a nightly run; return the run id already holding it, if any."""
        ...

    def release_run_date(self, run_date: date, run_id: str) -> None: ...

    def claim_run_request(self, request_id: str, attempt: int, at: datetime) -> datetime | None:
        """Claim an attempt at running a request; return when it was claimed, if it was before
        (of concurrent claims of one attempt exactly one gets ``None`` and runs it)."""
        ...

    def request_runs(self, request_id: str) -> Sequence[OptimizationRun]:
        """The runs made for a request, every attempt."""
        ...

    def create_run(self, run: OptimizationRun) -> None:
        """Store a new run; raise ``ConflictError`` if its id is taken."""
        ...

    def put_run(self, run: OptimizationRun) -> None: ...

    def get_run(self, run_id: str) -> OptimizationRun | None: ...

    def list_runs(self, *, limit: int) -> Sequence[OptimizationRun]: ...

    def put_sandbox(self, run: SandboxRun) -> None: ...

    def get_sandbox(self, sandbox_id: str) -> SandboxRun | None: ...

    def sandbox_page(
        self, *, limit: int, after: str | None = None
    ) -> tuple[list[SandboxRun], str | None]:
        """Newest first; ``after`` (the previous page's last sandbox id) continues after it,
        and the id to continue after this page comes back (``None`` on the last page)."""
        ...

    def put_job(self, job: BacktestJob) -> None: ...

    def get_job(self, job_id: str) -> BacktestJob | None: ...

    def optimizer_settings(self) -> dict[str, Any] | None: ...

    def put_optimizer_settings(self, settings: Mapping[str, Any]) -> None: ...


class AlertStore(Protocol):
    def create_alert(self, alert: Alert) -> bool:
        """Store a new alert; ``False`` (and nothing changed) if its id was raised before."""
        ...

    def mark_notified(self, alert: Alert, at: datetime) -> None:
        """Record one more notice sent (never touching an acknowledgement made meanwhile)."""
        ...

    def acknowledge(self, alert_id: str, *, by: str, at: datetime) -> Alert | None:
        """Mark an alert seen (once: a second acknowledgement keeps the first); ``None`` if
        there is no such alert."""
        ...

    def get_alert(self, alert_id: str) -> Alert | None: ...

    def list_alerts(self, *, limit: int, outstanding: bool = False) -> Sequence[Alert]:
        """Newest first; ``outstanding``: only those people still have to be told about."""
        ...


class Broker(Protocol):
    """One venue. Calls block; venue failures are translated at the adapter's boundary:
    ``TemporaryError`` (disconnected, timed out, rate limited: try again later) or
    ``OrderRejectedError`` (the venue refused the order: record it, do not retry).
    ``native_brackets``: the venue holds a bracket's legs with the entry (else the bridge places
    them after the fill)."""

    native_brackets: bool

    def place(self, order: Order) -> VenueOrderReport:
        """Submit an order under its MATS id; return what the venue reports right away."""
        ...

    def lookup(self, order_id: str, *, symbol: str | None = None) -> VenueOrderReport | None:
        """Find an order by its MATS reference (``None``: the venue has never seen it).

        ``symbol`` (MATS's) is the order's instrument, for venues that file orders by market.
        """
        ...

    def cancel(self, order_id: str, *, symbol: str | None = None) -> VenueOrderReport | None:
        """Cancel a working order; an order already ended is reported as it is."""
        ...

    def executions(self, since: datetime) -> Sequence[VenueFill]:
        """Every execution since ``since`` that the venue still reports."""
        ...

    def account(self, account: str) -> VenueAccount: ...

    def status(self) -> VenueStatus: ...


@dataclass(frozen=True)
class SendFacts:
    """The fund's and the strategy's trading state, the strategy's position in the order's
    instrument, its other orders there that have not ended, and the instrument's stored quote
    (the arrival price of an order sent now)."""

    fund: RiskSetting | None
    strategy: RiskSetting | None
    position: StrategyPosition | None
    working: tuple[OrderRecord, ...]
    quote: Quote | None = None


class QuoteFeed(Protocol):
    """A venue that prices instruments (the bridge writes its quotes for Cerebro)."""

    def serves(self, instrument: Instrument) -> bool: ...

    def quote(self, instrument: Instrument) -> Quote | None: ...


class FxFeed(Protocol):
    """A venue that prices currencies against each other (a ccxt exchange's tickers)."""

    def fx_rates(self) -> Sequence[FxRate]:
        """Its configured pairs' rates now; a pair it cannot price now is left out."""
        ...


class ExecutionStore(Protocol):
    """Orders as executed, submission claims, fills applied once each, and the ledger."""

    def order(self, order_id: str) -> OrderRecord | None: ...

    def put_order(self, record: OrderRecord) -> None: ...

    def active_orders(self) -> Sequence[OrderRecord]:
        """Orders not yet ended (for polling), and exits waiting for a retry."""
        ...

    def claim_submission(self, order_id: str, at: datetime) -> datetime | None:
        """Claim the right to send an order; return when it was claimed before, if it was."""
        ...

    def release_claim(self, order_id: str) -> None:
        """Give a claim back (nothing was sent), so the next delivery sends at once."""
        ...

    def record_fill(self, fill: Fill) -> bool:
        """Store a fill unless its execution id is known; ``True`` if it was new."""
        ...

    def apply_fill(self, fill: Fill, position: StrategyPosition) -> None:
        """Write the position after ``fill`` and mark the fill applied, in one batch."""
        ...

    def unapplied_fills(self) -> Sequence[Fill]: ...

    def mark_fill_published(self, execution_id: str) -> None: ...

    def unpublished_fills(self) -> Sequence[Fill]: ...

    def fills_page(
        self,
        *,
        strategy_id: str | None,
        account: str | None = None,
        order_id: str | None = None,
        limit: int,
        after: str | None = None,
    ) -> tuple[list[Fill], str | None]:
        """A page of fills, latest executed first, continuing ``after`` an execution id."""
        ...

    def fills_of(self, order_ids: Sequence[str]) -> Sequence[Fill]:
        """Every fill of these orders (a page's worth: the read grows with them, not history)."""
        ...

    def position(self, account: str, strategy_id: str, symbol: str) -> StrategyPosition | None: ...

    def send_facts(self, order: Order) -> SendFacts:
        """What the risk gate looks at just before ``order`` is sent, and the instrument's
        quote, read together."""
        ...


class Notifier(Protocol):
    def notify(self, alert: Alert) -> bool:
        """Tell people (Telegram, ...); ``True`` once delivered. Never raises."""
        ...


@dataclass(frozen=True)
class UserFacts:
    """What the identity provider's user record says now (its custom claims hold the role)."""

    uid: str
    email: str | None
    disabled: bool
    claims: Mapping[str, Any]


class IdentityProvider(Protocol):
    """Sign-in tokens and the user records they name (Firebase Authentication)."""

    def verify(self, token: str) -> Mapping[str, Any]:
        """The token's claims, verified (revocation included); raises ``Unauthenticated``."""
        ...

    def user(self, uid: str) -> UserFacts | None: ...


@dataclass(frozen=True)
class UserPage:
    """One page of users and the token of the next (``None`` on the last page)."""

    users: Sequence[User]
    next_page_token: str | None


class UserDirectory(Protocol):
    """Dashboard users in the identity provider: their sign-in, role and scope.

    ``user`` is a uid or an email address (anything with an ``@``). Every call raises
    ``NotFoundError`` for an unknown user, ``TemporaryError`` when the provider cannot be
    reached, and ``PermanentError`` when it refuses for any other reason.
    """

    def create(
        self,
        email: str,
        password: str,
        access: Access,
        *,
        display_name: str | None = None,
        email_verified: bool = False,
    ) -> User:
        """Create a user with this access; raise ``ConflictError`` if the email is taken."""
        ...

    def get(self, user: str) -> User | None:
        """Return the user, or ``None`` if there is none."""
        ...

    def page(self, page_token: str | None = None, size: int = 1000) -> UserPage:
        """Return one page of users, in the provider's order."""
        ...

    def set_access(self, user: str, access: Access) -> User:
        """Replace the user's role and scope and revoke its sessions (old tokens stop working)."""
        ...

    def set_disabled(self, user: str, disabled: bool) -> User:
        """Disable the user (and revoke its sessions) or enable it again."""
        ...


class NightlySchedule(Protocol):
    """The nightly optimisation's schedule: Cloud Scheduler's job in a project, the local
    stack's schedule document locally. A change that changes nothing (pausing a paused
    schedule, setting the time it has) writes nothing; every call answers the schedule after it.
    Raises ``TemporaryError`` when the scheduler cannot be reached."""

    def show(self) -> Schedule: ...

    def pause(self) -> Schedule:
        """Stop the scheduled runs: a run time that passes while paused is not made."""
        ...

    def resume(self) -> Schedule:
        """Make the scheduled runs again, from the next run time on."""
        ...

    def set_time(self, daily: DailyTime) -> Schedule:
        """Run at this time of day in this time zone from now on."""
        ...

    def run_now(self, request_id: str, requested_by: str) -> tuple[RunRequest, bool]:
        """Ask for one run now, even while paused; ``False`` when this request id was asked
        for before (nothing more runs: the request answered is the earlier one)."""
        ...


class BridgeControl(Protocol):
    """The execution bridge's operator actions, asked of the bridge itself (it holds the venues).

    Every call raises ``NotFoundError`` for an unknown order, ``TemporaryError`` when the bridge
    cannot be reached or cannot do it now, and ``MatsError`` when it refuses for another reason.
    """

    def cancel_order(self, order_id: str, *, by: str | None = None) -> OrderRecord:
        """Cancel the order at its venue and stop its retries (``by``: who asked, recorded on
        it; default the bridge's authenticated caller); return it as the bridge has it."""
        ...

    def reconcile(self, account: str | None = None) -> list[dict[str, Any]]:
        """Reconcile one account (or every live one) now: each account's report."""
        ...

    def status(self) -> dict[str, Any]:
        """The bridge's venues, background jobs and last reconciliation."""
        ...


class PipelineProbe(Protocol):
    """What runs the pipeline, as its platform reports it: Cloud Run's services and Cloud
    Monitoring's subscription metrics in a project, ``stack.json`` and the Pub/Sub service
    locally. Raises ``TemporaryError`` when the platform cannot be asked."""

    def processes(self) -> Sequence[ProcessState]:
        """Every deployable, by name."""
        ...

    def backlog(self) -> Sequence[SubscriptionBacklog]:
        """Every subscription with its unacknowledged messages, by name."""
        ...
