"""Shared fixtures. Integration tests run against one real local stack (``mats up``) per session."""

from __future__ import annotations

import faulthandler
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# gRPC's notice when an emulator goes away at the end of a session is noise, not a failure.
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

# A crash in native code (a solver, gRPC) kills pytest before it reports. The run is verbose, so
# the last line printed names the test; every thread's stack goes to this file, not over that line.
(REPO / ".mats").mkdir(exist_ok=True)
CRASH_LOG = (REPO / ".mats" / "pytest-crash.log").open("w")
faulthandler.enable(CRASH_LOG, all_threads=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.path) or "tests\\integration" in str(item.path):
            item.add_marker(pytest.mark.integration)


@dataclass
class Stack:
    state_dir: Path
    info: dict[str, Any]
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def ingest_url(self) -> str:
        return str(self.info["ingest_url"])

    def env(self) -> dict[str, str]:
        return {
            "GOOGLE_CLOUD_PROJECT": self.info["project_id"],
            "FIRESTORE_EMULATOR_HOST": self.info["firestore_emulator_host"],
            "PUBSUB_EMULATOR_HOST": self.info["pubsub_emulator_host"],
            "MATS_SECRETS_DIR": self.info["secrets_dir"],
            "FIREBASE_AUTH_EMULATOR_HOST": self.info["auth_emulator_host"],
            "MATS_FIREBASE_PROJECT": self.info["auth_project_id"],
        }


def start_stack(state_dir: Path, *extra: str, timeout: float = 240) -> Stack:
    """Run `mats up` exactly as a user would and wait for its stack.json."""
    log = state_dir / "up.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "mats"), "--state-dir", str(state_dir), "up", "--port-base", "0", *extra],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    stack_file = state_dir / "stack.json"
    deadline = time.monotonic() + timeout
    while not stack_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"mats up did not start:\n{log.read_text()}")
        time.sleep(0.1)
    return Stack(state_dir, json.loads(stack_file.read_text()), process, log)


def stop_stack(stack: Stack) -> int:
    stack.process.send_signal(signal.SIGTERM)
    return stack.process.wait(timeout=60)


# The simulated IB Gateway's accounts, which the bridge records as soon as it connects.
BRIDGE_ACCOUNTS = ("IBKR_Futures", "IBKR_Main")


def wait_for_accounts(names: tuple[str, ...], timeout: float = 60) -> None:
    """Wait until the stack knows these accounts: strategies may only name known ones."""
    from mats.bootstrap import bootstrap  # noqa: PLC0415 - needs the stack's environment.

    services = bootstrap(os.environ)
    try:
        deadline = time.monotonic() + timeout
        while not set(names) <= {a.account for a in services.operations.list_accounts()}:
            if time.monotonic() > deadline:
                pytest.fail(f"the bridge did not record {names} within {timeout} s")
            time.sleep(0.2)
    finally:
        services.close()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack(tmp_path_factory.mktemp("stack"), "--no-demo")
    saved = {name: os.environ.get(name) for name in running.env()}
    os.environ.update(running.env())
    try:
        wait_for_accounts(BRIDGE_ACCOUNTS)
        yield running
    finally:
        stop_stack(running)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="session")
def services(stack: Stack) -> Any:
    from mats.bootstrap import bootstrap  # noqa: PLC0415 - needs the stack's environment.

    return bootstrap(os.environ)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def http_post(
    url: str, data: bytes, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    request = urllib.request.Request(url, data=data, headers=headers or {}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, dict(error.headers), json.loads(raw) if raw else None
