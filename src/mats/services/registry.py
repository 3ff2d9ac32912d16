"""Manage the registries operators edit: signal senders and strategy configurations."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from mats.domain.portfolio import open_positions, working_orders
from mats.domain.senders import (
    DEFAULT_RATE_LIMIT_PER_MINUTE,
    Sender,
    SenderStatus,
    new_secret,
    new_sender_id,
    normalize_allowlist,
    signing_key,
    signing_key_name,
    validate_sender_settings,
    verifier_of,
)
from mats.domain.strategies import (
    RiskLimits,
    Strategy,
    StrategyFilter,
    StrategyStatus,
    validate_account_name,
    validate_strategy,
)
from mats.domain.trading import TradingMode
from mats.errors import ConflictError, NotFoundError, ValidationError
from mats.ports import (
    AccountStore,
    Clock,
    PortfolioStore,
    PositionStore,
    SecretStore,
    SenderStore,
    StrategyStore,
    WorkingOrderStore,
)


@dataclass(frozen=True)
class IssuedSecret:
    """A sender together with its plain secret, which is shown once and never stored."""

    sender: Sender
    secret: str


@dataclass(frozen=True)
class SenderMigration:
    """What ``migrate`` did: whose keys moved to the secret store, which names are shared."""

    keys_moved: tuple[str, ...]
    shared_names: dict[str, tuple[str, ...]]  # name -> its holder, then the others using it


class SenderService:
    def __init__(self, store: SenderStore, secrets: SecretStore, clock: Clock) -> None:
        self._store = store
        self._secrets = secrets
        self._clock = clock

    def create(
        self,
        name: str,
        *,
        ip_allowlist: tuple[str, ...] = (),
        max_lag_seconds: int | None = None,
        rate_limit_per_minute: int = DEFAULT_RATE_LIMIT_PER_MINUTE,
    ) -> IssuedSecret:
        """Register a sender under a name no other sender has, and issue its first secret."""
        if not name.strip():
            raise ValidationError("name", "must not be empty")
        validate_sender_settings(max_lag_seconds, rate_limit_per_minute)
        allowlist = normalize_allowlist(ip_allowlist)  # Before a key is kept: none if refused.
        now = self._clock.now()
        sender_id = new_sender_id(name)
        secret = new_secret()
        sender = Sender(
            sender_id=sender_id,
            name=name.strip(),
            secret_verifier=self._keep_key(sender_id, signing_key(secret)),
            created_at=now,
            updated_at=now,
            ip_allowlist=allowlist,
            max_lag_seconds=max_lag_seconds,
            rate_limit_per_minute=rate_limit_per_minute,
        )
        try:
            holder = self._store.create(sender)
        except Exception:
            self._drop_key(sender_id, sender.secret_verifier)
            raise
        if holder is not None:
            self._drop_key(sender_id, sender.secret_verifier)
            raise ConflictError(
                f"a sender named {sender.name!r} already exists: {holder} "
                "(names are compared ignoring case and spacing)"
            )
        return IssuedSecret(sender, secret)

    def rotate(self, sender_id: str, *, grace_seconds: int = 0) -> IssuedSecret:
        """Issue a new secret; the old one keeps working for ``grace_seconds`` (default: none)."""
        if grace_seconds < 0:
            raise ValidationError("grace", "must not be negative")
        sender = self.get(sender_id)
        now = self._clock.now()
        secret = new_secret()
        rotated = dataclasses.replace(
            sender,
            secret_verifier=self._keep_key(sender_id, signing_key(secret)),
            previous_secret_verifier=sender.secret_verifier if grace_seconds else None,
            previous_secret_valid_until=now + timedelta(seconds=grace_seconds)
            if grace_seconds
            else None,
            updated_at=now,
        )
        self._store.save(rotated)
        # Keys no verifier names any more are removed: without grace that includes the old one.
        kept = {rotated.secret_verifier, rotated.previous_secret_verifier}
        for verifier in {sender.secret_verifier, sender.previous_secret_verifier} - kept:
            if verifier is not None:
                self._drop_key(sender_id, verifier)
        return IssuedSecret(rotated, secret)

    def migrate(self) -> SenderMigration:
        """Bring senders stored by earlier versions up to date; running it again changes nothing.

        Signing keys still held in Firestore move to the secret store (Firestore keeps only their
        verifiers), and every sender's name is claimed, oldest sender first. Names that several
        senders already share are reported; those senders keep working.
        """
        moved = []
        for legacy in self._store.legacy_senders():
            for key in (legacy.signing_key, legacy.previous_signing_key):
                if key is not None:
                    self._keep_key(legacy.sender_id, key)
            # The store reads the old document shape; saving writes the new one without keys.
            self._store.save(self.get(legacy.sender_id))
            moved.append(legacy.sender_id)
        shared: dict[str, tuple[str, ...]] = {}
        for sender in sorted(self._store.list(), key=lambda each: each.created_at):
            holder = self._store.claim_name(sender)
            if holder != sender.sender_id:
                others = shared.get(sender.name, (holder,))
                shared[sender.name] = (*others, sender.sender_id)
        return SenderMigration(tuple(moved), shared)

    def update(
        self,
        sender_id: str,
        *,
        ip_allowlist: tuple[str, ...] | None = None,
        max_lag_seconds: int | None = None,
        clear_max_lag: bool = False,
        rate_limit_per_minute: int | None = None,
        status: SenderStatus | None = None,
    ) -> Sender:
        """Change a sender's settings; arguments left as ``None`` stay as they are. A change
        to what is already set (a repeat) writes nothing and answers the sender as it is."""
        sender = self.get(sender_id)
        updated = dataclasses.replace(
            sender,
            ip_allowlist=sender.ip_allowlist
            if ip_allowlist is None
            else normalize_allowlist(ip_allowlist),
            max_lag_seconds=None if clear_max_lag else (max_lag_seconds or sender.max_lag_seconds),
            rate_limit_per_minute=rate_limit_per_minute or sender.rate_limit_per_minute,
            status=status or sender.status,
        )
        validate_sender_settings(updated.max_lag_seconds, updated.rate_limit_per_minute)
        if updated == sender:
            return sender
        updated = dataclasses.replace(updated, updated_at=self._clock.now())
        self._store.save(updated)
        return updated

    def get(self, sender_id: str) -> Sender:
        sender = self._store.get(sender_id)
        if sender is None:
            raise NotFoundError(f"sender {sender_id!r} does not exist")
        return sender

    def list(self) -> Sequence[Sender]:
        return self._store.list()

    def _keep_key(self, sender_id: str, key: str) -> str:
        """Put a signing key in the secret store before anything names it; return its verifier."""
        verifier = verifier_of(key)
        self._secrets.put(signing_key_name(sender_id, verifier), key)
        return verifier

    def _drop_key(self, sender_id: str, verifier: str) -> None:
        self._secrets.delete(signing_key_name(sender_id, verifier))


@dataclass(frozen=True)
class StrategyChanges:
    """Fields to change on a strategy; ``None`` leaves a field as it is."""

    name: str | None = None
    status: StrategyStatus | None = None
    trading_mode: TradingMode | None = None
    account: str | None = None
    include_in_optimization: bool | None = None
    max_position_size: Decimal | None = None
    max_daily_loss: Decimal | None = None
    developer_contact: str | None = None
    notes: str | None = None
    sender_ids: tuple[str, ...] | None = None
    max_signal_lag_seconds: int | None = None
    cleared: frozenset[str] = field(default_factory=frozenset)


CLEARABLE = frozenset(
    {"max_position_size", "max_daily_loss", "developer_contact", "notes", "max_signal_lag_seconds"}
)


class StrategyService:
    def __init__(
        self,
        store: StrategyStore,
        senders: SenderStore,
        accounts: AccountStore,
        clock: Clock,
        *,
        allocations: PortfolioStore,
        positions: PositionStore,
        orders: WorkingOrderStore,
    ) -> None:
        self._store = store
        self._senders = senders
        self._accounts = accounts
        self._clock = clock
        self._allocations = allocations
        self._positions = positions
        self._orders = orders

    def create(self, strategy_id: str, changes: StrategyChanges) -> Strategy:
        """Register a strategy; name, status, trading mode and a known account are required."""
        now = self._clock.now()
        for required in ("name", "status", "trading_mode", "account"):
            if getattr(changes, required) is None:
                raise ValidationError(required, "is required")
        blank = Strategy(
            strategy_id=strategy_id,
            name=changes.name or "",
            status=changes.status or StrategyStatus.INACTIVE,
            trading_mode=changes.trading_mode or TradingMode.PAPER,
            account=changes.account or "",
            created_at=now,
            updated_at=now,
        )
        strategy = validate_strategy(self._apply(blank, changes))
        self.require_known_account(strategy.account)
        self._store.create(strategy)
        return strategy

    def update(
        self,
        strategy_id: str,
        changes: StrategyChanges,
        *,
        expected_updated_at: datetime | None = None,
    ) -> Strategy:
        """Change a strategy; takes effect for the next signal.

        With ``expected_updated_at`` (the ``updated_at`` the edit started from), a strategy
        changed since then is refused with ``ConflictError``: the edit would undo that change.
        """
        if changes == StrategyChanges():
            raise ValidationError("changes", "nothing to change: give at least one field")
        current = self.get(strategy_id)
        if expected_updated_at is not None and current.updated_at != expected_updated_at:
            raise ConflictError(
                f"strategy {strategy_id!r} was changed at {current.updated_at.isoformat()}, "
                "after this edit began; reload it and edit again"
            )
        strategy = validate_strategy(self._apply(current, changes))
        if changes.account is not None:
            self.require_known_account(strategy.account)
        self._store.save(strategy)
        return strategy

    def delete(self, strategy_id: str) -> Strategy:
        """Remove a strategy from the registry and return it as it was.

        Refused with ``ConflictError`` naming every reason while it could still trade: a percent
        in the ACTIVE allocation, a position that is not flat, or an order that has not ended.
        At 0% Cerebro sizes no entry for it, so no position can open between these checks and
        the delete. Its backtest and its history (signals, orders, fills, allocations) are kept.
        """
        strategy = self.get(strategy_id)
        reasons = self._trading(strategy_id)
        if reasons:
            raise ConflictError(
                f"strategy {strategy_id!r} cannot be deleted while it " + "; ".join(reasons)
            )
        self._store.delete(strategy_id)
        return strategy

    def _trading(self, strategy_id: str) -> list[str]:
        """Why the strategy could still trade (nothing when it cannot)."""
        reasons = []
        head = self._allocations.head()
        percent = head.allocations.get(strategy_id, Decimal(0)) if head else Decimal(0)
        if head is not None and percent > 0:
            reasons.append(
                f"has {percent}% in the ACTIVE allocation {head.allocation_id} "
                "(take it to 0% first)"
            )
        held = open_positions(
            strategy_id, self._positions.list_positions(account=None, strategy_id=strategy_id)
        )
        if held:
            reasons.append("holds " + ", ".join(p.describe() for p in held))
        working = working_orders(strategy_id, self._orders.active_orders())
        if working:
            count = len(working)
            listed = ", ".join(o.describe() for o in working)
            reasons.append(f"has {count} working order{'s' if count > 1 else ''}: {listed}")
        return reasons

    def require_known_account(self, account: str) -> str:
        """Refuse an account that neither the bridge reported nor ``mats accounts set`` recorded.

        Cerebro rejects every signal of a strategy whose account it cannot find, and a typo here
        would otherwise only surface as ACCOUNT_UNKNOWN on the first live signal.
        """
        validate_account_name(account)
        known = sorted(state.account for state in self._accounts.list_accounts())
        if account in known:
            return account
        listed = f"known accounts: {', '.join(known)}" if known else "no account is known yet"
        raise ValidationError(
            "account",
            f"unknown account {account!r}; {listed} "
            "(the bridge records the accounts it trades; record another with `mats accounts set`)",
        )

    def get(self, strategy_id: str) -> Strategy:
        strategy = self._store.get(strategy_id)
        if strategy is None:
            raise NotFoundError(f"strategy {strategy_id!r} does not exist")
        return strategy

    def list(self, query: StrategyFilter) -> Sequence[Strategy]:
        return self._store.list(query)

    def _apply(self, strategy: Strategy, changes: StrategyChanges) -> Strategy:
        unknown = changes.cleared - CLEARABLE
        if unknown:
            raise ValidationError(sorted(unknown)[0], "cannot be cleared")
        contradicted = sorted(c for c in changes.cleared if getattr(changes, c) is not None)
        if contradicted:
            raise ValidationError(contradicted[0], "is both given and cleared; do one or the other")
        for sender_id in changes.sender_ids or ():
            if self._senders.get(sender_id) is None:
                raise ValidationError("sender", f"sender {sender_id!r} does not exist")
        simple = {
            name: value
            for name in (
                "name",
                "status",
                "trading_mode",
                "account",
                "include_in_optimization",
                "developer_contact",
                "notes",
                "sender_ids",
                "max_signal_lag_seconds",
            )
            if (value := getattr(changes, name)) is not None
        }
        limits = dataclasses.replace(
            strategy.risk_limits,
            **{
                name: value
                for name in ("max_position_size", "max_daily_loss")
                if (value := getattr(changes, name)) is not None
            },
        )
        limit_names = set(RiskLimits.__annotations__)
        cleared_limits: dict[str, Any] = {name: None for name in changes.cleared & limit_names}
        cleared_fields: dict[str, Any] = {name: None for name in changes.cleared - limit_names}
        return dataclasses.replace(
            strategy,
            **simple,
            **cleared_fields,
            risk_limits=dataclasses.replace(limits, **cleared_limits),
            updated_at=self._clock.now(),
        )
