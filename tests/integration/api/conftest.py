"""The API tests' client: its own services on the session's stack."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.conftest import Stack
from tests.integration.api.client import ApiClient


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[ApiClient]:
    from mats.bootstrap import bootstrap  # noqa: PLC0415 - needs the stack's environment.

    # The bridge's URL as the stack gives its dashboard function (the CLI finds it in stack.json).
    services = bootstrap({**os.environ, "MATS_BRIDGE_URL": stack.info["bridge_url"]})
    try:
        yield ApiClient(services)
    finally:
        services.close()
