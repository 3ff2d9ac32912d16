"""``mats up``: the whole pipeline on one machine, no cloud account needed.

Starts the Firestore emulator, the local Pub/Sub service, the simulated IB Gateway and a Telegram
capture server together, then the Firebase Auth emulator, one functions-framework process per
function (started the way Cloud Run starts it) and the execution bridge (under gunicorn, as its
container runs it) together while demo data is seeded into an empty store, seeds the demo's
dashboard users, applies the declared topology, writes the endpoints to ``.mats/stack.json`` and
then supervises: a process that dies is restarted on its ports (``supervisor.py``), signals whose
publish failed are re-published, the Auth emulator's users are checkpointed, and the nightly run
is made as its schedule document says (``nightly.py``), until Ctrl-C or SIGTERM stops everything.

Firestore documents, Pub/Sub's topics, subscriptions and unacknowledged messages, and the Auth
emulator's users are kept in the state directory, so they outlive a crash of their process and
``mats down``; ``--fresh`` discards them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from mats.adapters.pubsub import PubSubAdmin
from mats.bootstrap import bootstrap
from mats.domain.schedule import new_request_id
from mats.errors import MatsError
from mats.localstack import children
from mats.localstack.auth_emulator import AuthCheckpoint, AuthEmulator
from mats.localstack.children import KEPT_DATA, Layout, url
from mats.localstack.chores import Chores, accounting_jobs
from mats.localstack.demo import (
    DemoSeed,
    configure_demo_gateway,
    report_demo_equity,
    seed_demo,
    write_demo_backtests,
)
from mats.localstack.demo_users import DemoUser, restore_demo_users, seed_demo_users
from mats.localstack.nightly import NightlyRunner
from mats.localstack.paths import DEFAULT_PORT_BASE, STACK_FILE, TOPOLOGY, repo_root
from mats.localstack.ports import Ports
from mats.localstack.probes import http_answer
from mats.localstack.processes import kill_stack_processes
from mats.localstack.summary import (
    print_summary,
    save_demo_secret,
    saved_demo_sender,
    write_stack_file,
)
from mats.localstack.supervisor import Supervisor
from mats.localstack.topology import apply_topology, load_topology
from mats.localstack.web import web_config, write_web_config

LOCAL_PROJECT = "mats-local"
_WATCH_SECONDS = 0.2


class StackAlreadyRunningError(MatsError):
    """Another ``mats up`` holds this state directory."""


@dataclass(frozen=True)
class StackOptions:
    state_dir: Path
    port_base: int = DEFAULT_PORT_BASE
    project_id: str = LOCAL_PROJECT
    seed_demo: bool = True
    fresh: bool = False


def run_stack(options: StackOptions, out: IO[str] = sys.stdout) -> int:
    """Run the stack until stopped; return the process exit code."""
    state_dir = options.state_dir.resolve()
    with _exclusive(state_dir):
        leftovers = kill_stack_processes(state_dir)
        if leftovers:
            print(f"Stopped {len(leftovers)} process(es) left by a stack that died.", file=out)
        if options.fresh:
            _discard_kept_data(state_dir)
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        ports = Ports.choose(options.port_base)
        layout = Layout(repo_root(), state_dir, options.project_id, _backtest_dir(state_dir))
        stack = _Stack(layout, ports, out)
        try:
            stack.start(seed=options.seed_demo)
            stack.supervise(stop)
            return 0
        finally:
            stack.stop()
            (state_dir / STACK_FILE).unlink(missing_ok=True)
            print("MATS local stack stopped.", file=out, flush=True)


class _Stack:
    """One run of the stack: its processes, its supervisor, its scheduled chores."""

    def __init__(self, layout: Layout, ports: Ports, out: IO[str]) -> None:
        self._layout = layout
        self._ports = ports
        self._out = out
        self._topology = load_topology(layout.root / TOPOLOGY)
        self._supervisor = Supervisor(
            ports,
            out,
            after_restart={
                "pubsub": self._apply_topology,
                "ib_gateway": self._configure_gateway,
                "auth": self._restore_demo_users,
            },
        )
        self._auth = AuthEmulator(url(ports["auth"]))  # Again once its ports are final.
        self._checkpoint = AuthCheckpoint(self._auth, url(ports["auth_hub"]), layout.auth_dir)
        self._chores: Chores | None = None
        self._services: Any = None
        self._info: dict[str, Any] = {}

    def start(self, *, seed: bool) -> None:
        layout, ports, out = self._layout, self._ports, self._out
        print("Starting the MATS local stack...", file=out, flush=True)
        self._supervisor.start(children.infrastructure(layout))
        kept = _documents(ports)
        os.environ.update(layout.cloud_env(ports))
        self._configure_gateway()
        # A picked port can be taken before its process binds it, and the process is then moved
        # to another: what other processes are told of (the Auth emulator, the bridge) is started
        # and its ports fixed before they are (the bridge, started beside the emulator, does not
        # use it), and this process's environment follows. Only then does this process open a
        # gRPC channel (the demo's seeding): a child forked while gRPC runs can abort between
        # fork and exec (its event engine's after-fork handler polls descriptors the child has
        # closed), so the children start first and the demo is seeded after.
        self._supervisor.start([children.auth(layout), children.bridge(layout)])
        os.environ.update(layout.cloud_env(ports))
        self._supervisor.start(children.functions(layout))
        write_web_config(
            layout.web_dir, web_config(url(ports["dashboard"], "/api"), url(ports["auth"]))
        )
        self._auth = AuthEmulator(url(ports["auth"]))
        self._checkpoint = AuthCheckpoint(self._auth, url(ports["auth_hub"]), layout.auth_dir)
        self._services = bootstrap(os.environ)
        seeded = self._seed() if seed and not kept else None
        demo = seeded.issued if seeded is not None else None
        # After the history: the demo client user is scoped to one of its clients.
        users = self._seed_users(demo.sender.sender_id) if demo else self._restore_demo_users()
        self._checkpoint()  # Saved at once: a crash of the emulator now loses none of them.
        self._apply_topology()
        self._info = self._describe(demo.sender.sender_id if demo else None, users)
        write_stack_file(layout.state_dir, self._stack_info())
        history = _history_line(seeded) if seeded is not None else None
        secret = demo.secret if demo else None
        print_summary(
            self._info, layout.state_dir, secret, kept, out, demo_history=history, users=users
        )
        urls = self._function_urls()
        schedule = self._services.local_schedule
        if demo:  # So the demo starts with a recommendation to review.
            schedule.run_now(new_request_id(self._services.clock.now()), "mats up (demo)")
        nightly = NightlyRunner(schedule, urls["optimizer"], self._services.clock, out)
        strike_at = self._services.settings.accounting.nav_strike_at
        self._chores = Chores(
            self._services.ingest.publish_pending,
            accounting_jobs(urls["dashboard"], strike_at),
            out,
            ticks={"nightly optimisation": nightly.tick, "auth checkpoint": self._checkpoint},
        )
        self._chores.start()

    def _seed(self) -> DemoSeed:
        layout = self._layout
        write_demo_backtests(layout.backtest_dir)
        seeded = seed_demo(self._services, layout.backtest_dir)
        report_demo_equity(url(self._ports["ib_control"]), seeded.history.equities)
        demo = seeded.issued
        save_demo_secret(layout.state_dir, demo.sender.sender_id, demo.secret)
        return seeded

    def _seed_users(self, sender_id: str) -> list[DemoUser]:
        return seed_demo_users(self._services, self._auth, self._layout.state_dir, sender_id)

    def _restore_demo_users(self) -> list[DemoUser]:
        directory = self._services.user_directory
        return restore_demo_users(directory, self._auth, self._layout.state_dir)

    def supervise(self, stop: threading.Event) -> None:
        while not stop.wait(_WATCH_SECONDS):
            if self._supervisor.watch():
                write_stack_file(self._layout.state_dir, self._stack_info())

    def stop(self) -> None:
        if self._chores is not None:
            self._chores.stop()
        if self._services is not None:
            self._services.close()  # Before the emulator goes, so its channel closes quietly.
        self._supervisor.stop()

    def _function_urls(self) -> dict[str, str]:
        names = (*children.FUNCTIONS, "bridge")
        return {name: url(self._ports[name]) for name in names}

    def _apply_topology(self) -> None:
        admin = PubSubAdmin(self._layout.project_id)
        apply_topology(admin, self._topology, self._function_urls())

    def _configure_gateway(self) -> None:
        """Give a new simulated gateway the demo's accounts and prices (a kept one has its own)."""
        control = url(self._ports["ib_control"])
        _, health = http_answer(control + "/", timeout=5)
        if not (isinstance(health, dict) and health.get("restored")):
            configure_demo_gateway(control)

    def _describe(self, new_demo_sender: str | None, users: list[DemoUser]) -> dict[str, Any]:
        ports, layout = self._ports, self._layout
        function_urls = self._function_urls()
        return {
            "project_id": layout.project_id,
            "ingest_url": function_urls["ingest"],
            "function_urls": function_urls,
            "firestore_emulator_host": f"127.0.0.1:{ports['firestore']}",
            "firestore_control_url": url(ports["firestore_control"]),
            "pubsub_emulator_host": f"127.0.0.1:{ports['pubsub']}",
            "bridge_url": function_urls["bridge"],
            "api_url": function_urls["dashboard"] + "/api",
            "ib_gateway": f"127.0.0.1:{ports['ib_gateway']}",
            "ib_control_url": url(ports["ib_control"]),
            "telegram_url": url(ports["telegram"]),
            "auth_emulator_host": f"127.0.0.1:{ports['auth']}",
            "auth_emulator_url": url(ports["auth"]),
            "auth_project_id": self._auth.project_id,
            "auth_hub_url": url(ports["auth_hub"]),
            "web_url": url(ports["hosting"]),
            "web_built": (layout.root / "web" / "dist" / "index.html").is_file(),
            "pid": os.getpid(),
            "started_at": datetime.now(UTC).isoformat(),
            "state_dir": str(layout.state_dir),
            "logs_dir": str(layout.logs),
            "secrets_dir": str(layout.secrets_dir),
            "demo_sender_id": new_demo_sender or saved_demo_sender(layout.state_dir),
            "demo_users": [user.public() for user in users],
        }

    def _stack_info(self) -> dict[str, Any]:
        processes = self._supervisor.processes()
        child_pids = {name: process["pid"] for name, process in processes.items()}
        return {**self._info, "child_pids": child_pids, "processes": processes}


