"""The Firebase Auth emulator in the local stack: how it is started, how its data is kept, and
the emulator-only REST calls the Admin SDK lacks (an SMS second factor, seeded).

firebase-tools runs it (pure Node, no Java) from a ``firebase.json`` the stack writes into
``<state>/auth``: Auth, the emulator hub and the logging emulator all on 127.0.0.1 on the
stack's ports, no UI; the same process runs the Hosting emulator serving the web dashboard
(``web.py``) when given a site. The hub's locator file goes under ``<state>/auth/tmp``
(``TMPDIR``), so two stacks never find each other's hub, and ``CI`` and ``NO_UPDATE_NOTIFIER``
keep the CLI from fetching its message of the day and checking for updates: nothing beyond
loopback is reached.

Its users outlive it: ``--import`` restores ``<state>/auth/export`` at every start and
``--export-on-exit`` writes it back when the emulator is stopped with SIGTERM (``mats down``, a
supervisor's stop). A SIGKILL skips that export, so ``AuthCheckpoint`` also exports through the
hub, from the stack's chores every few seconds, whenever the users changed: a crash loses at
most the changes of those last seconds.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mats.errors import PermanentError, TemporaryError

AUTH_PROJECT = "demo-mats"  # A demo- project: the emulator reaches for no real service.
EXPORT_METADATA = "firebase-export-metadata.json"
_OWNER = {"Authorization": "Bearer owner"}  # The emulator's admin credential.
_TIMEOUT = 10


@dataclass(frozen=True)
class AuthPorts:
    auth: int
    hub: int
    logging: int
    hosting: int | None = None


@dataclass(frozen=True)
class AuthDirectory:
    """``<state>/auth``: the emulator's working directory, configuration and kept data."""

    path: Path

    @property
    def config(self) -> Path:
        return self.path / "firebase.json"

    @property
    def export(self) -> Path:
        return self.path / "export"

    @property
    def temporary(self) -> Path:
        return self.path / "tmp"


def emulator_command(
    root: Path,
    directory: AuthDirectory,
    ports: AuthPorts,
    project_id: str = AUTH_PROJECT,
    hosting: dict[str, Any] | None = None,
) -> tuple[list[str], dict[str, str]]:
    """Write the emulator's configuration; return its command line and environment.

    With ``hosting`` (a ``firebase.json`` hosting site) and ``ports.hosting``, the same process
    also serves that site through the Hosting emulator.
    """
    directory.temporary.mkdir(parents=True, exist_ok=True)
    _settle_exports(directory)
    emulators: dict[str, Any] = {
        "auth": {"host": "127.0.0.1", "port": ports.auth},
        "hub": {"host": "127.0.0.1", "port": ports.hub},
        "logging": {"host": "127.0.0.1", "port": ports.logging},
        "ui": {"enabled": False},
        "singleProjectMode": True,
    }
    config: dict[str, Any] = {"emulators": emulators}
    only = "auth"
    if hosting is not None and ports.hosting is not None:
        emulators["hosting"] = {"host": "127.0.0.1", "port": ports.hosting}
        config["hosting"] = hosting
        only = "auth,hosting"
    directory.config.write_text(json.dumps(config, indent=2) + "\n")
    # Through node_modules/.bin, not npx: a signal to npx's pid does not reach the emulator.
    argv = [str(root / "node_modules" / ".bin" / "firebase"), "emulators:start"]
    argv += ["--only", only, "--project", project_id, "--config", str(directory.config)]
    if (directory.export / EXPORT_METADATA).is_file():
        argv += ["--import", str(directory.export)]
    argv += ["--export-on-exit", str(directory.export)]
    env = {"TMPDIR": str(directory.temporary), "CI": "true", "NO_UPDATE_NOTIFIER": "1"}
    return argv, env


