"""The processes of the local stack: how each starts, where it listens and how it is probed.

A ``ChildSpec`` builds a fresh ``Child`` from the current ports every time the supervisor starts
it, so a restarted process gets the same command, environment and ports as its first run.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from mats.localstack.auth_emulator import AUTH_PROJECT, AuthDirectory, AuthPorts, emulator_command
from mats.localstack.demo import DEMO_IB_ACCOUNTS
from mats.localstack.paths import STACK_FILE
from mats.localstack.ports import Ports
from mats.localstack.probes import Probe
from mats.localstack.processes import STATE_DIR_MARKER, Child, inherited_env, python_tool
from mats.localstack.web import hosting_config, stage_web, web_config

FUNCTIONS = {
    "ingest": "http",
    "cerebro": "cloudevent",
    "optimizer": "http",
    "dashboard": "http",
}
# The dashboard is its read models' one writer: one request at a time, as its Cloud Run
# service runs with one instance and a concurrency of 1.
FUNCTION_ENV = {"dashboard": {"THREADS": "1"}}
# What `mats up --fresh` deletes from the state directory: everything a run keeps.
KEPT_DATA = (
    "firestore",
    "pubsub",
    "ib_gateway",
    "secrets",
    "auth",
    "demo-sender.json",
    "demo-users.json",
)
# The Auth emulator exports its users when stopped; give it time before the SIGKILL.
AUTH_STOP_SECONDS = 20.0


@dataclass(frozen=True)
class ChildSpec:
    name: str
    port_names: tuple[str, ...]  # every port the process binds
    build: Callable[[Ports], Child]
    probe: Callable[[Ports], Probe]  # "up": checked at start-up and by `mats status`
    endpoint: Callable[[Ports], str]
    readiness: Callable[[Ports], Probe] | None = None  # "taking work" (the bridge's /readyz)


@dataclass(frozen=True)
class Layout:
    """Where the stack runs from and keeps its state, and the project it emulates."""

    root: Path
    state_dir: Path
    project_id: str
    backtest_dir: Path

    @property
    def logs(self) -> Path:
        return self.state_dir / "logs"

    @property
    def secrets_dir(self) -> Path:
        return self.state_dir / "secrets"

    @property
    def auth_dir(self) -> AuthDirectory:
        return AuthDirectory(self.state_dir / "auth")

    @property
    def web_dir(self) -> Path:
        """The web dashboard's build as the Hosting emulator serves it, with ``config.json``."""
        return self.state_dir / "web"

    def cloud_env(self, ports: Ports) -> dict[str, str]:
        return {
            "GOOGLE_CLOUD_PROJECT": self.project_id,
            "FIRESTORE_EMULATOR_HOST": f"127.0.0.1:{ports['firestore']}",
            "PUBSUB_EMULATOR_HOST": f"127.0.0.1:{ports['pubsub']}",
            "MATS_BACKTEST_DIR": str(self.backtest_dir),
            # Every process raises alerts through the same path: to the Telegram capture server.
            "MATS_TELEGRAM_API_URL": url(ports["telegram"]),
            "MATS_TELEGRAM_BOT_TOKEN": "local-capture",
            "MATS_TELEGRAM_CHAT_ID": "mats-local",
            # Senders' signing keys live here, outside Firestore, as Secret Manager keeps them.
            "MATS_SECRETS_DIR": str(self.secrets_dir),
            # The dashboard's users: the Auth emulator, in a demo- project of its own.
            "FIREBASE_AUTH_EMULATOR_HOST": f"127.0.0.1:{ports['auth']}",
            "MATS_FIREBASE_PROJECT": AUTH_PROJECT,
            # The dashboard API asks the bridge to cancel orders and reconcile.
            "MATS_BRIDGE_URL": url(ports["bridge"]),
            # Its health page lists the stack's processes, as mats up keeps them.
            "MATS_LOCAL_STACK_FILE": str(self.state_dir / STACK_FILE),
        }

    def child(
        self,
        name: str,
        argv: list[str],
        env: Mapping[str, str],
        cwd: Path | None = None,
        stop_timeout: float = 5.0,
    ) -> Child:
        # The marker finds this stack's processes again if the supervisor is killed outright.
        environment = inherited_env({**env, STATE_DIR_MARKER: str(self.state_dir)})
        log = self.logs / f"{name}.log"
        return Child(name, argv, environment, log, cwd=cwd, stop_timeout=stop_timeout)


def url(port: int, path: str = "") -> str:
    return f"http://127.0.0.1:{port}{path}"


