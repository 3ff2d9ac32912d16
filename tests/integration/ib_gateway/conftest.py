"""Fixtures: one simulated IB Gateway subprocess per session, reset before every test."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator

import pytest
from tests.integration.ib_gateway.support import ACCOUNT, GatewayProcess, start_gateway


@pytest.fixture(scope="session")
def gateway_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    log_path = tmp_path_factory.mktemp("ib_gateway") / "gateway.log"
    running = start_gateway(log_path, "--account", ACCOUNT)
    try:
        yield running
    finally:
        running.process.send_signal(signal.SIGTERM)
        try:
            code = running.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            running.process.kill()
            raise
        failures = [line for line in running.log_lines() if line["severity"] == "ERROR"]
        assert code == 0, log_path.read_text()
        assert not failures, failures


@pytest.fixture
def gateway(gateway_process: GatewayProcess) -> GatewayProcess:
    gateway_process.wait_listening()
    gateway_process.post("/reset")
    return gateway_process
