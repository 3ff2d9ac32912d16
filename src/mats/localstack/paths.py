"""Where the local stack finds the repository's files and keeps its state."""

from __future__ import annotations

import os
from pathlib import Path

import mats

TOPOLOGY = Path("infra/pubsub/topology.json")
STACK_FILE = "stack.json"
DEFAULT_STATE_DIR = Path(".mats")
DEFAULT_PORT_BASE = 8681


def repo_root() -> Path:
    """Return the checkout holding ``infra/`` and ``node_modules/`` (``MATS_REPO_ROOT`` wins)."""
    override = os.environ.get("MATS_REPO_ROOT")
    candidates = [Path(override)] if override else []
    candidates += [Path.cwd(), *Path.cwd().parents, *Path(mats.__file__).resolve().parents]
    for candidate in candidates:
        if (candidate / TOPOLOGY).is_file():
            return candidate
    raise FileNotFoundError(
        f"cannot find the MATS checkout ({TOPOLOGY} is missing); run from the repository "
        "or set MATS_REPO_ROOT"
    )


def find_state_dir(start: Path | None = None) -> Path | None:
    """Find the nearest ``.mats`` holding a running stack's ``stack.json``, upwards from cwd."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        if (directory / DEFAULT_STATE_DIR / STACK_FILE).is_file():
            return directory / DEFAULT_STATE_DIR
    return None
