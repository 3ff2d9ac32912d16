"""``mats``: the operator CLI for the local stack or a Google Cloud project.

Every command takes ``--help`` and ``--json``. Errors print ``error: ...`` (or a JSON object with
``error`` and ``field`` under ``--json``) and exit with status 1; usage errors exit with 2. A
command that reports a stored run or job whose outcome is FAILED prints it as usual (the JSON
document under ``--json``), then ``error: CODE: message`` on stderr in text, and exits with 1.
"""

from __future__ import annotations

from mats.cli import (
    alerts,
    allocations,
    backtests,
    decisions,
    execution,
    optimize,
    senders,
    signals,
    stack,
    strategies,
    trading,
)
from mats.cli.app import cli

for command in (
    stack.up,
    stack.down,
    stack.status,
    senders.senders,
    strategies.strategies,
    signals.signals,
    allocations.allocations,
    backtests.backtests,
    optimize.optimize,
    optimize.sandbox,
    trading.accounts,
    trading.positions,
    trading.instruments,
    trading.quotes,
    trading.fx,
    trading.risk,
    decisions.decisions,
    execution.orders,
    execution.fills,
    execution.bridge,
    execution.reconcile,
    alerts.alerts,
):
    cli.add_command(command)


def main() -> None:
    """Run the CLI (the ``mats`` console script)."""
    cli()
