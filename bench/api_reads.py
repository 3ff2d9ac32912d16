"""The dashboard API's read latency, p50 and p99, with 1x and 100x the history.

Over HTTP, as the web dashboard calls it: the real ``dashboard`` function under
functions-framework, real ID tokens from the Firebase Auth emulator (the admin signed in with
its SMS second factor), Firestore on the emulator. Four pages, each timed as the sequence of
calls the web page makes on load:

- the admin's home: ``/api/fund``, ``/api/alerts?outstanding=true``, ``/api/health``,
  ``/api/nav/history`` and the last 10 signals and orders;
- the admin's activity page: the last 50 signals, orders and executions;
- a client's page: ``/api/me`` (their units, value, NAV per unit, flows, and the fund's
  monthly and yearly returns) and ``/api/nav/history`` (the year's NAV per unit);
- a sender's page: ``/api/me`` (their P&L, fees paid and due, HWM, execution quality) and
  ``/api/senders/{id}/signals`` (their latest 50 signals).

The two histories are ``bench/accounting.py``'s, made by the real accounting and loaded in the
adapters' layout: ``--days`` days (60 by default, so that every page is full on both sides) and
``--scale`` times as many, in two Firestore projects, each served by its own dashboard process
on the same emulators. The pages are loaded ``--rounds``
times, the two sides interleaved in rotated order after a warm-up; the run fails (exit 1) if a
page's p50 or p99 with 100x the history costs more than 1.5x its p50 or p99 with 1x.

    .venv/bin/python bench/api_reads.py [--days 60] [--scale 100] [--rounds 200]
        [--out .mats/bench/api_reads.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.accounting import (
    CLIENTS,
    REPO,
    SENDER_A,
    SIGNAL_PNL,
    Books,
    build,
    put_signals,
    start_emulator,
)
from tests.integration.firebase_signin import AuthEmulatorSignIn

from mats.domain.senders import Sender
from mats.localstack.auth_emulator import AUTH_PROJECT, AuthDirectory, AuthPorts, emulator_command
from mats.localstack.probes import free_port

LIMIT = 1.5
# The last day of both histories. A year's NAV page holds that year's strikes, so the pages are
# alike on both sides only if the shorter history holds all of its year's: 60 days back from
# here start in December, and both sides' 2026 page has the same strikes (every other page is
# full on both sides with 60 days already). The NAV calls ask for that year.
END = date(2026, 2, 27)
NAV = f"/api/nav/history?year={END.year}"
PASSWORD = "bench-" + "x" * 16  # Throwaway emulator users.
CLIENT = sorted(CLIENTS)[0]
PAGES: dict[str, tuple[str, list[str]]] = {
    "admin home": (
        "admin",
        [
            "/api/fund",
            "/api/alerts?outstanding=true",
            "/api/health",
            NAV,
            "/api/signals?limit=10",
            "/api/orders?limit=10",
        ],
    ),
    "admin activity": (
        "admin",
        ["/api/signals?limit=50", "/api/orders?limit=50", "/api/fills?limit=50"],
    ),
    "client page": ("client", ["/api/me", NAV]),
    "sender page": ("sender", ["/api/me", f"/api/senders/{SENDER_A}/signals?limit=50"]),
}


def wait_until(ready: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not start within {seconds:.0f} s")


def answers(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return bool(answer.status == 200)


@contextmanager
def auth_emulator(directory: Path) -> Iterator[str]:
    ports = AuthPorts(free_port(), free_port(), free_port())
    argv, env = emulator_command(REPO, AuthDirectory(directory), ports)
    log = (directory / "auth.log").open("w")
    process = subprocess.Popen(
        argv, cwd=directory, env={**os.environ, **env}, stdout=log, stderr=log
    )
    host = f"127.0.0.1:{ports.auth}"
    try:
        wait_until(lambda: answers(f"http://{host}/"), 120, "the Auth emulator")
        yield host
    finally:
        process.terminate()
        process.wait(60)
        log.close()


@dataclass
class Dashboard:
    name: str
    url: str
    process: subprocess.Popen[bytes]


def start_dashboard(books: Books, firestore: str, auth: str, logs: Path) -> Dashboard:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("K_")},
        "GOOGLE_CLOUD_PROJECT": books.services.firestore.project,
        "FIRESTORE_EMULATOR_HOST": firestore,
        "FIREBASE_AUTH_EMULATOR_HOST": auth,
        "MATS_FIREBASE_PROJECT": AUTH_PROJECT,
        "MATS_BASE_CURRENCY": "USD",
        "MATS_SECRETS_DIR": str(logs / f"secrets-{books.name}"),
        "PORT": str(port),
        "FUNCTION_TARGET": "dashboard",
        "FUNCTION_SIGNATURE_TYPE": "http",
    }
    argv = [str(Path(sys.executable).with_name("functions-framework")), "--target", "dashboard"]
    argv += ["--signature-type", "http", "--host", "127.0.0.1", "--port", str(port)]
    log = (logs / f"dashboard-{books.name}.log").open("w")
    process = subprocess.Popen(
        argv, cwd=REPO / "functions" / "dashboard", env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: answers(url + "/healthz"), 120, f"the {books.name} dashboard")
    return Dashboard(books.name, url, process)


def register_sender(books: Books) -> None:
    """The history's sender as the senders collection holds one (its page reads it)."""
    now = datetime.now(UTC)
    books.services.sender_store.create(
        Sender(
            sender_id=SENDER_A,
            name="Sender A",
            secret_verifier="",  # Nobody signs with it: the bench only reads.
            created_at=now,
            updated_at=now,
        )
    )


