"""``mats up``, ``mats down`` and ``mats status``: the local stack."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import click

from mats.cli.output import emit, json_option, table
from mats.errors import MatsError
from mats.localstack.health import Health, check_processes, supervisor_alive
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
@click.option("--fresh", is_flag=True, help="Discard the data kept from earlier runs first.")
@click.pass_context
def up(ctx: click.Context, port_base: int, no_demo: bool, fresh: bool) -> None:
    """Start the local stack (Firestore, Pub/Sub, functions, bridge) and run until Ctrl-C."""
    # gRPC's own notices (a channel closing as the emulator stops) are noise on this terminal.
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    from mats.localstack.stack import StackOptions, run_stack  # noqa: PLC0415 - heavy; `up` only.

    state_dir = ctx.obj.state_dir or DEFAULT_STATE_DIR
    options = StackOptions(
        state_dir=Path(state_dir), port_base=port_base, seed_demo=not no_demo, fresh=fresh
    )
    raise SystemExit(run_stack(options))


@click.command()
@json_option
@click.pass_context
def down(ctx: click.Context) -> None:
    """Stop the running local stack."""
    stack_file, stack = _stack_file(ctx.obj.state_dir)
    pid = int(stack["pid"])
    if not supervisor_alive(stack):
        # `mats up` was killed outright: stop what it left and forget it.
        from mats.localstack.processes import kill_stack_processes  # noqa: PLC0415 - rare path.

        left = kill_stack_processes(stack_file.parent)
        stack_file.unlink(missing_ok=True)
        emit(
            {"stopped": True, "pid": pid, "leftovers": len(left)},
            lambda _: f"The stack (pid {pid}) had died; stopped {len(left)} process(es) it left.",
        )
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while stack_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    if stack_file.exists():
        raise MatsError(f"the stack (pid {pid}) did not stop within 30 s")
    emit({"stopped": True, "pid": pid}, lambda _: f"Stopped the local stack (pid {pid}).")


@click.command()
@json_option
@click.pass_context
def status(ctx: click.Context) -> None:
    """Show every process of the local stack: pid, health, restarts and endpoint."""
    stack_file, stack = _stack_file(ctx.obj.state_dir)
    if not supervisor_alive(stack):
        raise MatsError(
            f"the stack (pid {stack['pid']}) is not running; {stack_file} is left from a stack "
            "that died (`mats down` cleans up, `mats up` starts again)"
        )
    processes = check_processes(stack)
    report = {
        **stack,
        "processes": {health.name: health.to_json() for health in processes},
        "healthy": {health.name: health.healthy for health in processes},
    }
    emit(report, lambda _: _render_status(stack, processes))


def _render_status(stack: dict[str, Any], processes: list[Health]) -> str:
    rows = [(h.name, h.pid, h.state, h.detail, h.restarts, h.endpoint) for h in processes]
    header = f"MATS local stack, project {stack['project_id']}, pid {stack['pid']}"
    if stack.get("auth_emulator_host"):
        header += (
            f"; Auth emulator {stack['auth_emulator_host']} (FIREBASE_AUTH_EMULATOR_HOST), "
            f"project {stack['auth_project_id']}"
        )
    headers = ["PROCESS", "PID", "STATE", "HEALTH", "RESTARTS", "ENDPOINT"]
    return header + "\n" + table(rows, headers)


def _stack_file(state_dir: Path | None) -> tuple[Path, dict[str, Any]]:
    directory = state_dir or find_state_dir()
    stack_file = directory / STACK_FILE if directory else None
    if stack_file is None or not stack_file.is_file():
        raise MatsError("no local stack is running (start one with `mats up`)")
    return stack_file, json.loads(stack_file.read_text())
