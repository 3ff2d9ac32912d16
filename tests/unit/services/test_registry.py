import threading
from datetime import timedelta
from decimal import Decimal

import pytest

from mats.domain.senders import (
    LegacySender,
    SenderStatus,
    signing_key,
    signing_key_name,
    verifier_of,
)
from mats.domain.strategies import StrategyFilter, StrategyStatus
from mats.domain.trading import TradingMode
from mats.errors import ConflictError, NotFoundError, ValidationError
from mats.services.registry import SenderService, StrategyChanges, StrategyService
from tests.builders import a_sender, an_account
from tests.fakes import (
    FakeClock,
    InMemoryAccountStore,
    InMemoryExecutionStore,
    InMemoryPortfolio,
    InMemorySecretStore,
    InMemorySenderStore,
    InMemoryStrategyStore,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sender_store() -> InMemorySenderStore:
    return InMemorySenderStore()


@pytest.fixture
def secrets() -> InMemorySecretStore:
    return InMemorySecretStore()


@pytest.fixture
def senders(
    sender_store: InMemorySenderStore, secrets: InMemorySecretStore, clock: FakeClock
) -> SenderService:
    return SenderService(sender_store, secrets, clock)


@pytest.fixture
def accounts() -> InMemoryAccountStore:
    return InMemoryAccountStore("IBKR_Futures", "IBKR_Main")


@pytest.fixture
def strategies(
    sender_store: InMemorySenderStore, accounts: InMemoryAccountStore, clock: FakeClock
) -> StrategyService:
    return a_strategy_service(sender_store, accounts, clock)


def a_strategy_service(
    senders: InMemorySenderStore, accounts: InMemoryAccountStore, clock: FakeClock
) -> StrategyService:
    execution = InMemoryExecutionStore()
    return StrategyService(
        InMemoryStrategyStore(),
        senders,
        accounts,
        clock,
        allocations=InMemoryPortfolio(),
        positions=execution,
        orders=execution,
    )


def test_create_sender_stores_a_verifier_and_keeps_the_signing_key_in_the_secret_store(
    senders: SenderService, sender_store: InMemorySenderStore, secrets: InMemorySecretStore
) -> None:
    issued = senders.create("Alpha Signals", ip_allowlist=("52.89.214.238",), max_lag_seconds=30)

    stored = sender_store.get(issued.sender.sender_id)
    key = signing_key(issued.secret)
    assert len(issued.secret) >= 40
    assert stored.secret_verifier == verifier_of(key)
    assert issued.secret not in repr(stored)
    assert key not in repr(stored)
    assert secrets.secrets == {signing_key_name(stored.sender_id, stored.secret_verifier): key}
    assert stored.ip_allowlist == ("52.89.214.238/32",)
    assert stored.max_lag_seconds == 30


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": " "}, "name"),
        ({"name": "x", "max_lag_seconds": 0}, "max_lag"),
        ({"name": "x", "rate_limit_per_minute": 0}, "rate_limit"),
        ({"name": "x", "ip_allowlist": ("nope",)}, "ip_allow"),
    ],
)
def test_create_sender_validates_its_settings(
    senders: SenderService, kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        senders.create(**kwargs)  # type: ignore[arg-type]

    assert raised.value.field == field


def test_rotation_invalidates_the_old_secret_unless_a_grace_period_is_given(
    senders: SenderService, clock: FakeClock
) -> None:
    issued = senders.create("Alpha")
    hard = senders.rotate(issued.sender.sender_id)
    soft = senders.rotate(issued.sender.sender_id, grace_seconds=3600)

    assert not hard.sender.secret_matches(issued.secret, clock.now())
    assert hard.sender.secret_matches(hard.secret, clock.now())
    assert soft.sender.secret_matches(hard.secret, clock.now() + timedelta(minutes=59))
    assert not soft.sender.secret_matches(hard.secret, clock.now() + timedelta(hours=2))
    assert soft.sender.secret_matches(soft.secret, clock.now())


def test_rotation_keeps_only_the_keys_a_verifier_still_names(
    senders: SenderService, secrets: InMemorySecretStore
) -> None:
    first = senders.create("Alpha")
    second = senders.rotate(first.sender.sender_id, grace_seconds=3600)
    kept_during_grace = set(secrets.secrets.values())
    third = senders.rotate(first.sender.sender_id, grace_seconds=3600)
    after_third = set(secrets.secrets.values())
    fourth = senders.rotate(first.sender.sender_id)

    assert kept_during_grace == {signing_key(first.secret), signing_key(second.secret)}
    assert after_third == {signing_key(second.secret), signing_key(third.secret)}
    assert set(secrets.secrets.values()) == {signing_key(fourth.secret)}


def test_a_second_sender_with_an_existing_name_is_refused_naming_the_first(
    senders: SenderService, sender_store: InMemorySenderStore, secrets: InMemorySecretStore
) -> None:
    first = senders.create("Alpha Signals")

    with pytest.raises(ConflictError) as raised:
        senders.create("  alpha   SIGNALS ")

    assert first.sender.sender_id in str(raised.value)
    assert [sender.sender_id for sender in sender_store.list()] == [first.sender.sender_id]
    assert len(secrets.secrets) == 1


def test_of_concurrent_creates_with_one_name_exactly_one_wins(
    senders: SenderService, sender_store: InMemorySenderStore, secrets: InMemorySecretStore
) -> None:
    outcomes: list[object] = []
    start = threading.Barrier(8)

    def create() -> None:
        start.wait()
        try:
            outcomes.append(senders.create("Racing Desk"))
        except ConflictError as error:
            outcomes.append(error)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    [winner] = [outcome for outcome in outcomes if not isinstance(outcome, ConflictError)]
    losers = [outcome for outcome in outcomes if isinstance(outcome, ConflictError)]
    assert len(losers) == 7
    assert all(winner.sender.sender_id in str(loser) for loser in losers)  # type: ignore[attr-defined]
    assert len(sender_store.list()) == 1
    assert len(secrets.secrets) == 1


def test_migration_moves_legacy_keys_out_of_the_store_and_claims_names_once(
    senders: SenderService,
    sender_store: InMemorySenderStore,
    secrets: InMemorySecretStore,
    clock: FakeClock,
) -> None:
    key, old_key = signing_key("current"), signing_key("previous")
    legacy = a_sender(
        "legacy-1a2b3c",
        secret_verifier=verifier_of(key),
        previous_secret_verifier=verifier_of(old_key),
        previous_secret_valid_until=clock.now() + timedelta(hours=1),
    )
    twin = a_sender("twin-4d5e6f", created_at=legacy.created_at + timedelta(days=1))
    sender_store.senders.update({legacy.sender_id: legacy, twin.sender_id: twin})
    sender_store.legacy[legacy.sender_id] = LegacySender(legacy.sender_id, key, old_key)

    first = senders.migrate()
    again = senders.migrate()

    assert first.keys_moved == (legacy.sender_id,)
    assert first.shared_names == {"Alpha Signals": (legacy.sender_id, twin.sender_id)}
    assert sender_store.legacy_senders() == []
    assert set(secrets.secrets.values()) == {key, old_key}
    assert again.keys_moved == ()
    assert again.shared_names == first.shared_names
    with pytest.raises(ConflictError):
        senders.create("Alpha Signals")


def test_update_sender_changes_only_what_is_given(senders: SenderService) -> None:
    issued = senders.create("Alpha", max_lag_seconds=30)

    updated = senders.update(issued.sender.sender_id, status=SenderStatus.DISABLED)
    cleared = senders.update(
        issued.sender.sender_id, clear_max_lag=True, ip_allowlist=("10.0.0.0/8",)
    )

    assert updated.status is SenderStatus.DISABLED
    assert updated.max_lag_seconds == 30
    assert cleared.max_lag_seconds is None
    assert cleared.ip_allowlist == ("10.0.0.0/8",)
    with pytest.raises(NotFoundError):
        senders.rotate("nobody")


def test_a_sender_refused_for_a_bad_allowlist_keeps_no_key(
    senders: SenderService, secrets: InMemorySecretStore, sender_store: InMemorySenderStore
) -> None:
    with pytest.raises(ValidationError) as refused:
        senders.create("Alpha", ip_allowlist=("not-an-ip",))

    assert refused.value.field == "ip_allow"
    assert secrets.secrets == {}
    assert sender_store.list() == []


def test_an_update_to_what_is_already_set_writes_nothing(
    senders: SenderService, sender_store: InMemorySenderStore, clock: FakeClock
) -> None:
    issued = senders.create("Alpha")
    sender_id = issued.sender.sender_id
    disabled = senders.update(sender_id, status=SenderStatus.DISABLED)
    clock.advance(60)

    again = senders.update(sender_id, status=SenderStatus.DISABLED)
    enabled = senders.update(sender_id, status=SenderStatus.ACTIVE)

    assert again == disabled
    assert sender_store.get(sender_id) == enabled
    assert enabled.updated_at == disabled.updated_at + timedelta(seconds=60)


def create_changes(**overrides: object) -> StrategyChanges:
    fields: dict[str, object] = {
        "name": "ES Trend",
        "status": StrategyStatus.ACTIVE,
        "trading_mode": TradingMode.PAPER,
        "account": "IBKR_Main",
    }
    fields.update(overrides)
    return StrategyChanges(**fields)  # type: ignore[arg-type]


def test_create_strategy_with_limits_and_senders(
    strategies: StrategyService, senders: SenderService
) -> None:
    sender = senders.create("Alpha").sender

    strategy = strategies.create(
        "trend-es",
        create_changes(max_position_size=Decimal(4), sender_ids=(sender.sender_id,)),
    )

    assert strategy.risk_limits.max_position_size == Decimal(4)
    assert strategy.accepts_signals_from(sender.sender_id)
    assert strategies.get("trend-es") == strategy


@pytest.mark.parametrize(
    ("strategy_id", "changes", "field"),
    [
        ("trend-es", create_changes(name=None), "name"),
        ("bad id!", create_changes(), "strategy_id"),
        ("trend-es", create_changes(account="IBKR Main"), "account"),
        ("trend-es", create_changes(max_daily_loss=Decimal(-5)), "risk_limits.max_daily_loss"),
        ("trend-es", create_changes(sender_ids=("ghost",)), "sender"),
    ],
)
def test_create_strategy_rejects_bad_input(
    strategies: StrategyService, strategy_id: str, changes: StrategyChanges, field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        strategies.create(strategy_id, changes)

    assert raised.value.field == field


def test_strategy_ids_are_unique(strategies: StrategyService) -> None:
    strategies.create("trend-es", create_changes())

    with pytest.raises(ConflictError):
        strategies.create("trend-es", create_changes())


def test_update_changes_given_fields_and_clears_named_ones(strategies: StrategyService) -> None:
    strategies.create("trend-es", create_changes(max_daily_loss=Decimal(100), notes="x"))

    updated = strategies.update(
        "trend-es",
        StrategyChanges(
            status=StrategyStatus.INACTIVE, cleared=frozenset({"max_daily_loss", "notes"})
        ),
    )

    assert updated.status is StrategyStatus.INACTIVE
    assert updated.name == "ES Trend"
    assert updated.risk_limits.max_daily_loss is None
    assert updated.notes is None


def test_list_filters_by_status_account_and_text(strategies: StrategyService) -> None:
    strategies.create("trend-es", create_changes(account="IBKR_Futures"))
    strategies.create(
        "btc-breakout", create_changes(name="BTC Breakout", status=StrategyStatus.TESTING)
    )

    def ids(query: StrategyFilter) -> list[str]:
        return [s.strategy_id for s in strategies.list(query)]

    assert ids(StrategyFilter()) == ["btc-breakout", "trend-es"]
    assert ids(StrategyFilter(status=StrategyStatus.TESTING)) == ["btc-breakout"]
    assert ids(StrategyFilter(account="IBKR_Futures")) == ["trend-es"]
    assert ids(StrategyFilter(search="breakout")) == ["btc-breakout"]


def test_create_on_an_unknown_account_is_refused_naming_the_known_ones(
    strategies: StrategyService,
) -> None:
    with pytest.raises(ValidationError) as raised:
        strategies.create("trend-es", create_changes(account="NoSuchAccount"))

    assert raised.value.field == "account"
    assert "unknown account 'NoSuchAccount'" in raised.value.message
    assert "known accounts: IBKR_Futures, IBKR_Main" in raised.value.message
    assert strategies.list(StrategyFilter()) == []


def test_create_with_no_account_known_yet_says_how_to_record_one() -> None:
    service = a_strategy_service(InMemorySenderStore(), InMemoryAccountStore(), FakeClock())

    with pytest.raises(ValidationError, match="no account is known yet") as raised:
        service.create("trend-es", create_changes())

    assert "mats accounts set" in raised.value.message


def test_an_account_recorded_later_becomes_usable(
    strategies: StrategyService, accounts: InMemoryAccountStore
) -> None:
    accounts.put_account(an_account(account="Binance_Main", base_currency="USDT"))

    strategy = strategies.create("btc-breakout", create_changes(account="Binance_Main"))

    assert strategy.account == "Binance_Main"


def test_update_to_an_unknown_account_is_refused_and_changes_nothing(
    strategies: StrategyService,
) -> None:
    before = strategies.create("trend-es", create_changes())

    with pytest.raises(ValidationError) as raised:
        strategies.update("trend-es", StrategyChanges(account="NoSuchAccount", notes="moved"))

    assert raised.value.field == "account"
    assert strategies.get("trend-es") == before


def test_update_without_an_account_keeps_checking_nothing_about_it(
    strategies: StrategyService, accounts: InMemoryAccountStore
) -> None:
    strategies.create("trend-es", create_changes())
    accounts.accounts.clear()

    updated = strategies.update("trend-es", StrategyChanges(notes="still fine"))

    assert updated.notes == "still fine"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (StrategyChanges(), "changes"),
        (
            StrategyChanges(max_daily_loss=Decimal(5), cleared=frozenset({"max_daily_loss"})),
            "max_daily_loss",
        ),
        (StrategyChanges(notes="x", cleared=frozenset({"notes"})), "notes"),
    ],
)
def test_an_update_that_says_nothing_or_contradicts_itself_is_refused(
    strategies: StrategyService, changes: StrategyChanges, field: str
) -> None:
    before = strategies.create("trend-es", create_changes(max_daily_loss=Decimal(100)))

    with pytest.raises(ValidationError) as raised:
        strategies.update("trend-es", changes)

    assert raised.value.field == field
    assert strategies.get("trend-es") == before
