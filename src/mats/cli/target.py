"""Which MATS the CLI talks to: the local stack (``.mats/stack.json``) or a Google Cloud project."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mats.errors import MatsError
from mats.localstack.paths import STACK_FILE, find_state_dir


@dataclass(frozen=True)
class Target:
    kind: str
    project_id: str
    ingest_url: str | None
    state_dir: Path | None = None
    stack: dict[str, Any] | None = None
    bridge_url: str | None = None

    def describe(self) -> str:
        return f"{self.kind} project {self.project_id}"


def resolve_target(
    *, state_dir: Path | None, project: str | None, ingest_url: str | None
) -> Target:
    """Pick the target and point the Google clients at it (emulator variables for the stack).

    ``--project`` (or ``MATS_PROJECT``) means a real project with Application Default
    Credentials, unless emulator variables are already set. Otherwise the nearest running local
    stack is used.
    """
    if project:
        os.environ["GOOGLE_CLOUD_PROJECT"] = project
        return Target("cloud", project, ingest_url, bridge_url=os.environ.get("MATS_BRIDGE_URL"))
    directory = state_dir or find_state_dir()
    stack_file = directory / STACK_FILE if directory else None
    if stack_file is not None and stack_file.is_file():
        stack = json.loads(stack_file.read_text())
        if not _alive(int(stack.get("pid", 0))):
            raise MatsError(
                f"the local stack recorded in {stack_file} is not running "
                f"(pid {stack.get('pid')}); start it with `mats up`"
            )
        os.environ["GOOGLE_CLOUD_PROJECT"] = stack["project_id"]
        os.environ["FIRESTORE_EMULATOR_HOST"] = stack["firestore_emulator_host"]
        os.environ["PUBSUB_EMULATOR_HOST"] = stack["pubsub_emulator_host"]
        return Target(
            "local",
            stack["project_id"],
            ingest_url or stack["ingest_url"],
            directory,
            stack,
            bridge_url=os.environ.get("MATS_BRIDGE_URL") or stack.get("bridge_url"),
        )
    if os.environ.get("GOOGLE_CLOUD_PROJECT"):
        return Target(
            "environment",
            os.environ["GOOGLE_CLOUD_PROJECT"],
            ingest_url,
            bridge_url=os.environ.get("MATS_BRIDGE_URL"),
        )
    raise MatsError(
        "no MATS to talk to: start the local stack with `make up` (or `mats up`), "
        "or pass --project PROJECT_ID for a Google Cloud project"
    )


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
