"""The CLI's start: commands loaded when they run, and a target that leaves os.environ alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from mats.cli.app import cli
from mats.cli.registry import ALIASES, COMMANDS
from mats.cli.target import resolve_target
from mats.settings import Settings
from mats.settings.cloud import CloudSettings

EMULATOR_VARIABLES = ("GOOGLE_CLOUD_PROJECT", "FIRESTORE_EMULATOR_HOST", "PUBSUB_EMULATOR_HOST")


def test_each_registered_summary_is_the_first_sentence_of_its_commands_help() -> None:
    context = click.Context(cli)

    for name, entry in COMMANDS.items():
        command = cli.get_command(context, name)
        assert command is not None, name
        assert command.name == name
        assert command.get_short_help_str(limit=1000) == entry.summary, name


def test_an_alias_is_the_very_command_it_names_and_is_not_listed_apart() -> None:
    context = click.Context(cli)

    assert ALIASES == {"dead-letters": "dlq"}
    for alias, name in ALIASES.items():
        assert alias not in COMMANDS
        assert cli.get_command(context, alias) is cli.get_command(context, name)
    assert alias not in cli.list_commands(context)


def test_help_lists_every_command_and_imports_none_of_them() -> None:
    script = (
        "import json, sys\n"
        "from mats.cli.app import cli\n"
        "try:\n"
        "    cli.main(['--help'], prog_name='mats')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(result.stderr.strip().splitlines()[-1]))

    listed = [line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines() if line]
    assert listed == sorted(COMMANDS)
    assert not {entry.module for entry in COMMANDS.values()} & loaded
    # ``google`` and ``google.cloud`` themselves are namespaces the venv's .pth files declare.
    heavy = ("google.", "grpc", "numpy", "scipy", "highspy", "mats.bootstrap", "mats.services")
    assert not [m for m in loaded if m.startswith(heavy) and m != "google.cloud"]


def write_stack(state_dir: Path) -> dict[str, str]:
    stack = {
        "pid": os.getpid(),  # Alive: this test process stands in for `mats up`.
        "project_id": "mats-local",
        "ingest_url": "http://127.0.0.1:8683",
        "bridge_url": "http://127.0.0.1:8686",
        "firestore_emulator_host": "127.0.0.1:8681",
        "pubsub_emulator_host": "127.0.0.1:8682",
        "secrets_dir": str(state_dir / "secrets"),
    }
    (state_dir / "stack.json").write_text(json.dumps(stack))
    return stack


def test_a_local_stack_target_carries_its_environment_and_writes_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (*EMULATOR_VARIABLES, "MATS_BRIDGE_URL"):
        monkeypatch.delenv(name, raising=False)
    stack = write_stack(tmp_path)
    before = dict(os.environ)

    target = resolve_target(state_dir=tmp_path, project=None, ingest_url=None)

    assert dict(os.environ) == before
    assert target.kind == "local"
    assert target.env == {
        "GOOGLE_CLOUD_PROJECT": "mats-local",
        "FIRESTORE_EMULATOR_HOST": "127.0.0.1:8681",
        "PUBSUB_EMULATOR_HOST": "127.0.0.1:8682",
        "MATS_SECRETS_DIR": stack["secrets_dir"],
    }
    settings = Settings({**os.environ, **target.env})
    assert settings.cloud == CloudSettings("mats-local", "127.0.0.1:8681", "127.0.0.1:8682")
    assert settings.secrets_dir == Path(stack["secrets_dir"])


def test_a_project_target_is_the_real_project_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in EMULATOR_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    write_stack(tmp_path)  # --project wins over a running stack.
    before = dict(os.environ)

    target = resolve_target(state_dir=tmp_path, project="fund-prod", ingest_url=None)

    assert dict(os.environ) == before
    assert (target.kind, target.project_id) == ("cloud", "fund-prod")
    assert Settings({**os.environ, **target.env}).cloud == CloudSettings("fund-prod")
