"""A signal whose publish fails is kept PENDING and later published once, with the same body."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mats.domain.strategies import StrategyStatus
from mats.domain.trading import TradingMode
from mats.localstack.probes import free_port, http_ready
from mats.services.registry import StrategyChanges
from tests.builders import tradingview_alert
from tests.conftest import BIN, REPO, Stack, http_post, unique
from tests.integration.conftest import Receiver


@pytest.fixture
def ingest_without_pubsub(stack: Stack, tmp_path: Path) -> Iterator[str]:
    """A second ingest function on the same Firestore whose Pub/Sub is unreachable."""
    port = free_port()
    env = {
        **os.environ,
        **stack.env(),
        "PUBSUB_EMULATOR_HOST": f"127.0.0.1:{free_port()}",
        "PORT": str(port),
    }
    with (tmp_path / "ingest.log").open("wb") as log:
        process = subprocess.Popen(
            [
                str(BIN / "functions-framework"),
                "--target",
                "ingest",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=REPO / "functions" / "ingest",
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    ready = http_ready(f"http://127.0.0.1:{port}/healthz")
    deadline = time.monotonic() + 30
    while not ready() and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


def test_publish_failure_then_sweep_delivers_the_stored_message_once(
    stack: Stack, services: Any, receiver: Receiver, ingest_without_pubsub: str
) -> None:
    issued = services.senders.create(unique("Outbox"))
    strategy_id = unique("outbox")
    services.strategies.create(
        strategy_id,
        StrategyChanges(
            name="Outbox",
            status=StrategyStatus.ACTIVE,
            trading_mode=TradingMode.LIVE,
            account="IBKR_Main",
            sender_ids=(issued.sender.sender_id,),
        ),
    )
    alert = tradingview_alert(
        strategy_id=strategy_id, timenow=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    url = f"{ingest_without_pubsub}/webhook/{issued.sender.sender_id}/{issued.secret}"

    status, _, answer = http_post(url, json.dumps(alert).encode())
    pending = services.signal_store.get(answer["signal_id"])
    sweep = subprocess.run(
        [str(BIN / "mats"), "signals", "publish-pending", "--min-age", "0", "--json"],
        cwd=REPO,
        env={**os.environ, "MATS_STATE_DIR": str(stack.state_dir)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert sweep.returncode == 0, sweep.stderr + sweep.stdout
    assert json.loads(sweep.stdout)["published"] >= 1
    [delivery] = receiver.wait_for(answer["signal_id"])
    second_sweep = services.ingest.publish_pending(min_age_seconds=0)

    assert status == 202
    assert answer["published"] is False
    assert pending.outbox_state.value == "PENDING"
    assert pending.last_publish_error
    assert delivery["data"] == pending.message
    assert services.signal_store.get(answer["signal_id"]).outbox_state.value == "PUBLISHED"
    assert second_sweep == 0  # The sweep's own count: nothing was published again.
    assert len(receiver.wait_for(answer["signal_id"])) == 1