def infrastructure(layout: Layout) -> list[ChildSpec]:
    """The emulators and simulators the functions and the bridge depend on."""
    python = sys.executable
    firestore_js = str(Path(__file__).with_name("firestore_emulator.js"))
    node_env = {"NODE_PATH": str(layout.root / "node_modules")}
    accounts = [arg for code in DEMO_IB_ACCOUNTS.values() for arg in ("--account", code)]
    return [
        ChildSpec(
            "firestore",
            ("firestore", "firestore_control"),
            lambda p: layout.child(
                "firestore",
                [
                    *("node", firestore_js, str(p["firestore"]), str(p["firestore_control"])),
                    str(layout.state_dir / "firestore"),
                ],
                node_env,
            ),
            lambda p: Probe.http(url(p["firestore_control"], "/")),
            lambda p: f"127.0.0.1:{p['firestore']}",
        ),
        ChildSpec(
            "pubsub",
            ("pubsub",),
            lambda p: layout.child(
                "pubsub",
                [
                    *(python, "-m", "mats.localstack.pubsub", "--port", str(p["pubsub"])),
                    *("--data-dir", str(layout.state_dir / "pubsub")),
                ],
                {},
            ),
            lambda p: Probe.http(url(p["pubsub"], "/")),
            lambda p: f"127.0.0.1:{p['pubsub']}",
        ),
        ChildSpec(
            "ib_gateway",
            ("ib_gateway", "ib_control"),
            lambda p: layout.child(
                "ib_gateway",
                [
                    *(python, "-m", "mats.localstack.ib_gateway", "--port", str(p["ib_gateway"])),
                    *("--control-port", str(p["ib_control"]), *accounts),
                    *("--data-dir", str(layout.state_dir / "ib_gateway")),
                ],
                {},
            ),
            lambda p: Probe.http(url(p["ib_control"], "/")),
            lambda p: f"127.0.0.1:{p['ib_gateway']}",
        ),
        ChildSpec(
            "telegram",
            ("telegram",),
            lambda p: layout.child(
                "telegram",
                [python, "-m", "mats.localstack.telegram", "--port", str(p["telegram"])],
                {},
            ),
            lambda p: Probe.http(url(p["telegram"], "/messages")),
            lambda p: url(p["telegram"]),
        ),
    ]


def auth(layout: Layout) -> ChildSpec:
    """The Firebase Auth emulator (firebase-tools), its users kept in the state directory, and
    in the same process the Hosting emulator serving the web dashboard with this stack's
    ``config.json``."""

    def build(ports: Ports) -> Child:
        config = web_config(url(ports["dashboard"], "/api"), url(ports["auth"]))
        stage_web(layout.root, layout.web_dir, config)
        auth_ports = AuthPorts(
            ports["auth"], ports["auth_hub"], ports["auth_logging"], ports["hosting"]
        )
        site = hosting_config(layout.root, layout.web_dir, layout.auth_dir.path)
        argv, env = emulator_command(layout.root, layout.auth_dir, auth_ports, hosting=site)
        return layout.child(
            "auth", argv, env, cwd=layout.auth_dir.path, stop_timeout=AUTH_STOP_SECONDS
        )

    # Hosting starts after Auth in firebase-tools: its config.json answering means both are up.
    return ChildSpec(
        "auth",
        ("auth", "auth_hub", "auth_logging", "hosting"),
        build,
        lambda p: Probe.http(url(p["hosting"], "/config.json")),
        lambda p: f"127.0.0.1:{p['auth']}",
    )


def web_origins(ports: Ports) -> str:
    """The origins the dashboard API answers with CORS: the Hosting emulator's."""
    port = ports["hosting"]
    return f"http://127.0.0.1:{port},http://localhost:{port}"


def functions(layout: Layout) -> list[ChildSpec]:
    """One functions-framework process per function, started the way Cloud Run starts it."""
    return [_function(layout, name, signature) for name, signature in FUNCTIONS.items()]


def _function(layout: Layout, name: str, signature: str) -> ChildSpec:
    def build(ports: Ports) -> Child:
        port = str(ports[name])
        # Not K_SERVICE and the other K_ names: they mark a real Cloud Run, where a process
        # refuses to verify tokens against the Auth emulator (adapters/firebase_auth.py).
        env = {
            **layout.cloud_env(ports),
            "PORT": port,
            "FUNCTION_TARGET": name,
            "FUNCTION_SIGNATURE_TYPE": signature,
            **FUNCTION_ENV.get(name, {}),
        }
        if name == "dashboard":  # The browser app calls the API from the hosting origin.
            env["MATS_API_ALLOWED_ORIGINS"] = web_origins(ports)
        argv = [python_tool("functions-framework"), "--target", name]
        argv += ["--signature-type", signature, "--host", "127.0.0.1", "--port", port]
        return layout.child(name, argv, env, cwd=layout.root / "functions" / name)

    def probe(ports: Ports) -> Probe:
        # An HTTP function answers /healthz; a CloudEvent function only has its port to show.
        if signature == "http":
            return Probe.http(url(ports[name], "/healthz"))
        return Probe.tcp(ports[name])

    return ChildSpec(name, (name,), build, probe, lambda p: url(p[name]))


def bridge(layout: Layout) -> ChildSpec:
    """The bridge as its Cloud Run container runs it: one gunicorn worker, many threads."""

    def build(ports: Ports) -> Child:
        port = str(ports["bridge"])
        env = {
            **layout.cloud_env(ports),
            "PORT": port,
            "MATS_IB_PORT": str(ports["ib_gateway"]),
            "MATS_IB_ACCOUNTS": ",".join(f"{a}={c}" for a, c in DEMO_IB_ACCOUNTS.items()),
        }
        argv = [python_tool("gunicorn"), "--workers", "1", "--threads", "8", "--timeout", "0"]
        argv += ["--no-control-socket", "--graceful-timeout", "10"]
        argv += ["--bind", f"127.0.0.1:{port}", "main:create_app()"]
        return layout.child("bridge", argv, env, cwd=layout.root / "gateway" / "ib_bridge")

    return ChildSpec(
        "bridge",
        ("bridge",),
        build,
        lambda p: Probe.http(url(p["bridge"], "/healthz")),
        lambda p: url(p["bridge"]),
        readiness=lambda p: Probe.http(url(p["bridge"], "/readyz")),
    )
