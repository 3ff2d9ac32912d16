"""``mats status``'s view of a running stack: every process probed as it was at start-up.

Standard library only and no stack imports beyond the probes: the CLI imports this.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from mats.localstack.probes import Probe, http_answer


@dataclass(frozen=True)
class Health:
    name: str
    pid: int | None
    state: str  # as the supervisor last recorded it: running, starting, waiting
    healthy: bool
    detail: str  # ok | down | not ready: ... | restarting
    restarts: int
    endpoint: str

    def to_json(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "state": self.state,
            "healthy": self.healthy,
            "health": self.detail,
            "restarts": self.restarts,
            "endpoint": self.endpoint,
        }


def supervisor_alive(stack: dict[str, Any]) -> bool:
    try:
        os.kill(int(stack["pid"]), 0)
    except (ProcessLookupError, KeyError, ValueError):
        return False
    except PermissionError:
        return True
    return True


def check_processes(stack: dict[str, Any]) -> list[Health]:
    """Probe every process of the stack at once (each probe waits at most 2 s)."""
    processes: dict[str, dict[str, Any]] = stack.get("processes") or {}
    with ThreadPoolExecutor(max_workers=max(1, len(processes))) as pool:
        return list(pool.map(lambda item: _check(*item), processes.items()))


def _check(name: str, process: dict[str, Any]) -> Health:
    state = str(process.get("state"))
    if state != "running":
        detail = "restarting" if state in ("waiting", "starting") else state
        return _health(name, process, state, False, detail)
    if not Probe.from_json(process["probe"]).check(timeout=2):
        return _health(name, process, state, False, "down")
    readiness = process.get("readiness")
    if readiness:
        status, body = http_answer(Probe.from_json(readiness).target, timeout=2)
        if status != 200:
            problems = body.get("problems") if isinstance(body, dict) else None
            reasons = "; ".join(problems) if problems else f"readiness answered {status}"
            return _health(name, process, state, False, f"not ready: {reasons}")
    return _health(name, process, state, True, "ok")


def _health(name: str, process: dict[str, Any], state: str, healthy: bool, detail: str) -> Health:
    pid = process.get("pid")
    return Health(
        name=name,
        pid=int(pid) if pid is not None else None,
        state=state,
        healthy=healthy,
        detail=detail,
        restarts=int(process.get("restarts") or 0),
        endpoint=str(process.get("endpoint") or ""),
    )
