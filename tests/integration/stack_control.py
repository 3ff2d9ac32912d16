"""Test helpers that act on a running stack's processes: kill one, wait for its restart."""

from __future__ import annotations

import json
import os
import signal
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mats.localstack.processes import stack_processes
from tests.conftest import Stack
from tests.integration.trading import until as wait_for


def stack_info(stack: Stack) -> dict[str, Any]:
    """``stack.json`` as the supervisor last wrote it."""
    info: dict[str, Any] = json.loads((stack.state_dir / "stack.json").read_text())
    return info


def process(stack: Stack, name: str) -> dict[str, Any]:
    found: dict[str, Any] = stack_info(stack)["processes"][name]
    return found


def kill(stack: Stack, name: str) -> int:
    """SIGKILL the process ``name`` (its group leader only, as a crash would); return its pid."""
    pid = int(process(stack, name)["pid"])
    os.kill(pid, signal.SIGKILL)
    return pid


def wait_restarted(stack: Stack, name: str, restarts: int, timeout: float = 60) -> dict[str, Any]:
    """Wait until ``name`` has been restarted ``restarts`` times in all and is running."""

    def back() -> dict[str, Any] | None:
        found = process(stack, name)
        return found if found["restarts"] >= restarts and found["state"] == "running" else None

    restarted: dict[str, Any] = wait_for(back, timeout, f"{name} restarted {restarts} time(s)")
    return restarted


def kill_and_wait(stack: Stack, name: str, timeout: float = 60) -> tuple[int, dict[str, Any]]:
    """Kill ``name`` and wait for the supervisor to bring it back; return (old pid, new entry)."""
    restarts = int(process(stack, name)["restarts"])
    old = kill(stack, name)
    return old, wait_restarted(stack, name, restarts + 1, timeout)


def outstanding(stack: Stack) -> dict[str, int]:
    """Unsettled messages per subscription (the local Pub/Sub service's own extension)."""
    url = f"http://{stack.info['pubsub_emulator_host']}/_local/outstanding"
    with urllib.request.urlopen(url, timeout=10) as answer:
        counts: dict[str, int] = json.loads(answer.read())["subscriptions"]
    return {path.rsplit("/", 1)[-1]: count for path, count in counts.items()}


def wait_settled(stack: Stack, subscriptions: Iterable[str], timeout: float = 120) -> None:
    """The marker that nothing more will arrive: every delivery and redelivery is over."""
    names = list(subscriptions)
    wait_for(
        lambda: all(outstanding(stack).get(name, 0) == 0 for name in names),
        timeout,
        f"{names} settled",
    )


def survivors(stack: Stack) -> list[int]:
    """Processes started for this stack that are still alive."""
    return stack_processes(stack.state_dir)


def alive(pid: int) -> bool:
    """Whether ``pid`` still runs; a zombie (dead, not yet reaped by its adopter) does not."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
