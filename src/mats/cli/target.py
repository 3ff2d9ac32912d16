"""Which MATS the CLI talks to: the local stack (``.mats/stack.json``) or a Google Cloud project."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mats.errors import MatsError
from mats.localstack.paths import STACK_FILE, find_state_dir


@dataclass(frozen=True)
class Target:
    """A MATS to talk to; ``env`` holds the settings that point the services' clients at it."""

    kind: str
    project_id: str
    ingest_url: str | None
    state_dir: Path | None = None
    stack: dict[str, Any] | None = None
    bridge_url: str | None = None
    dashboard_url: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        return f"{self.kind} project {self.project_id}"


def resolve_target(
    *, state_dir: Path | None, project: str | None, ingest_url: str | None
) -> Target:
    """Pick the target and the settings that point the clients at it; ``os.environ`` is only read.

    ``--project`` (or ``MATS_PROJECT``) means a real project with Application Default
    Credentials, unless emulator variables are already set. Otherwise the nearest running local
    stack is used: its project, emulators and secret store.
    """
    bridge_url = os.environ.get("MATS_BRIDGE_URL")
    dashboard_url = os.environ.get("MATS_DASHBOARD_URL")
    if project:
        return Target(
            "cloud",
            project,
            ingest_url,
            bridge_url=bridge_url,
            dashboard_url=dashboard_url,
            env={"GOOGLE_CLOUD_PROJECT": project},
        )
    directory = state_dir or find_state_dir()
    stack_file = directory / STACK_FILE if directory else None
    if stack_file is not None and stack_file.is_file():
        stack = json.loads(stack_file.read_text())
        if not _alive(int(stack.get("pid", 0))):
            raise MatsError(
                f"the local stack recorded in {stack_file} is not running "
                f"(pid {stack.get('pid')}); start it with `mats up`"
            )
        return Target(
            "local",
            stack["project_id"],
            ingest_url or stack["ingest_url"],
            directory,
            stack,
            bridge_url=bridge_url or stack.get("bridge_url"),
            dashboard_url=dashboard_url or (stack.get("function_urls") or {}).get("dashboard"),
            env=_stack_env(stack),
        )
    if os.environ.get("GOOGLE_CLOUD_PROJECT"):
        return Target(
            "environment",
            os.environ["GOOGLE_CLOUD_PROJECT"],
            ingest_url,
            bridge_url=bridge_url,
            dashboard_url=dashboard_url,
        )
    raise MatsError(
        "no MATS to talk to: start the local stack with `make up` (or `mats up`), "
        "or pass --project PROJECT_ID for a Google Cloud project"
    )


def _stack_env(stack: Mapping[str, Any]) -> dict[str, str]:
    env = {
        "GOOGLE_CLOUD_PROJECT": stack["project_id"],
        "FIRESTORE_EMULATOR_HOST": stack["firestore_emulator_host"],
        "PUBSUB_EMULATOR_HOST": stack["pubsub_emulator_host"],
    }
    if stack.get("secrets_dir"):
        env["MATS_SECRETS_DIR"] = stack["secrets_dir"]
    if stack.get("auth_emulator_host"):
        env["FIREBASE_AUTH_EMULATOR_HOST"] = stack["auth_emulator_host"]
        env["MATS_FIREBASE_PROJECT"] = stack["auth_project_id"]
    return env


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
