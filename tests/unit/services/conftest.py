from __future__ import annotations

from dataclasses import dataclass

import pytest

from mats.services.ingest import IngestService, IngestSettings
from tests.builders import a_sender, a_strategy
from tests.fakes import (
    FakeClock,
    FakePublisher,
    InMemorySenderStore,
    InMemorySignalStore,
    InMemoryStrategyStore,
)


@dataclass
class IngestWorld:
    clock: FakeClock
    publisher: FakePublisher
    senders: InMemorySenderStore
    strategies: InMemoryStrategyStore
    signals: InMemorySignalStore
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
    service = IngestService(signals, publisher, clock, IngestSettings())
    return IngestWorld(clock, publisher, senders, strategies, signals, service)
