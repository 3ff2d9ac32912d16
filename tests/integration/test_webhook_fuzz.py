"""10,000 generated webhook requests with valid credentials, posted to the real ingest function.

Every answer must be JSON and below 500; a refused request stores nothing; each accepted or
recorded alert stores exactly one signal and one deduplication key; no secret, signing key or
signature used reaches any log of the run. The figures are printed.
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from google.cloud.firestore import FieldFilter

from mats.domain.strategies import StrategyStatus
from mats.domain.trading import TradingMode
from mats.services.registry import StrategyChanges
from tests.conftest import Stack, unique
from tests.webhook_bodies import Case, Credentials, Generator

CASES = 10_000
SEED = 20261120
THREADS = 8
_HEX = re.compile(r"[0-9a-fA-F]{64}")


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    refused: Counter[int] = field(default_factory=Counter)
    recorded: set[str] = field(default_factory=set)
    duplicates: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)
    signatures: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Client(threading.local):
    """One keep-alive connection per thread, reopened when the server closes it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection: http.client.HTTPConnection | None = None

    def send(self, case: Case) -> tuple[int, dict[str, str], bytes]:
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.connection.request(case.method, case.path, case.body, case.headers)
                response = self.connection.getresponse()
                return response.status, dict(response.getheaders()), response.read()
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


@pytest.fixture
def credentials(services: Any) -> Credentials:
    issued = services.senders.create(unique("Fuzz Desk"), rate_limit_per_minute=1_000_000)
    strategy_ids = tuple(unique("fuzz") for _ in range(3))
    # One strategy trades; alerts for the INACTIVE two are recorded as rejected and never
    # published, which keeps Cerebro's share of the two cores small.
    statuses = (StrategyStatus.ACTIVE, StrategyStatus.INACTIVE, StrategyStatus.INACTIVE)
    for strategy_id, status in zip(strategy_ids, statuses, strict=True):
        services.strategies.create(
            strategy_id,
            StrategyChanges(
                name="Fuzz",
                status=status,
                trading_mode=TradingMode.PAPER,
                account="IBKR_Main",
                sender_ids=(issued.sender.sender_id,),
            ),
        )
    return Credentials(issued.sender.sender_id, issued.secret, strategy_ids)


def counts(services: Any, strategy_ids: tuple[str, ...]) -> tuple[int, int, int]:
    """Signals of these strategies, and every signal and key document, counted by Firestore."""
    signals = services.firestore.collection("signals")
    mine = sum(
        _count(signals.where(filter=FieldFilter("strategy_id", "==", strategy_id)))
        for strategy_id in strategy_ids
    )
    return mine, _count(signals), _count(services.firestore.collection("signal_keys"))


def _count(query: Any) -> int:
    [[result]] = query.count().get()
    return int(result.value)


def post_all(port: int, generator: Generator, tally: Tally) -> None:
    client = Client(port)

    def one(index: int) -> None:
        case = generator.case(index)
        status, headers, raw = client.send(case)
        problem = _problem(case, status, headers, raw)
        with tally.lock:
            tally.statuses[status] += 1
            tally.signatures.update(s for s in case.secrets if _HEX.fullmatch(s))
            if problem:
                tally.failures.append(f"#{index} {case.kind} {case.method}: {problem}")
                return
            answer = json.loads(raw) if raw else {}
            signal_id = answer.get("signal_id")
            if signal_id and status in (202, 422):
                tally.recorded.add(signal_id)
            elif signal_id and status == 200:
                tally.duplicates.add(signal_id)
            elif status >= 400:
                tally.refused[status] += 1

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(one, range(CASES)))


def _problem(case: Case, status: int, headers: dict[str, str], raw: bytes) -> str | None:
    if status >= 500:
        return f"answered {status}: {raw[:200]!r}"
    if headers.get("Content-Type") != "application/json":
        return f"answered {status} as {headers.get('Content-Type')}: {raw[:200]!r}"
    try:
        answer = json.loads(raw)
    except ValueError:
        return f"answered {status} with a body that is not JSON: {raw[:200]!r}"
    if status >= 400 and not answer.get("error") and answer.get("status") != "rejected":
        return f"answered {status} without naming the problem: {answer}"
    return None


def logs_of_the_run(stack: Stack, caplog: pytest.LogCaptureFixture) -> Iterator[str]:
    for path in sorted(stack.state_dir.rglob("*.log")):
        yield path.read_text(errors="replace")
    yield caplog.text


def test_ten_thousand_generated_webhooks_never_crash_never_store_refusals_and_log_no_secret(
    stack: Stack,
    services: Any,
    credentials: Credentials,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    port = int(stack.ingest_url.rsplit(":", 1)[1])
    generator = Generator(SEED, credentials)
    tally = Tally()
    mine_before, signals_before, keys_before = counts(services, credentials.strategy_ids)

    started = time.monotonic()
    post_all(port, generator, tally)
    duration = time.monotonic() - started
    mine_after, signals_after, keys_after = counts(services, credentials.strategy_ids)

    refused = dict(sorted(tally.refused.items()))
    with capsys.disabled():
        print(
            f"\nwebhook fuzz: {CASES} requests in {duration:.1f} s ({CASES / duration:.0f}/s, "
            f"{THREADS} threads, seed {SEED}); accepted {tally.statuses[202]}, duplicates "
            f"{tally.statuses[200]}, recorded as rejected "
            f"{len(tally.recorded) - tally.statuses[202]}; refused (nothing stored) "
            f"{sum(refused.values())}, by status {refused}"
        )
    assert tally.failures == [], "\n".join(tally.failures[:20])
    assert tally.statuses[202] > 100
    assert sum(refused.values()) > CASES / 2
    assert tally.duplicates <= tally.recorded
    assert mine_after - mine_before == len(tally.recorded)
    assert signals_after - signals_before == len(tally.recorded)
    assert keys_after - keys_before == len(tally.recorded)
    assert all_exist(services, sorted(tally.recorded))
    for text in logs_of_the_run(stack, caplog):
        assert credentials.secret not in text
        # The signing key and every signature sent are 64 hex digits: look for each such token.
        leaked = tally.signatures & {token.lower() for token in _HEX.findall(text)}
        assert not leaked, f"{len(leaked)} signing keys or signatures found in a log"


def all_exist(services: Any, signal_ids: list[str]) -> bool:
    signals = services.firestore.collection("signals")
    for start in range(0, len(signal_ids), 300):
        refs = [signals.document(signal_id) for signal_id in signal_ids[start : start + 300]]
        if not all(snapshot.exists for snapshot in services.firestore.get_all(refs)):
            return False
    return True
