"""Sender names and secrets at rest, on the real stack: Firestore, the secret store, the CLI."""

from __future__ import annotations

import json
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mats.domain.senders import sign_body, signing_key, signing_key_name, verifier_of
from mats.domain.strategies import StrategyStatus
from mats.domain.trading import TradingMode
from mats.errors import ConflictError
from mats.services.registry import StrategyChanges
from tests.builders import tradingview_alert
from tests.conftest import Stack, http_post, unique
from tests.integration.test_cli import mats, mats_json


def alert_for(strategy_id: str, minute: int) -> bytes:
    fired = (datetime.now(UTC) - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    bar = f"2026-11-21T08:{minute:02d}:00Z"
    return json.dumps(tradingview_alert(strategy_id=strategy_id, timenow=fired, time=bar)).encode()


def strategy_for(services: Any, sender_id: str) -> str:
    strategy_id = unique("secrets")
    services.strategies.create(
        strategy_id,
        StrategyChanges(
            name="Secrets",
            status=StrategyStatus.ACTIVE,
            trading_mode=TradingMode.PAPER,
            account="IBKR_Main",
            sender_ids=(sender_id,),
        ),
    )
    return strategy_id


def test_senders_create_with_an_existing_name_exits_1_naming_the_sender(stack: Stack) -> None:
    name = unique("Desk Dup")
    first = mats_json(stack, "senders", "create", name)

    again = mats(stack, "senders", "create", f"  {name.upper()} ")
    listed = mats_json(stack, "senders", "list")

    assert again.returncode == 1
    assert first["sender"]["sender_id"] in again.stderr
    assert again.stderr.startswith("error: a sender named")
    assert [row["name"].casefold() for row in listed].count(name.casefold()) == 1


def test_of_concurrent_creates_with_one_name_exactly_one_stores_a_sender(
    stack: Stack, services: Any
) -> None:
    name = unique("Racing Desk")
    start = threading.Barrier(6)
    outcomes: list[Any] = []

    def create() -> None:
        start.wait()
        try:
            outcomes.append(services.senders.create(name))
        except ConflictError as error:
            outcomes.append(error)

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    [winner] = [outcome for outcome in outcomes if not isinstance(outcome, ConflictError)]
    losers = [str(outcome) for outcome in outcomes if isinstance(outcome, ConflictError)]
    winner_id = winner.sender.sender_id
    assert len(losers) == 5
    assert all(winner_id in loser for loser in losers)
    assert [sender.sender_id for sender in services.senders.list() if sender.name == name] == [
        winner_id
    ]
    slug = winner_id.rsplit("-", 1)[0]
    keys = sorted(Path(stack.info["secrets_dir"]).glob(f"sender-{slug}-*"))
    assert [key.name for key in keys] == [
        signing_key_name(winner_id, winner.sender.secret_verifier)
    ]


def test_signing_keys_live_in_private_files_outside_firestore(stack: Stack, services: Any) -> None:
    issued = services.senders.create(unique("Private Desk"))
    sender = issued.sender
    document = services.firestore.collection("senders").document(sender.sender_id).get()
    key_file = Path(stack.info["secrets_dir"]) / signing_key_name(
        sender.sender_id, sender.secret_verifier
    )

    assert signing_key(issued.secret) not in json.dumps(document.to_dict(), default=str)
    assert document.get("secret_verifier") == verifier_of(signing_key(issued.secret))
    assert key_file.read_text() == signing_key(issued.secret)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700


def test_migrate_moves_a_legacy_senders_key_out_of_firestore_and_keeps_it_working(
    stack: Stack, services: Any
) -> None:
    secret = unique("legacy-secret")
    key = signing_key(secret)
    sender_id = unique("legacy")
    now = datetime.now(UTC)
    senders = services.firestore.collection("senders")
    senders.document(sender_id).set(
        {
            "sender_id": sender_id,
            "name": unique("Legacy Desk"),
            "secret_hash": key,  # How earlier versions stored it: the signing key itself.
            "created_at": now,
            "updated_at": now,
            "status": "ACTIVE",
            "ip_allowlist": [],
            "max_lag_seconds": None,
            "rate_limit_per_minute": 600,
            "previous_secret_hash": None,
            "previous_secret_valid_until": None,
        }
    )
    strategy_id = strategy_for(services, sender_id)
    url = f"{stack.ingest_url}/webhook/{sender_id}"

    def signed(minute: int, with_key: str) -> int:
        body = alert_for(strategy_id, minute)
        return http_post(url, body, {"X-Signature": "sha256=" + sign_body(with_key, body)})[0]

    before = (http_post(f"{url}/{secret}", alert_for(strategy_id, 1))[0], signed(2, key))
    migrated = mats_json(stack, "senders", "migrate")
    again = mats_json(stack, "senders", "migrate")
    document = senders.document(sender_id).get().to_dict()
    after = (
        http_post(f"{url}/{secret}", alert_for(strategy_id, 3))[0],
        signed(4, key),
        signed(5, document["secret_verifier"]),
    )

    assert before == (202, 401)  # A secret works before; a signature needs the key moved.
    assert sender_id in migrated["keys_moved"]
    assert again["keys_moved"] == []
    assert "secret_hash" not in document
    assert document["secret_verifier"] == verifier_of(key)
    assert after == (202, 202, 401)
