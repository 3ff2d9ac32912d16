"""Which port each part of the local stack listens on.

``--port-base N`` lays them out from N; ``--port-base 0`` asks the system for free ports. A free
port is only a guess until the child binds it (another process can take it in between), so a
port the system picked may be moved when its child loses it at its first start. Once a child
has started, its ports are fixed: a restarted child comes back where the others expect it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from mats.errors import MatsError
from mats.localstack.probes import free_port, port_in_use

# In --port-base order; the Firestore emulator's control port is always picked by the system.
LAID_OUT = (
    "firestore",
    "pubsub",
    "ingest",
    "cerebro",
    "optimizer",
    "bridge",
    "ib_gateway",
    "ib_control",
    "telegram",
    "dashboard",
    "auth",
    "auth_hub",
    "auth_logging",
    "hosting",
)
PICKED = ("firestore_control",)


class Ports:
    def __init__(self, assigned: dict[str, int], movable: Iterable[str], pick: Callable[[], int]):
        self._assigned = dict(assigned)
        self._movable = set(movable)
        self._pick = pick

    @classmethod
    def choose(cls, base: int, pick: Callable[[], int] = free_port) -> Ports:
        """Lay ports out from ``base``, or pick free ones with base 0."""
        if base == 0:
            names = (*LAID_OUT, *PICKED)
            return cls({name: pick() for name in names}, names, pick)
        assigned = {name: base + offset for offset, name in enumerate(LAID_OUT)}
        busy = [port for port in assigned.values() if port_in_use(port)]
        if busy:
            raise MatsError(
                f"port {busy[0]} is already in use; pick another range with --port-base "
                "(or --port-base 0 for any free ports)"
            )
        assigned.update({name: pick() for name in PICKED})
        return cls(assigned, PICKED, pick)

    def __getitem__(self, name: str) -> int:
        return self._assigned[name]

    def movable(self, names: Iterable[str]) -> bool:
        return all(name in self._movable for name in names)

    def move(self, name: str) -> int:
        """Give ``name`` another free port (one no other part of the stack holds)."""
        if name not in self._movable:
            raise MatsError(f"the {name} port {self._assigned[name]} was asked for; not moving it")
        taken = set(self._assigned.values())
        port = self._pick()
        while port in taken:
            port = self._pick()
        self._assigned[name] = port
        return port

    def fix(self, names: Iterable[str]) -> None:
        """A child is up on these ports: from now on it must come back on them."""
        self._movable.difference_update(names)