def _settle_exports(directory: AuthDirectory) -> None:
    """Finish or drop what a SIGKILL during an export left in the working directory.

    An export writes a new copy there (its metadata file last), removes the kept one and moves
    the copy in its place: a complete copy with no kept export beside it is moved in now.
    """
    copies = sorted(directory.path.glob("firebase-export-*"), reverse=True)  # Newest first.
    for copy in copies:
        kept = (directory.export / EXPORT_METADATA).is_file()
        if not kept and (copy / EXPORT_METADATA).is_file():
            shutil.rmtree(directory.export, ignore_errors=True)
            copy.rename(directory.export)
        else:
            shutil.rmtree(copy, ignore_errors=True)


@dataclass(frozen=True)
class AuthEmulator:
    """The emulator's REST API at ``url`` for ``project_id``."""

    url: str
    project_id: str = AUTH_PROJECT

    def enroll_phone(self, uid: str, phone_number: str, enrollment_id: str) -> None:
        """Enrol an SMS second factor for ``uid`` directly (the user's email must be verified).

        Sign-in then asks for the code the emulator "sends", read from ``verification_codes``.
        """
        enrollment = {"phoneInfo": phone_number, "mfaEnrollmentId": enrollment_id}
        body = {"localId": uid, "mfa": {"enrollments": [enrollment]}}
        path = f"/identitytoolkit.googleapis.com/v1/projects/{self.project_id}/accounts:update"
        self.call("POST", path, body)

    def accounts(self) -> list[dict[str, Any]]:
        """Every account the emulator holds, as its batchGet returns them."""
        path = f"/identitytoolkit.googleapis.com/v1/projects/{self.project_id}/accounts:batchGet"
        found: list[dict[str, Any]] = self.call("GET", path + "?maxResults=-1").get("users", [])
        return found

    def verification_codes(self) -> list[dict[str, Any]]:
        """The SMS codes the emulator has "sent": phoneNumber, sessionInfo and code each."""
        path = f"/emulator/v1/projects/{self.project_id}/verificationCodes"
        codes: list[dict[str, Any]] = self.call("GET", path).get("verificationCodes", [])
        return codes

    def call(self, method: str, path: str, body: object = None) -> dict[str, Any]:
        """Call the emulator as its owner: ``PermanentError`` when it refuses the request,
        ``TemporaryError`` when it cannot be reached or fails."""
        return _request(method, self.url + path, body, _OWNER)


class AuthCheckpoint:
    """Export the emulator's data through its hub when the accounts changed since last time."""

    def __init__(self, emulator: AuthEmulator, hub_url: str, directory: AuthDirectory) -> None:
        self._emulator = emulator
        self._hub_url = hub_url
        self._directory = directory
        self._exported: str | None = None

    def __call__(self) -> bool:
        """Export if anything changed; ``True`` when it did. Quiet while the emulator is down."""
        try:
            accounts = json.dumps(self._emulator.accounts(), sort_keys=True)
        except TemporaryError:
            return False  # Restarting: the supervisor reports that already.
        digest = hashlib.sha256(accounts.encode()).hexdigest()
        if digest == self._exported:
            return False
        body = {"path": str(self._directory.export), "initiatedBy": "mats up", "targets": ["auth"]}
        _request("POST", self._hub_url + "/_admin/export", body, {})
        self._exported = digest
        return True


def _request(method: str, url: str, body: object, headers: dict[str, str]) -> dict[str, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 - the stack's own loopback emulator.
        url, data=data, method=method, headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as answer:  # noqa: S310 - loopback.
            raw = answer.read()
    except urllib.error.HTTPError as error:
        detail = error.read().decode(errors="replace")[:300]
        kind = TemporaryError if error.code >= 500 else PermanentError
        raise kind(f"the Auth emulator answered {error.code} to {url}: {detail}") from error
    except (urllib.error.URLError, OSError) as error:
        raise TemporaryError(f"the Auth emulator at {url} did not answer: {error}") from error
    found: dict[str, Any] = json.loads(raw) if raw else {}
    return found
