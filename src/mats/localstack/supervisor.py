"""Keep the stack's processes running, the way Cloud Run keeps a service's instances.

A process that dies is restarted on the same ports after a pause that doubles with every crash
in a row (``RestartPolicy``: 0.5 s, 1 s, 2 s, ... at most 30 s) and falls back to the first pause
once the process has stayed up for a minute. A process that keeps crashing is retried for ever at
the longest pause, and every restart is reported on the stack's output and in the process's own
log. Before a restart, whatever is left of the dead process's group (gunicorn's workers) is
killed: an orphaned worker would hold the port and the IB client id the new one needs.

At the first start a port picked by the system can be taken by another program before the child
binds it; the child is then started again on a fresh port (the ports are not yet known to anyone
else). Once up, a child's ports never move.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

from mats.errors import MatsError
from mats.localstack.children import ChildSpec
from mats.localstack.ports import Ports
from mats.localstack.processes import Child, listening_sockets

# What a process's log says when it could not bind its port (Python, node, gunicorn,
# firebase-tools).
_PORT_TAKEN = (
    "address already in use",
    "eaddrinuse",
    "connection in use",
    "no address added",
    "is not open on",  # firebase-tools: "Port N is not open on HOST, could not start ..."
)
_POLL_SECONDS = 0.1
_MOVES_ALLOWED = 10


class StartError(MatsError):
    """A process of the stack could not be started."""


@dataclass(frozen=True)
class RestartPolicy:
    first_delay: float = 0.5
    max_delay: float = 30.0
    stable_after: float = 60.0
    start_timeout: float = 60.0

    def delay(self, crashes_in_a_row: int) -> float:
        return float(min(self.max_delay, self.first_delay * 2 ** (crashes_in_a_row - 1)))


@dataclass
class _Supervised:
    spec: ChildSpec
    child: Child
    state: str = "starting"  # starting | running | waiting (to restart) | stopped
    restarts: int = 0
    crashes_in_a_row: int = 0
    launched_at: float = 0.0
    up_since: float = 0.0
    retry_at: float = 0.0
    log_offset: int = 0
    last_exit: str | None = None
    last_restart: str | None = None


class Supervisor:
    def __init__(
        self,
        ports: Ports,
        out: IO[str],
        policy: RestartPolicy | None = None,
        after_restart: Mapping[str, Callable[[], object]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ports = ports
        self._out = out
        self._policy = policy or RestartPolicy()
        self._after_restart = dict(after_restart or {})
        self._clock = clock
        self._supervised: dict[str, _Supervised] = {}

    # Start and stop

    def start(self, specs: Sequence[ChildSpec]) -> None:
        """Start these together and wait until every one answers its probe."""
        waiting = [self._launch(spec) for spec in specs]
        moves = 0
        deadline = self._clock() + self._policy.start_timeout
        while waiting:
            for entry in list(waiting):
                outcome = self._first_start(entry)
                if outcome == "ready":
                    self._ports.fix(entry.spec.port_names)
                    entry.state, entry.up_since = "running", self._clock()
                    waiting.remove(entry)
                elif outcome == "port taken" and moves < _MOVES_ALLOWED:
                    moves += 1
                    waiting[waiting.index(entry)] = self._move(entry)
                elif outcome != "waiting":
                    raise StartError(self._start_failure(entry, outcome))
            if waiting and self._clock() > deadline:
                names = ", ".join(entry.spec.name for entry in waiting)
                raise StartError(f"{names} not ready after {self._policy.start_timeout:.0f} s")
            if waiting:
                time.sleep(_POLL_SECONDS)

    def stop(self) -> None:
        """Stop every process, the last started first."""
        for entry in reversed(list(self._supervised.values())):
            entry.state = "stopped"
            entry.child.stop()

    # Supervision

    def watch(self) -> bool:
        """Look after every process once; return whether anything changed."""
        changed = False
        for entry in self._supervised.values():
            changed |= self._look_after(entry)
        return changed

    def processes(self) -> dict[str, dict[str, Any]]:
        """Each process's pid, state, restarts, probes and endpoint (for ``stack.json``)."""
        report = {}
        for name, entry in self._supervised.items():
            spec = entry.spec
            report[name] = {
                "pid": entry.child.pid,
                "state": entry.state,
                "restarts": entry.restarts,
                "last_exit": entry.last_exit,
                "last_restart": entry.last_restart,
                "endpoint": spec.endpoint(self._ports),
                "ports": [self._ports[port] for port in spec.port_names],
                "probe": spec.probe(self._ports).to_json(),
                "readiness": spec.readiness(self._ports).to_json() if spec.readiness else None,
            }
        return report

    def child(self, name: str) -> Child:
        return self._supervised[name].child

    def _look_after(self, entry: _Supervised) -> bool:
        now = self._clock()
        if entry.state in ("starting", "running") and not entry.child.alive():
            self._crashed(entry, entry.child.exit_description())
            return True
        if entry.state == "waiting" and now >= entry.retry_at:
            entry.restarts += 1
            entry.last_restart = datetime.now(UTC).isoformat()
            self._relaunch(entry)
            self._report(entry, f"restart {entry.restarts}: started (pid {entry.child.pid})")
            return True
        if entry.state == "starting":
            return self._check_restart(entry, now)
        stable = now - entry.up_since >= self._policy.stable_after
        if entry.state == "running" and entry.crashes_in_a_row and stable:
            entry.crashes_in_a_row = 0
        return False

    def _check_restart(self, entry: _Supervised, now: float) -> bool:
        if entry.spec.probe(self._ports).check(timeout=0.5):
            entry.state, entry.up_since = "running", now
            try:
                hook = self._after_restart.get(entry.spec.name)
                if hook is not None:
                    hook()
            except Exception as error:  # A half-restored process is no better than a dead one.
                entry.child.stop()
                self._crashed(entry, f"could not be set up again: {error}")
                return True
            self._report(entry, f"restart {entry.restarts}: up again (pid {entry.child.pid})")
            return True
        if now - entry.launched_at > self._policy.start_timeout:
            entry.child.stop()
            self._crashed(entry, f"not up after {self._policy.start_timeout:.0f} s")
            return True
        return False

    def _crashed(self, entry: _Supervised, why: str) -> None:
        entry.child.kill_group()
        entry.crashes_in_a_row += 1
        delay = self._policy.delay(entry.crashes_in_a_row)
        entry.state, entry.last_exit = "waiting", why
        entry.retry_at = self._clock() + delay
        pid = entry.child.pid
        self._report(
            entry,
            f"stopped unexpectedly (pid {pid}, {why}); restart {entry.restarts + 1} in {delay:g} s",
        )

    # Launching

    def _launch(self, spec: ChildSpec) -> _Supervised:
        entry = _Supervised(spec, spec.build(self._ports))
        self._supervised[spec.name] = entry
        self._run(entry)
        return entry

    def _relaunch(self, entry: _Supervised) -> None:
        entry.child = entry.spec.build(self._ports)
        entry.state = "starting"
        self._run(entry)

    def _run(self, entry: _Supervised) -> None:
        try:
            entry.log_offset = entry.child.log_path.stat().st_size
        except FileNotFoundError:
            entry.log_offset = 0
        entry.launched_at = self._clock()
        entry.child.start()

    def _first_start(self, entry: _Supervised) -> str:
        """ready | waiting | port taken | exited"""
        names = entry.spec.port_names
        if not entry.child.alive():
            if self._ports.movable(names) and (self._log_says_taken(entry) or self._taken(entry)):
                return "port taken"
            return "exited"
        if entry.spec.probe(self._ports).check(timeout=0.5):
            # Something answered, but a probe cannot tell who: make sure it is our process.
            if not self._taken(entry):
                return "ready"
            return "port taken" if self._ports.movable(names) else "taken by another program"
        if self._ports.movable(names) and self._taken(entry):
            return "port taken"
        return "waiting"

    def _taken(self, entry: _Supervised) -> bool:
        """Whether another program listens on one of the child's ports."""
        for name in entry.spec.port_names:
            port = self._ports[name]
            if listening_sockets(port) and not entry.child.listens_on(port):
                return True
        return False

    def _log_says_taken(self, entry: _Supervised) -> bool:
        with entry.child.log_path.open("rb") as log:
            log.seek(entry.log_offset)
            said = log.read().decode(errors="replace").lower()
        return any(phrase in said for phrase in _PORT_TAKEN)

    def _move(self, entry: _Supervised) -> _Supervised:
        entry.child.stop()
        lost = [f"{self._ports[name]}" for name in entry.spec.port_names]
        moved = [f"{self._ports.move(name)}" for name in entry.spec.port_names]
        self._report(
            entry,
            f"port {'/'.join(lost)} was taken before it could bind; trying {'/'.join(moved)}",
        )
        return self._launch(entry.spec)

    def _start_failure(self, entry: _Supervised, outcome: str) -> str:
        child = entry.child
        status = child.exit_description() if outcome == "exited" else outcome
        return f"{entry.spec.name} failed to start ({status}):\n{child.log_tail()}"

    def _report(self, entry: _Supervised, what: str) -> None:
        line = f"{entry.spec.name}: {what}"
        print(line, file=self._out, flush=True)
        entry.child.log(f"[mats up {datetime.now(UTC).isoformat()}] {line}")
