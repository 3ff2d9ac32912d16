"""``mats up``, ``mats down`` and ``mats status``: the local stack."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import click

from mats.cli.output import emit, json_option, table
from mats.errors import MatsError
from mats.localstack.paths import DEFAULT_PORT_BASE, DEFAULT_STATE_DIR, STACK_FILE, find_state_dir


@click.command()
@click.option(
    "--port-base",
    type=click.IntRange(min=0, max=65000),
    default=DEFAULT_PORT_BASE,
    show_default=True,
    help="Firestore on this port, Pub/Sub on +1, ingest on +2. 0 picks any free ports.",
)
@click.option("--no-demo", is_flag=True, help="Start empty: no demo sender or strategies.")
@click.pass_context
def up(ctx: click.Context, port_base: int, no_demo: bool) -> None:
    """Start the local stack (Firestore, Pub/Sub, functions) and run until Ctrl-C."""
    # gRPC's own notices (a channel closing as the emulator stops) are noise on this terminal.
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    from mats.localstack.stack import StackOptions, run_stack  # noqa: PLC0415 - heavy; `up` only.

    state_dir = ctx.obj.state_dir or DEFAULT_STATE_DIR
    options = StackOptions(state_dir=Path(state_dir), port_base=port_base, seed_demo=not no_demo)
    raise SystemExit(run_stack(options))


@click.command()
@json_option
@click.pass_context
def down(ctx: click.Context) -> None:
    """Stop the running local stack."""
    stack_file, stack = _running_stack(ctx.obj.state_dir)
    pid = int(stack["pid"])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while stack_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    if stack_file.exists():
        raise MatsError(f"the stack (pid {pid}) did not stop within 20 s")
    emit({"stopped": True, "pid": pid}, lambda _: f"Stopped the local stack (pid {pid}).")


@click.command()
@json_option
@click.pass_context
def status(ctx: click.Context) -> None:
    """Show the local stack's endpoints and whether each answers."""
    _, stack = _running_stack(ctx.obj.state_dir)
    checks = {
        "ingest": _answers(f"{stack['ingest_url']}/healthz"),
        "pubsub": _answers(f"http://{stack['pubsub_emulator_host']}/"),
        "firestore": _answers(f"{stack['firestore_control_url']}/"),
    }
    report = {**stack, "healthy": checks}
    emit(report, lambda _: _render_status(stack, checks))


def _render_status(stack: dict[str, Any], checks: dict[str, bool]) -> str:
    rows = [
        ("ingest", stack["ingest_url"], checks["ingest"]),
        ("firestore", stack["firestore_emulator_host"], checks["firestore"]),
        ("pubsub", stack["pubsub_emulator_host"], checks["pubsub"]),
    ]
    header = f"MATS local stack, project {stack['project_id']}, pid {stack['pid']}"
    return header + "\n" + table(rows, ["SERVICE", "ENDPOINT", "HEALTHY"])


def _running_stack(state_dir: Path | None) -> tuple[Path, dict[str, Any]]:
    directory = state_dir or find_state_dir()
    stack_file = directory / STACK_FILE if directory else None
    if stack_file is None or not stack_file.is_file():
        raise MatsError("no local stack is running (start one with `mats up`)")
    return stack_file, json.loads(stack_file.read_text())


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback URL.
            status_code: int = response.status
            return status_code == 200
    except (urllib.error.URLError, OSError):
        return False
