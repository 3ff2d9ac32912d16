"""Webhook → signal, → order and → fill delivered, on the local stack, against a floor.

The floor is one POST to a hello-world functions-framework HTTP function started the same way as
the MATS functions, measured in the same run. Each MATS sample is one TradingView-style alert
posted to the ingest function (entries and exits in turn, so positions stay real), timed until
its ``signals`` message, Cerebro's ``orders`` message and the bridge's ``fills`` message reach a
subscriber listening in this process (same clock): once for a PAPER strategy (the paper venue)
and once for a LIVE one (the simulated IB Gateway through ib_async). Prints p50/p99 of each and
their ratios to the floor; writes them as JSON.

    .venv/bin/python bench/pipeline_latency.py [--signals 500] [--out .mats/bench/pipeline.json]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

from mats.adapters.pubsub import PubSubAdmin
from mats.bootstrap import bootstrap
from mats.domain.market import AssetClass
from mats.domain.strategies import StrategyStatus
from mats.domain.trading import TradingMode
from mats.localstack.demo import DEMO_IB_ACCOUNTS
from mats.localstack.probes import free_port, http_ready
from mats.services.registry import StrategyChanges

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class Arrivals:
    """Receive pushes and note when each signal arrived."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.ready = threading.Condition()

    def server(self) -> ThreadingHTTPServer:
        arrivals = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                message = json.loads(base64.b64decode(body["message"]["data"]))
                # A fill is known by its order (its own id is the venue's execution id).
                fill = message["schema"] == "mats.fill.v1"
                key = f"fill:{message['order_id']}" if fill else message["id"]
                with arrivals.ready:
                    arrivals.times.setdefault(key, time.perf_counter())
                    arrivals.ready.notify_all()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        return ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def wait(self, message_id: str, timeout: float = 10) -> float:
        with self.ready:
            if not self.ready.wait_for(lambda: message_id in self.times, timeout):
                raise TimeoutError(f"{message_id} was never delivered")
            return self.times[message_id]