def _history_line(seeded: DemoSeed) -> str:
    history = seeded.history
    return (
        f"Demo history {history.first_day} to {history.last_day}: {history.signals} signals, "
        f"{history.orders} orders, {history.fills} fills, {history.strikes} NAV strikes, "
        f"{history.clients} clients, {history.payouts_paid} sender payouts paid; run through "
        f"the accounting in {history.replay_seconds:.1f} s, {history.documents} documents "
        f"stored in {history.copy_seconds:.1f} s."
    )


@contextlib.contextmanager
def _exclusive(state_dir: Path) -> Iterator[None]:
    state_dir.mkdir(parents=True, exist_ok=True)
    with (state_dir / "stack.lock").open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StackAlreadyRunningError(_already_running_message(state_dir)) from None
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        yield


def _already_running_message(state_dir: Path) -> str:
    try:
        running = json.loads((state_dir / STACK_FILE).read_text())
        where = f" (pid {running['pid']}, ingest {running['ingest_url']})"
    except (OSError, ValueError, KeyError):
        where = ""
    return (
        f"a MATS stack is already running from {state_dir}{where}; stop it with Ctrl-C in its "
        "terminal or `mats down`, or use another --state-dir"
    )


def _backtest_dir(state_dir: Path) -> Path:
    return Path(os.environ.get("MATS_BACKTEST_DIR") or state_dir / "backtests")


def _discard_kept_data(state_dir: Path) -> None:
    for name in KEPT_DATA:
        path = state_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def _documents(ports: Ports) -> int:
    """How many documents the emulator restored (0 for a fresh state directory)."""
    _, stats = http_answer(url(ports["firestore_control"], "/stats"), timeout=5)
    return int(stats["documents"]) if isinstance(stats, dict) and stats.get("documents") else 0
