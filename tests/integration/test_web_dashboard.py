"""The web dashboard in a real browser: web/e2e's Playwright tests, in Debian's headless
Chromium, against a demo stack of their own (the Hosting emulator serving web/dist, the Auth
emulator, the API, Firestore, Pub/Sub, the functions and the bridge). They sign in as each demo
user (the admin with the SMS code), compare the figures shown with the API's, approve the
demo's recommendation, check axe-core and write screenshots to .mats/screenshots/.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, Stack, start_stack, stop_stack

CHROMIUM = Path(os.environ.get("MATS_CHROMIUM", "/usr/bin/chromium"))
WEB = REPO / "web"


@pytest.fixture(scope="module")
def web_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not (WEB / "dist" / "index.html").is_file():
        pytest.fail("web/dist is not built: run `make install` (or `make web`)")
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    running = start_stack(tmp_path_factory.mktemp("web"))
    try:
        yield running
    finally:
        stop_stack(running)


@pytest.mark.timeout(600)  # Every spec in turn, on a stack of its own: 2 to 4 minutes here.
def test_each_role_uses_the_dashboard_in_a_browser(web_stack: Stack) -> None:
    env = {
        **os.environ,
        "MATS_STACK_FILE": str(web_stack.state_dir / "stack.json"),
        "MATS_DEMO_USERS": str(web_stack.state_dir / "demo-users.json"),
        "MATS_CHROMIUM": str(CHROMIUM),
        "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
        "CI": "1",
    }
    result = subprocess.run(
        [str(WEB / "node_modules" / ".bin" / "playwright"), "test"],
        cwd=WEB,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )

    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