def start_stack(state_dir: Path) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    process = subprocess.Popen(
        [str(BIN / "mats"), "--state-dir", str(state_dir), "up", "--port-base", "0", "--no-demo"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    stack_file = state_dir / "stack.json"
    deadline = time.monotonic() + 120
    while not stack_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("mats up failed; run it by hand to see why")
        time.sleep(0.1)
    return process, json.loads(stack_file.read_text())


def start_floor(port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            str(BIN / "functions-framework"),
            "--target",
            "hello",
            "--signature-type",
            "http",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=REPO / "bench" / "floor",
        env={**os.environ, "PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def timed_posts(
    port: int, path: str, bodies: list[bytes]
) -> list[tuple[float, float, dict[str, Any]]]:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    results = []
    for body in bodies:
        started = time.perf_counter()
        connection.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        answer = json.loads(response.read())
        results.append((started, time.perf_counter(), answer))
    return results


WARM_UP = 50
BAR = datetime(2026, 1, 1, tzinfo=UTC)


def alert(i: int, strategy_id: str) -> bytes:
    """An entry (even ``i``) or the exit of that position (odd ``i``), each on its own bar."""
    entry = i % 2 == 0
    positions = ("long", "1", "flat", "0") if entry else ("flat", "0", "long", "1")
    return json.dumps(
        {
            "strategy_id": strategy_id,
            "ticker": "ES1!",
            "action": "buy" if entry else "sell",
            "contracts": "1",
            "price": "5012.25",
            "market_position": positions[0],
            "market_position_size": positions[1],
            "prev_market_position": positions[2],
            "prev_market_position_size": positions[3],
            "time": (BAR + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "timenow": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    ).encode()


def measure_pipeline(
    port: int, path: str, strategy_id: str, total: int, arrivals: Arrivals
) -> dict[str, list[float]]:
    """Post alerts one at a time, each once the previous fill arrived; time every stage."""
    samples: dict[str, list[float]] = {"answer": [], "signal": [], "order": [], "fill": []}
    for i in range(total):
        [(start, end, answer)] = timed_posts(port, path, [alert(i, strategy_id)])
        if answer.get("status") != "accepted" or not answer.get("published"):
            raise RuntimeError(f"signal {i} was not accepted and published: {answer}")
        signal_id = answer["signal_id"]
        fill_arrived = arrivals.wait(f"fill:{signal_id}_ORD")
        if i >= WARM_UP:
            samples["answer"].append(end - start)
            samples["signal"].append(arrivals.wait(signal_id) - start)
            samples["order"].append(arrivals.wait(f"{signal_id}_ORD") - start)
            samples["fill"].append(fill_arrived - start)
    return samples


STRATEGIES = {"bench-paper": TradingMode.PAPER, "bench-ib": TradingMode.LIVE}


def prepare_desk(services: Any, sender_id: str, ib_control_url: str) -> None:
    """A PAPER and a LIVE strategy on the IB-mapped account, ES and an allocation."""
    # Equity for one ES contract per 10% allocation, at the simulated broker (which the bridge
    # reports every 30 s) and in the store now, before any strategy names the account.
    request = urllib.request.Request(
        f"{ib_control_url}/accounts",
        data=json.dumps({DEMO_IB_ACCOUNTS["IBKR_Main"]: {"NetLiquidation": 5_000_000}}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10):
        pass
    services.operations.set_account(
        "IBKR_Main",
        broker="IB",
        base_currency="USD",
        equity=Decimal(5_000_000),
        cash=Decimal(5_000_000),
        margin_used=Decimal(0),
    )
    for strategy_id, mode in STRATEGIES.items():
        services.strategies.create(
            strategy_id,
            StrategyChanges(
                name=strategy_id,
                status=StrategyStatus.ACTIVE,
                trading_mode=mode,
                account="IBKR_Main",
                sender_ids=(sender_id,),
            ),
        )
    services.operations.set_instrument(
        "ES1!",
        asset_class=AssetClass.FUTURE,
        currency="USD",
        tick_size=Decimal("0.25"),
        lot_size=Decimal(1),
        multiplier=Decimal(50),
        margin_per_unit=Decimal(13_000),
    )
    services.allocations.set_custom(dict.fromkeys(STRATEGIES, Decimal(10)), approved_by="bench")


def summarise(
    floor: list[float], paper: dict[str, list[float]], ib: dict[str, list[float]]
) -> dict[str, Any]:
    def quantiles(values: list[float]) -> dict[str, float]:
        return {"p50": percentile(values, 0.5) * 1000, "p99": percentile(values, 0.99) * 1000}

    stages = {
        "webhook_to_answer_ms": paper["answer"],
        "webhook_to_signal_delivered_ms": paper["signal"],
        "webhook_to_order_delivered_ms": paper["order"],
        "webhook_to_paper_fill_delivered_ms": paper["fill"],
        "webhook_to_ib_fill_delivered_ms": ib["fill"],
    }
    report: dict[str, Any] = {
        "signals_per_venue": len(paper["fill"]),
        "floor_ms": quantiles(floor),
        **{name: quantiles(values) for name, values in stages.items()},
    }
    for name in stages:
        stage = name.removeprefix("webhook_to_").removesuffix("_ms")
        report[f"{stage}_ratio_to_floor"] = {
            q: report[name][q] / report["floor_ms"][q] for q in ("p50", "p99")
        }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--signals", type=int, default=500)
    parser.add_argument(
        "--out", type=Path, default=REPO / ".mats" / "bench" / "pipeline_latency.json"
    )
    args = parser.parse_args()

    state_dir = Path(tempfile.mkdtemp(prefix="mats-bench-"))
    stack, info = start_stack(state_dir)
    os.environ.update(
        GOOGLE_CLOUD_PROJECT=info["project_id"],
        FIRESTORE_EMULATOR_HOST=info["firestore_emulator_host"],
        PUBSUB_EMULATOR_HOST=info["pubsub_emulator_host"],
        MATS_SECRETS_DIR=info["secrets_dir"],
    )
    floor_port = free_port()
    floor = start_floor(floor_port)
    arrivals = Arrivals()
    receiver = arrivals.server()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        services = bootstrap(os.environ)
        issued = services.senders.create("Benchmark", rate_limit_per_minute=100_000)
        prepare_desk(services, issued.sender.sender_id, info["ib_control_url"])
        admin = PubSubAdmin(info["project_id"])
        for topic in ("signals", "orders", "fills"):
            admin.ensure_subscription(
                f"bench-{topic}",
                topic=topic,
                push_endpoint=f"http://127.0.0.1:{receiver.server_address[1]}/",
                ordering=True,
                min_backoff_seconds=0.1,
                max_backoff_seconds=1,
            )
        while not http_ready(f"http://127.0.0.1:{floor_port}/")():
            time.sleep(0.05)

        ingest_port = int(info["ingest_url"].rsplit(":", 1)[1])
        path = f"/webhook/{issued.sender.sender_id}/{issued.secret}"
        total = args.signals + WARM_UP
        floor_posts = timed_posts(floor_port, "/", [b"{}"] * total)
        floor_samples = [end - start for start, end, _ in floor_posts][WARM_UP:]
        paper = measure_pipeline(ingest_port, path, "bench-paper", total, arrivals)
        ib = measure_pipeline(ingest_port, path, "bench-ib", total, arrivals)
    finally:
        receiver.shutdown()
        floor.terminate()
        stack.send_signal(signal.SIGTERM)
        stack.wait(60)

    report = summarise(floor_samples, paper, ib)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
