"""How the local stack asks its processes whether they are up: free ports, TCP and HTTP probes.

A ``Probe`` is data (kept in ``stack.json``) so ``mats status`` runs exactly the check the
supervisor ran when it started the process. Standard library only: the CLI imports this.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


def free_port() -> int:
    """Return a port the system says is free now (it can be taken before anyone binds it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def http_ready(url: str) -> Callable[[], bool]:
    return lambda: http_answer(url, timeout=1)[0] == 200


def http_answer(url: str, timeout: float) -> tuple[int | None, Any]:
    """GET ``url``: its status and JSON body (``None`` when nothing answered or not JSON)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback.
            return int(response.status), _json(response.read())
    except urllib.error.HTTPError as error:
        return int(error.code), _json(error.read())
    except (urllib.error.URLError, OSError):
        return None, None


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


@dataclass(frozen=True)
class Probe:
    """A health check: ``http`` (GET answers 200) or ``tcp`` (the port accepts a connection)."""

    kind: str
    target: str

    @classmethod
    def http(cls, url: str) -> Probe:
        return cls("http", url)

    @classmethod
    def tcp(cls, port: int) -> Probe:
        return cls("tcp", str(port))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Probe:
        return cls(str(data["kind"]), str(data["target"]))

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "target": self.target}

    def check(self, timeout: float = 1.0) -> bool:
        if self.kind == "tcp":
            return port_in_use(int(self.target))
        return http_answer(self.target, timeout)[0] == 200
