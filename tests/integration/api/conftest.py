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

    services = bootstrap(dict(os.environ))
    try:
        yield ApiClient(services)
    finally:
        services.close()
