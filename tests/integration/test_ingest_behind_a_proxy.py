"""The ingest function as Cloud Run runs it behind Google's front end (X-Forwarded-For)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import functions_framework
import pytest

from mats.bootstrap import forget_instance_services
from mats.domain.strategies import StrategyStatus
from mats.domain.trading import TradingMode
from mats.services.registry import StrategyChanges
from tests.builders import tradingview_alert
from tests.conftest import REPO, Stack, unique

SOURCE = REPO / "functions" / "ingest" / "main.py"


@pytest.fixture
def client(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("MATS_TRUSTED_PROXY_HOPS", "1")
    forget_instance_services()  # Rebuild from this test's environment, and again after it.
    app = functions_framework.create_app("ingest", str(SOURCE), "http")
    yield app.test_client()
    forget_instance_services()


def test_the_allowlist_checks_the_address_our_front_end_appended(
    client: Any, services: Any
) -> None:
    issued = services.senders.create(unique("Proxied"), ip_allowlist=("52.89.214.238",))
    strategy_id = unique("proxied")
    services.strategies.create(
        strategy_id,
        StrategyChanges(
            name="Proxied",
            status=StrategyStatus.ACTIVE,
            trading_mode=TradingMode.PAPER,
            account="IBKR_Main",
            sender_ids=(issued.sender.sender_id,),
        ),
    )
    url = f"/webhook/{issued.sender.sender_id}/{issued.secret}"

    def post(forwarded: str, minute: int) -> int:
        alert = tradingview_alert(
            strategy_id=strategy_id,
            time=f"2026-11-20T07:0{minute}:00Z",
            timenow=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        response = client.post(url, data=json.dumps(alert), headers={"X-Forwarded-For": forwarded})
        return int(response.status_code)

    assert post("52.89.214.238", 1) == 202
    assert post("52.89.214.238, 198.51.100.7", 2) == 401
    assert post("", 3) == 401


def test_get_on_the_webhook_is_405_and_healthz_answers(client: Any) -> None:
    assert client.get("/webhook/anyone").status_code == 405
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_source_file_is_the_deployed_entry_point() -> None:
    assert Path(SOURCE).read_text().startswith('"""Ingest: the HTTPS webhook')
