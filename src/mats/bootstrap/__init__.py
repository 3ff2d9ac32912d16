"""The composition root: settings from an environment mapping, adapters wired to services lazily.

``bootstrap(env)`` builds a process's services from the environment it is given: the functions
and the bridge pass their own ``os.environ`` (through ``instance_services``), the CLI the
environment of the MATS it targets, tests whatever they need. Nothing connects, parses a settings
section or loads a client library before it is used (``mats.settings``, ``mats.bootstrap.root``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any

from mats.bootstrap.root import Services
from mats.logs import configure_logging
from mats.settings import Settings

__all__ = ["Services", "bootstrap", "forget_instance_services", "instance_services"]


def bootstrap(env: Mapping[str, str], **overrides: Any) -> Services:
    """Build the services from ``env``; keyword overrides replace adapters (tests)."""
    return Services(Settings(env), **overrides)


_instance: Services | None = None
_instance_lock = threading.Lock()


def instance_services() -> Services:
    """The one composition root of a function instance, built on its first request.

    Never at import: a cold start only pays for what the first request uses.
    """
    global _instance  # noqa: PLW0603 - one per process, built lazily.
    with _instance_lock:
        if _instance is None:
            configure_logging()
            _instance = bootstrap(os.environ)
        return _instance


def forget_instance_services() -> None:
    """Drop the instance's services so the next request rebuilds them from the environment."""
    global _instance  # noqa: PLW0603 - see instance_services.
    with _instance_lock:
        _instance = None
