"""Every ``mats`` command: where it lives and the one line ``mats --help`` shows for it.

``mats --help`` lists the commands from this table without importing them, and a command's
module is imported only when that command runs, so no command pays for another's imports.
Each summary is the first sentence of the command's own help (a unit test holds them equal).
``ALIASES`` are other names of a listed command: the same command object, not listed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CommandEntry:
    module: str
    attribute: str
    summary: str


COMMANDS: dict[str, CommandEntry] = {
    "up": CommandEntry(
        "mats.cli.stack",
        "up",
        "Start the local stack (Firestore, Pub/Sub, functions, bridge) and run until Ctrl-C.",
    ),
    "down": CommandEntry("mats.cli.stack", "down", "Stop the running local stack."),
    "status": CommandEntry(
        "mats.cli.stack",
        "status",
        "Show every process of the local stack: pid, health, restarts and endpoint.",
    ),
    "users": CommandEntry(
        "mats.cli.users",
        "users",
        "Dashboard users: create them, give them a role, disable and list them.",
    ),
    "senders": CommandEntry(
        "mats.cli.senders", "senders", "Create, rotate, update and list signal senders."
    ),
    "secrets": CommandEntry(
        "mats.cli.secrets",
        "secrets",
        "Set secrets from stdin and list their names and versions (never their values).",
    ),
    "strategies": CommandEntry(
        "mats.cli.strategies", "strategies", "Create, update, show and list strategies."
    ),
    "signals": CommandEntry("mats.cli.signals", "signals", "Send test alerts and inspect signals."),
    "allocations": CommandEntry(
        "mats.cli.allocations",
        "allocations",
        "Review, approve, reject and edit capital allocations.",
    ),
    "backtests": CommandEntry(
        "mats.cli.backtests", "backtests", "Ingest, sync and show strategies' backtests."
    ),
    "optimize": CommandEntry(
        "mats.cli.optimize",
        "optimize",
        "Run the nightly optimisation now and review its runs and settings.",
    ),
    "schedule": CommandEntry(
        "mats.cli.schedule",
        "schedule",
        "The nightly optimisation's schedule: show, pause, resume, run now, change the time.",
    ),
    "sandbox": CommandEntry(
        "mats.cli.optimize",
        "sandbox",
        "Try settings and hypothetical strategies without touching live allocations.",
    ),
    "accounts": CommandEntry(
        "mats.cli.trading", "accounts", "Broker account snapshots: equity, cash, margin."
    ),
    "positions": CommandEntry("mats.cli.trading", "positions", "The per-strategy position ledger."),
    "instruments": CommandEntry(
        "mats.cli.trading",
        "instruments",
        "What each venue accepts: tick, lot, multiplier, minimum notional, margin.",
    ),
    "quotes": CommandEntry(
        "mats.cli.trading", "quotes", "Latest prices (the bridge will stream these)."
    ),
    "fx": CommandEntry(
        "mats.cli.trading",
        "fx",
        "FX rates for valuing instruments in another currency than the account's.",
    ),
    "risk": CommandEntry(
        "mats.cli.trading",
        "risk",
        "Trading states: ACTIVE, REDUCING (exits only), HALTED (nothing).",
    ),
    "decisions": CommandEntry(
        "mats.cli.decisions", "decisions", "Cerebro's decisions: the flight recorder."
    ),
    "orders": CommandEntry(
        "mats.cli.execution", "orders", "Orders Cerebro decided, and how far they are executed."
    ),
    "fills": CommandEntry(
        "mats.cli.execution",
        "fills",
        "Executions at the venues, each booked once to its strategy's position.",
    ),
    "bridge": CommandEntry(
        "mats.cli.execution",
        "bridge",
        "The execution bridge: venue sessions and background jobs.",
    ),
    "reconcile": CommandEntry(
        "mats.cli.execution",
        "reconcile",
        "Reconcile now: the broker's positions against the strategies'; residuals to "
        "Discretionary.",
    ),
    "alerts": CommandEntry(
        "mats.cli.alerts",
        "alerts",
        "Alerts raised for people: blocked exits, limits, mismatches, broker trouble.",
    ),
    "dlq": CommandEntry(
        "mats.cli.dead_letters",
        "dead_letters",
        "Dead letters: messages a subscription gave up on, counted per source subscription.",
    ),
    "fund": CommandEntry(
        "mats.cli.fund",
        "fund",
        "The fund: its summary (equity, NAV, today's P&L, margin) and settings.",
    ),
    "clients": CommandEntry(
        "mats.cli.clients",
        "clients",
        "Investors: create them, record deposits and withdrawals, show their units and value.",
    ),
    "nav": CommandEntry(
        "mats.cli.fund", "nav", "NAV per unit: strike it, its history and the fund's returns."
    ),
    "payouts": CommandEntry(
        "mats.cli.payouts",
        "payouts",
        "Senders' fees: month-end crystallisation, payouts due and paid, payout terms.",
    ),
    "pnl": CommandEntry(
        "mats.cli.pnl",
        "pnl",
        "P&L in the base currency by fund, account, strategy, sender or signal.",
    ),
    "snapshots": CommandEntry(
        "mats.cli.fund",
        "snapshots",
        "Hourly snapshots of every position and account, as valued then.",
    ),
    "shortfall": CommandEntry(
        "mats.cli.pnl",
        "shortfall",
        "Execution quality: implementation shortfall per strategy or sender, in basis points.",
    ),
}

# Another name of a command above, and the command it names.
ALIASES: dict[str, str] = {
    "dead-letters": "dlq",  # Its first name, kept for scripts and habits.
}