def register_signals(books: Books) -> int:
    """The history's signals as ``signals`` holds them: a sender's page lists their signals
    (with Cerebro's sizing and the P&L of each), and the accounting's history keeps only the
    P&L side (``signal_pnl``, one document per signal)."""
    client = books.services.firestore
    signals = [
        (snapshot.id, document["strategy_id"], document["sender_id"])
        for snapshot in client.collection(SIGNAL_PNL).stream()
        if (document := snapshot.to_dict())
    ]
    put_signals(books.services, books.clock, signals)
    return len(signals)


def sign_in(books: Books, auth: str) -> dict[str, str]:
    """An ID token per role: the admin with its SMS second factor, client c1, sender A."""
    signin = AuthEmulatorSignIn(auth, AUTH_PROJECT)
    users = books.services.users
    tokens = {}
    for role, scope in (
        ("admin", {}),
        ("client", {"client_id": CLIENT}),
        ("sender", {"sender_id": SENDER_A}),
    ):
        email = f"{role}@bench.example"
        created = users.create(email, role, password=PASSWORD, email_verified=True, **scope)
        if role == "admin":
            signin.emulator.enroll_phone(created.user.uid, "+15555550199", "bench-admin")
            tokens[role] = signin.sign_in_with_mfa(email, PASSWORD)
        else:
            tokens[role] = signin.sign_in(email, PASSWORD)
    return tokens


def load_page(url: str, token: str, paths: list[str]) -> float:
    """Seconds for the page's calls, one after another as the page makes them."""
    headers = {"Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    for path in paths:
        try:
            with urllib.request.urlopen(
                urllib.request.Request(url + path, headers=headers), timeout=60
            ) as answer:
                answer.read()
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"{path}: {error.code} {error.read()[:300]!r}") from None
    return time.perf_counter() - started


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def time_pages(sides: list[Dashboard], tokens: dict[str, str], rounds: int) -> list[dict[str, Any]]:
    rows = []
    for page, (role, paths) in PAGES.items():
        samples: dict[str, list[float]] = {side.name: [] for side in sides}
        for _ in range(10):  # Warm-up: first connections, caches.
            for side in sides:
                load_page(side.url, tokens[role], paths)
        for index in range(rounds):
            order = sides if index % 2 == 0 else sides[::-1]
            for side in order:
                samples[side.name].append(load_page(side.url, tokens[role], paths))
        small, big = samples[sides[0].name], samples[sides[1].name]
        row: dict[str, Any] = {"page": page, "calls": len(paths)}
        for label, fraction in (("p50", 0.5), ("p99", 0.99)):
            row[f"{label}_small_ms"] = percentile(small, fraction) * 1000
            row[f"{label}_big_ms"] = percentile(big, fraction) * 1000
            row[f"{label}_ratio"] = row[f"{label}_big_ms"] / row[f"{label}_small_ms"]
        row["mean_small_ms"] = statistics.fmean(small) * 1000
        row["mean_big_ms"] = statistics.fmean(big) * 1000
        rows.append(row)
    return rows


def render(report: dict[str, Any]) -> str:
    scale = report["days_big"] // report["days_small"]
    lines = [
        f"API read latency over HTTP, {report['rounds']} loads per page and side "
        f"({report['days_small']} vs {report['days_big']} days of history)",
        f"| page | calls | p50 1x | p50 {scale}x | ratio | p99 1x | p99 {scale}x | ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in report["pages"]:
        lines.append(
            f"| {row['page']} | {row['calls']} | {row['p50_small_ms']:.1f} ms | "
            f"{row['p50_big_ms']:.1f} ms | {row['p50_ratio']:.2f}x | "
            f"{row['p99_small_ms']:.1f} ms | {row['p99_big_ms']:.1f} ms | {row['p99_ratio']:.2f}x |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    # 60 days: enough for every page to be full on both sides (sender A has about 58 signals by
    # then, the page holds 50), so the ratio is the history's cost, not a fuller page's.
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--out", type=Path, default=REPO / ".mats" / "bench" / "api_reads.json")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="mats-bench-api-"))
    emulator, firestore = start_emulator(stock=False)
    dashboards: list[Dashboard] = []
    try:
        with auth_emulator(work) as auth:
            os.environ["FIREBASE_AUTH_EMULATOR_HOST"] = auth
            os.environ["MATS_FIREBASE_PROJECT"] = AUTH_PROJECT
            small = build("small", args.days, firestore, END)
            big = build("big", args.days * args.scale, firestore, END)
            for books in (small, big):
                register_sender(books)
                print(f"{books.name}: {register_signals(books)} signals registered", flush=True)
                dashboards.append(start_dashboard(books, firestore, auth, work))
            tokens = sign_in(small, auth)  # One user directory serves both sides.
            report = {
                "rounds": args.rounds,
                "days_small": args.days,
                "days_big": args.days * args.scale,
                "pages": time_pages(dashboards, tokens, args.rounds),
            }
            for dashboard in dashboards:
                dashboard.process.terminate()
                dashboard.process.wait(30)
    finally:
        for dashboard in dashboards:
            if dashboard.process.poll() is None:
                dashboard.process.kill()
        emulator.terminate()
        emulator.wait(30)
        shutil.rmtree(work, ignore_errors=True)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(render(report))
    failed = [
        f"{row['page']} {label}"
        for row in report["pages"]
        for label in ("p50", "p99")
        if row[f"{label}_ratio"] > LIMIT
    ]
    if failed:
        print(f"FAIL: {', '.join(failed)} cost more than {LIMIT}x with the bigger history")
        sys.exit(1)


if __name__ == "__main__":
    main()
