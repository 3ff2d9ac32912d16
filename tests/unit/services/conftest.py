from __future__ import annotations

from dataclasses import dataclass

import pytest

from mats.domain.senders import signing_key, signing_key_name, verifier_of
from mats.services.ingest import IngestService, IngestSettings
from tests.builders import SECRET, a_sender, a_strategy
from tests.fakes import (
    FakeClock,
    FakePublisher,
    InMemorySecretStore,
    InMemorySenderStore,
    InMemorySignalStore,
    InMemoryStrategyStore,
)

SENDER_ID = "alpha-1a2b3c"


@dataclass
class IngestWorld:
    clock: FakeClock
    publisher: FakePublisher
    senders: InMemorySenderStore
    strategies: InMemoryStrategyStore
    signals: InMemorySignalStore
    secrets: InMemorySecretStore
    service: IngestService


@pytest.fixture
def world() -> IngestWorld:
    clock = FakeClock()
    publisher = FakePublisher()
    senders = InMemorySenderStore()
    strategies = InMemoryStrategyStore()
    signals = InMemorySignalStore(senders, strategies)
    senders.create(a_sender())
    strategies.create(a_strategy())
    secrets = InMemorySecretStore()
    secrets.put(signing_key_name(SENDER_ID, verifier_of(signing_key(SECRET))), signing_key(SECRET))
    service = IngestService(signals, secrets, publisher, clock, settings=IngestSettings())
    return IngestWorld(clock, publisher, senders, strategies, signals, secrets, service)
