"""Firebase Auth's wiring: never the emulator on Cloud Run, one app per project, settings, and
the Auth emulator's command line in the local stack."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mats.adapters.firebase_auth import (
    AuthEmulatorInCloudError,
    FirebaseUsers,
    firebase_app,
    refuse_emulator_in_cloud,
)
from mats.bootstrap import bootstrap
from mats.errors import ValidationError
from mats.localstack.auth_emulator import (
    EXPORT_METADATA,
    AuthDirectory,
    AuthPorts,
    emulator_command,
)
from mats.settings.cloud import firebase_settings

PORTS = AuthPorts(auth=9099, hub=4400, logging=4500)


def test_the_emulator_on_cloud_run_is_refused() -> None:
    env = {"FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:9099", "K_SERVICE": "dashboard"}

    with pytest.raises(AuthEmulatorInCloudError) as refused:
        refuse_emulator_in_cloud(env)

    assert "FIREBASE_AUTH_EMULATOR_HOST" in str(refused.value)
    assert "K_SERVICE=dashboard" in str(refused.value)


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"K_SERVICE": "dashboard"},
        {"FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:9099"},
        {"FIREBASE_AUTH_EMULATOR_HOST": " ", "K_SERVICE": "dashboard"},
    ],
)
def test_the_emulator_off_cloud_run_or_cloud_run_without_it_is_accepted(
    env: dict[str, str],
) -> None:
    refuse_emulator_in_cloud(env)


def test_services_refuse_to_build_the_user_directory_on_cloud_run_with_the_emulator() -> None:
    services = bootstrap(
        {
            "GOOGLE_CLOUD_PROJECT": "mats-prod",
            "FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:9099",
            "K_SERVICE": "dashboard",
        }
    )

    with pytest.raises(AuthEmulatorInCloudError):
        _ = services.user_directory


def test_one_app_per_project_however_often_it_is_asked_for() -> None:
    first = firebase_app("demo-unit-one")

    assert firebase_app("demo-unit-one") is first
    assert firebase_app("demo-unit-two") is not first
    assert first.project_id == "demo-unit-one"


def test_pointing_a_client_at_the_emulator_leaves_the_environment_as_it_was(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("FIREBASE_AUTH_EMULATOR_HOST", raising=False)
    users = FirebaseUsers(firebase_app("demo-unit-env"), emulator_host="127.0.0.1:1")
    before = dict(os.environ)

    client = users._auth()

    assert dict(os.environ) == before
    assert client.emulated  # Built for the emulator all the same.


def test_the_firebase_project_defaults_to_the_cloud_project() -> None:
    settings = firebase_settings({"GOOGLE_CLOUD_PROJECT": "mats-prod"})

    assert settings.project_id == "mats-prod"
    assert settings.auth_emulator_host is None


def test_the_firebase_project_and_emulator_can_be_named() -> None:
    settings = firebase_settings(
        {
            "GOOGLE_CLOUD_PROJECT": "mats-local",
            "MATS_FIREBASE_PROJECT": "demo-mats",
            "FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:9099",
        }
    )

    assert settings.project_id == "demo-mats"
    assert settings.auth_emulator_host == "127.0.0.1:9099"


@pytest.mark.parametrize(
    ("env", "field"),
    [
        ({}, "MATS_FIREBASE_PROJECT"),
        (
            {"MATS_FIREBASE_PROJECT": "p", "FIREBASE_AUTH_EMULATOR_HOST": "http://127.0.0.1:9"},
            "FIREBASE_AUTH_EMULATOR_HOST",
        ),
    ],
)
def test_bad_firebase_settings_name_the_variable(env: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        firebase_settings(env)

    assert refused.value.field == field


def test_the_emulator_binds_only_loopback_without_a_ui(tmp_path: Path) -> None:
    directory = AuthDirectory(tmp_path / "auth")

    argv, env = emulator_command(tmp_path, directory, PORTS)

    config = json.loads(directory.config.read_text())["emulators"]
    assert {name: config[name]["host"] for name in ("auth", "hub", "logging")} == {
        "auth": "127.0.0.1",
        "hub": "127.0.0.1",
        "logging": "127.0.0.1",
    }
    assert [config[name]["port"] for name in ("auth", "hub", "logging")] == [9099, 4400, 4500]
    assert config["ui"] == {"enabled": False}
    assert argv[0] == str(tmp_path / "node_modules" / ".bin" / "firebase")
    assert argv[argv.index("--project") + 1].startswith("demo-")
    assert env["TMPDIR"] == str(directory.temporary)
    assert env["CI"] == "true"  # firebase-tools then skips fetching its message of the day.


def test_the_emulator_imports_only_a_complete_export_and_always_exports_on_exit(
    tmp_path: Path,
) -> None:
    directory = AuthDirectory(tmp_path / "auth")
    fresh, _ = emulator_command(tmp_path, directory, PORTS)
    directory.export.mkdir()
    (directory.export / EXPORT_METADATA).write_text("{}")
    unfinished = directory.path / "firebase-export-1700000000000abc"
    unfinished.mkdir()

    kept, _ = emulator_command(tmp_path, directory, PORTS)

    assert "--import" not in fresh
    assert kept[kept.index("--import") + 1] == str(directory.export)
    assert kept[kept.index("--export-on-exit") + 1] == str(directory.export)
    assert not unfinished.exists()


def test_a_complete_copy_left_by_an_interrupted_export_is_moved_in(tmp_path: Path) -> None:
    directory = AuthDirectory(tmp_path / "auth")
    directory.path.mkdir()
    older = directory.path / "firebase-export-1700000000000aaa"
    newer = directory.path / "firebase-export-1700000009999bbb"
    for copy in (older, newer):
        copy.mkdir()
        (copy / EXPORT_METADATA).write_text(copy.name)

    argv, _ = emulator_command(tmp_path, directory, PORTS)

    assert (directory.export / EXPORT_METADATA).read_text() == newer.name
    assert argv[argv.index("--import") + 1] == str(directory.export)
    assert not older.exists()
