"""The official Firestore client, for a project or for an emulator named by the caller.

``firestore.Client`` only finds an emulator through ``FIRESTORE_EMULATOR_HOST`` in
``os.environ``. MATS passes the host explicitly instead, so a process (the CLI) can point its
client at a local stack without changing its own environment.
"""

from __future__ import annotations

from typing import Any

from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore


class _EmulatorClient(firestore.Client):
    """The official client on its own emulator path, given the host instead of the variable.

    The constructor reads ``FIRESTORE_EMULATOR_HOST`` into ``_emulator_host``, which decides
    everything emulator-specific afterwards: an insecure channel to that host and the emulator's
    ``Bearer owner`` metadata. With credentials and project given it uses the variable for
    nothing else, so setting the attribute right after construction takes exactly that path.
    (The client is pinned in ``uv.lock``; tests/integration/test_cli.py runs the CLI on the
    stack with no emulator variable set.)
    """

    def __init__(self, project: str, host: str) -> None:
        super().__init__(project=project, credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
        self._emulator_host = host


def firestore_client(project_id: str, emulator_host: str | None) -> Any:
    """Return a client for the project's database, or for the emulator at ``emulator_host``."""
    if emulator_host is None:
        return firestore.Client(project=project_id)
    return _EmulatorClient(project_id, emulator_host)
