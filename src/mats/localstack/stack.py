"""``mats up``: the whole pipeline on one machine, no cloud account needed.

Starts the Firestore emulator, the local Pub/Sub service, the simulated IB Gateway, a Telegram
capture server, one functions-framework process per function (started the way Cloud Run starts
it) and the execution bridge (under gunicorn, as its container runs it), seeds demo data, applies
the declared topology, writes the endpoints to ``.mats/stack.json`` and then watches: it
re-publishes signals whose publish failed and stops everything on Ctrl-C or SIGTERM (or if any
part dies).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from typing import IO, Any

from mats.adapters.pubsub import PubSubAdmin
from mats.bootstrap import Services, bootstrap
from mats.errors import MatsError
from mats.localstack.demo import (
    DEMO_IB_ACCOUNTS,
    configure_demo_gateway,
    seed_demo,
    write_demo_backtests,
)
from mats.localstack.paths import DEFAULT_PORT_BASE, STACK_FILE, TOPOLOGY, repo_root
from mats.localstack.processes import (
    Child,
    free_port,
    http_ready,
    inherited_env,
    port_in_use,
    python_tool,
    tcp_ready,
    wait_until_ready,
)
from mats.localstack.topology import apply_topology, load_topology

LOCAL_PROJECT = "mats-local"
FUNCTIONS = {"ingest": "http", "cerebro": "cloudevent", "optimizer": "http"}
SERVICES = ("bridge", "ib_gateway", "ib_control", "telegram")
SWEEP_INTERVAL_SECONDS = 10.0


class StackAlreadyRunningError(MatsError):
    """Another ``mats up`` holds this state directory."""


@dataclass(frozen=True)
class StackOptions:
    state_dir: Path
    port_base: int = DEFAULT_PORT_BASE
    project_id: str = LOCAL_PROJECT
    seed_demo: bool = True


@dataclass(frozen=True)
class Ports:
    firestore: int
    pubsub: int
    functions: dict[str, int]
    services: dict[str, int]

    @classmethod
    def choose(cls, base: int) -> Ports:
        """Use ``base``, ``base+1``, ... or, with base 0, free ports picked by the OS."""
        if base == 0:
            return cls(
                free_port(),
                free_port(),
                {name: free_port() for name in FUNCTIONS},
                {name: free_port() for name in SERVICES},
            )
        after = base + 2 + len(FUNCTIONS)
        ports = cls(
            base,
            base + 1,
            {name: base + 2 + i for i, name in enumerate(FUNCTIONS)},
            {name: after + i for i, name in enumerate(SERVICES)},
        )
        every = (ports.firestore, ports.pubsub, *ports.functions.values(), *ports.services.values())
        busy = [p for p in every if port_in_use(p)]
        if busy:
            raise MatsError(
                f"port {busy[0]} is already in use; pick another range with --port-base "
                "(or --port-base 0 for any free ports)"
            )
        return ports


def run_stack(options: StackOptions, out: IO[str] = sys.stdout) -> int:
    """Run the stack until stopped; return the process exit code."""
    state_dir = options.state_dir.resolve()
    with _exclusive(state_dir):
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        children: list[Child] = []
        services: Services | None = None
        try:
            services, nightly = _start(options, state_dir, children, out)
            return _watch(services, nightly, children, stop, out)
        finally:
            if services is not None:
                services.close()  # Before the emulator goes, so its channel closes quietly.
            for child in reversed(children):
                child.stop()
            (state_dir / STACK_FILE).unlink(missing_ok=True)
            print("MATS local stack stopped.", file=out, flush=True)


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


def _start(
    options: StackOptions, state_dir: Path, children: list[Child], out: IO[str]
) -> tuple[Services, NightlyRun]:
    root = repo_root()
    ports = Ports.choose(options.port_base)
    logs = state_dir / "logs"
    firestore_host = f"127.0.0.1:{ports.firestore}"
    pubsub_host = f"127.0.0.1:{ports.pubsub}"
    backtest_dir = Path(os.environ.get("MATS_BACKTEST_DIR") or state_dir / "backtests")
    if options.seed_demo:
        write_demo_backtests(backtest_dir)
    telegram_url = f"http://127.0.0.1:{ports.services['telegram']}"
    cloud_env = {
        "GOOGLE_CLOUD_PROJECT": options.project_id,
        "FIRESTORE_EMULATOR_HOST": firestore_host,
        "PUBSUB_EMULATOR_HOST": pubsub_host,
        "MATS_BACKTEST_DIR": str(backtest_dir),
        # Every process raises alerts through the same path: to the Telegram capture server.
        "MATS_TELEGRAM_API_URL": telegram_url,
        "MATS_TELEGRAM_BOT_TOKEN": "local-capture",
        "MATS_TELEGRAM_CHAT_ID": "mats-local",
        # Senders' signing keys live here, outside Firestore, as Secret Manager keeps them.
        "MATS_SECRETS_DIR": str(state_dir / "secrets"),
    }
    os.environ.update(cloud_env)
    print("Starting the MATS local stack...", file=out, flush=True)

    control_port = free_port()
    ib_control = f"http://127.0.0.1:{ports.services['ib_control']}"
    for child, ready in _infrastructure(root, ports, control_port, logs):
        children.append(child)
        child.start()
        wait_until_ready(child, ready)
    configure_demo_gateway(ib_control)

    function_urls = {}
    starting = []
    for name, signature in FUNCTIONS.items():
        port = ports.functions[name]
        child = _function_child(root, name, signature, port=port, cloud_env=cloud_env, logs=logs)
        children.append(child)
        child.start()
        # An HTTP function answers /healthz; a CloudEvent function only has its port to show.
        check = http_ready(f"http://127.0.0.1:{port}/healthz") if signature == "http" else None
        starting.append((child, check or tcp_ready(port)))
        function_urls[name] = f"http://127.0.0.1:{port}"
    for child, check in starting:
        wait_until_ready(child, check)

    services = bootstrap(os.environ)
    demo = seed_demo(services, backtest_dir) if options.seed_demo else None
    bridge_env = {
        **cloud_env,
        "MATS_IB_PORT": str(ports.services["ib_gateway"]),
        "MATS_IB_ACCOUNTS": ",".join(f"{a}={c}" for a, c in DEMO_IB_ACCOUNTS.items()),
    }
    bridge_port = ports.services["bridge"]
    bridge = _bridge_child(root, bridge_port, bridge_env, logs)
    children.append(bridge)
    bridge.start()
    wait_until_ready(bridge, http_ready(f"http://127.0.0.1:{bridge_port}/healthz"))
    function_urls["bridge"] = f"http://127.0.0.1:{bridge_port}"

    topology = load_topology(root / TOPOLOGY)
    apply_topology(PubSubAdmin(options.project_id), topology, function_urls)

    info: dict[str, Any] = {
        "project_id": options.project_id,
        "ingest_url": function_urls["ingest"],
        "function_urls": function_urls,
        "firestore_emulator_host": firestore_host,
        "firestore_control_url": f"http://127.0.0.1:{control_port}",
        "pubsub_emulator_host": pubsub_host,
        "bridge_url": function_urls["bridge"],
        "ib_gateway": f"127.0.0.1:{ports.services['ib_gateway']}",
        "ib_control_url": ib_control,
        "telegram_url": telegram_url,
        "pid": os.getpid(),
        "child_pids": {child.name: child.process.pid for child in children if child.process},
        "started_at": datetime.now(UTC).isoformat(),
        "logs_dir": str(logs),
        "secrets_dir": cloud_env["MATS_SECRETS_DIR"],
        "demo_sender_id": demo.sender.sender_id if demo else None,
    }
    if demo is not None:
        _save_demo_secret(state_dir, demo.sender.sender_id, demo.secret)
    _write_json(state_dir / STACK_FILE, info)
    _print_summary(info, state_dir, demo.secret if demo else None, out)
    nightly = NightlyRun(f"{function_urls['optimizer']}/run", _optimize_at(), out)
    if demo is not None:
        nightly.trigger()  # So the demo starts with a recommendation to review.
    return services, nightly


def _function_child(
    root: Path, name: str, signature: str, *, port: int, cloud_env: dict[str, str], logs: Path
) -> Child:
    # The same command and environment Cloud Run's Python runtime uses, bound to loopback.
    env = inherited_env(
        {
            **cloud_env,
            "PORT": str(port),
            "K_SERVICE": name,
            "K_REVISION": f"{name}-local",
            "K_CONFIGURATION": name,
            "FUNCTION_TARGET": name,
            "FUNCTION_SIGNATURE_TYPE": signature,
        }
    )
    argv = [
        python_tool("functions-framework"),
        "--target",
        name,
        "--signature-type",
        signature,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    return Child(name, argv, env, logs / f"{name}.log", cwd=root / "functions" / name)


def _infrastructure(
    root: Path, ports: Ports, firestore_control: int, logs: Path
) -> list[tuple[Child, Callable[[], bool]]]:
    """The emulators and simulators, each with its readiness check."""
    python = sys.executable
    services = ports.services
    accounts = [arg for code in DEMO_IB_ACCOUNTS.values() for arg in ("--account", code)]
    firestore_js = str(Path(__file__).with_name("firestore_emulator.js"))
    return [
        (
            Child(
                "firestore",
                ["node", firestore_js, str(ports.firestore), str(firestore_control)],
                inherited_env({"NODE_PATH": str(root / "node_modules")}),
                logs / "firestore.log",
            ),
            http_ready(f"http://127.0.0.1:{firestore_control}/"),
        ),
        (
            Child(
                "pubsub",
                [python, "-m", "mats.localstack.pubsub", "--port", str(ports.pubsub)],
                inherited_env({}),
                logs / "pubsub.log",
            ),
            http_ready(f"http://127.0.0.1:{ports.pubsub}/"),
        ),
        (
            Child(
                "ib_gateway",
                [
                    *(python, "-m", "mats.localstack.ib_gateway"),
                    *("--port", str(services["ib_gateway"])),
                    *("--control-port", str(services["ib_control"]), *accounts),
                ],
                inherited_env({}),
                logs / "ib_gateway.log",
            ),
            http_ready(f"http://127.0.0.1:{services['ib_control']}/"),
        ),
        (
            Child(
                "telegram",
                [python, "-m", "mats.localstack.telegram", "--port", str(services["telegram"])],
                inherited_env({}),
                logs / "telegram.log",
            ),
            http_ready(f"http://127.0.0.1:{services['telegram']}/messages"),
        ),
    ]


def _bridge_child(root: Path, port: int, env: dict[str, str], logs: Path) -> Child:
    """The bridge as its Cloud Run container runs it: one gunicorn worker, many threads."""
    argv = [
        python_tool("gunicorn"),
        "--workers",
        "1",
        "--threads",
        "8",
        "--timeout",
        "0",
        "--no-control-socket",
        "--graceful-timeout",
        "10",
        "--bind",
        f"127.0.0.1:{port}",
        "main:create_app()",
    ]
    environment = inherited_env({**env, "PORT": str(port), "K_SERVICE": "ib-bridge"})
    return Child(
        "bridge", argv, environment, logs / "bridge.log", cwd=root / "gateway" / "ib_bridge"
    )


def _watch(
    services: Services,
    nightly: NightlyRun,
    children: list[Child],
    stop: threading.Event,
    out: IO[str],
) -> int:
    next_sweep = time.monotonic() + SWEEP_INTERVAL_SECONDS
    while not stop.wait(0.5):
        dead = [child for child in children if not child.alive()]
        if dead:
            print(f"{dead[0].name} stopped unexpectedly:\n{dead[0].log_tail()}", file=out)
            return 1
        if time.monotonic() >= next_sweep:
            next_sweep = time.monotonic() + SWEEP_INTERVAL_SECONDS
            _sweep(services.ingest.publish_pending, out)
        if nightly.due(datetime.now(UTC)):
            nightly.trigger()
    return 0


class NightlyRun:
    """Cloud Scheduler's part locally: POST the optimizer's /run once a day at a set UTC time."""

    def __init__(self, url: str, at: dt_time, out: IO[str]) -> None:
        self._url = url
        self._at = at
        self._out = out
        self._next = self._following(datetime.now(UTC))

    def due(self, now: datetime) -> bool:
        return now >= self._next

    def trigger(self) -> None:
        self._next = self._following(datetime.now(UTC))
        request = urllib.request.Request(  # noqa: S310 - the stack's own loopback URL.
            self._url, data=b"{}", headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - loopback
                run = json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError) as error:
            print(f"nightly optimisation could not run: {error}", file=self._out, flush=True)
            return
        outcome = run.get("allocation_id") or run.get("error") or "no allocation"
        print(
            f"optimisation {run.get('run_id')} {run.get('status')}: {outcome} "
            "(review with `mats allocations recommendation`)",
            file=self._out,
            flush=True,
        )

    def _following(self, now: datetime) -> datetime:
        today = datetime.combine(now.date(), self._at, tzinfo=UTC)
        return today if today > now else today + timedelta(days=1)


def _optimize_at() -> dt_time:
    raw = os.environ.get("MATS_OPTIMIZE_AT", "22:00")
    try:
        return dt_time.fromisoformat(raw)
    except ValueError:
        raise MatsError(f"MATS_OPTIMIZE_AT must be HH:MM (UTC); got {raw!r}") from None


def _sweep(publish_pending: Callable[..., int], out: IO[str]) -> None:
    try:
        published = publish_pending(min_age_seconds=SWEEP_INTERVAL_SECONDS)
    except MatsError as error:
        print(f"outbox sweep failed (will retry): {error}", file=out, flush=True)
        return
    if published:
        print(f"published {published} pending signal(s)", file=out, flush=True)


def _save_demo_secret(state_dir: Path, sender_id: str, secret: str) -> None:
    """Keep the demo sender's secret for `mats signals send` (local throwaway data only)."""
    path = state_dir / "demo-sender.json"
    path.write_text(json.dumps({"sender_id": sender_id, "secret": secret}))
    path.chmod(0o600)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, indent=2) + "\n")
    temporary.replace(path)


def _print_summary(info: dict[str, Any], state_dir: Path, secret: str | None, out: IO[str]) -> None:
    lines = [
        f"MATS local stack is up (project {info['project_id']}).",
        *(f"  {name:<11} {url}" for name, url in info["function_urls"].items()),
        f"  ib gateway  {info['ib_gateway']}   (simulated; control {info['ib_control_url']})",
        f"  telegram    {info['telegram_url']}/messages   (captured alerts)",
        f"  firestore   {info['firestore_emulator_host']}   (FIRESTORE_EMULATOR_HOST)",
        f"  pubsub      {info['pubsub_emulator_host']}   (PUBSUB_EMULATOR_HOST)",
        f"  endpoints   {state_dir / STACK_FILE}",
        f"  logs        {info['logs_dir']}",
    ]
    sender_id = info["demo_sender_id"]
    if sender_id and secret:
        url = f"{info['ingest_url']}/webhook/{sender_id}/{secret}"
        body = (
            '{"strategy_id":"trend-es","ticker":"ES1!","action":"buy","contracts":"1",'
            '"price":"5012.25","market_position":"long","market_position_size":"1",'
            '"prev_market_position":"flat","prev_market_position_size":"0"}'
        )
        lines += [
            "",
            f"Demo sender {sender_id}; its secret, shown once: {secret}",
            "",
            "Send a TradingView-style alert:",
            f"  curl -sS -X POST '{url}' \\",
            f"       -H 'Content-Type: application/json' -d '{body}'",
            "Then: mats signals list",
        ]
    lines += ["", "Ctrl-C stops everything."]
    print("\n".join(lines), file=out, flush=True)
