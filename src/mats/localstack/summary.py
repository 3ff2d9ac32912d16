"""What ``mats up`` prints once the stack is up, and ``stack.json``: the same, for tools."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from mats.localstack.demo_users import DEMO_USERS_FILE, DemoUser
from mats.localstack.paths import STACK_FILE

DEMO_SENDER_FILE = "demo-sender.json"


def write_stack_file(state_dir: Path, info: dict[str, Any]) -> None:
    """Replace ``stack.json`` in one step: a reader sees the old file or the new, never half."""
    path = state_dir / STACK_FILE
    temporary = path.with_name(f".{STACK_FILE}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(info, indent=2) + "\n")
    temporary.replace(path)


def save_demo_secret(state_dir: Path, sender_id: str, secret: str) -> None:
    """Keep the demo sender's secret for `mats signals send` (local throwaway data only)."""
    path = state_dir / DEMO_SENDER_FILE
    path.write_text(json.dumps({"sender_id": sender_id, "secret": secret}))
    path.chmod(0o600)


def saved_demo_sender(state_dir: Path) -> str | None:
    try:
        return str(json.loads((state_dir / DEMO_SENDER_FILE).read_text())["sender_id"])
    except (OSError, ValueError, KeyError):
        return None


def print_summary(
    info: dict[str, Any],
    state_dir: Path,
    secret: str | None,
    kept_documents: int,
    out: IO[str],
    *,
    demo_history: str | None = None,
    users: Sequence[DemoUser] = (),
) -> None:
    lines = [
        f"MATS local stack is up (project {info['project_id']}).",
        *(f"  {name:<11} {url}" for name, url in info["function_urls"].items()),
        f"  api         {info['api_url']}   (the dashboard API; its contract: "
        f"{info['api_url']}/openapi.json)",
        f"  ib gateway  {info['ib_gateway']}   (simulated; control {info['ib_control_url']})",
        f"  telegram    {info['telegram_url']}/messages   (captured alerts)",
        f"  firestore   {info['firestore_emulator_host']}   (FIRESTORE_EMULATOR_HOST)",
        f"  pubsub      {info['pubsub_emulator_host']}   (PUBSUB_EMULATOR_HOST)",
        f"  auth        {info['auth_emulator_host']}   (FIREBASE_AUTH_EMULATOR_HOST; Firebase "
        f"Auth emulator, project {info['auth_project_id']})",
        f"  web         {info['web_url']}   (the web dashboard, Firebase Hosting emulator"
        + ("" if info.get("web_built", True) else "; not built: run `make install`")
        + ")",
        f"  endpoints   {state_dir / STACK_FILE}",
        f"  logs        {info['logs_dir']}",
    ]
    if kept_documents:
        lines += [
            "",
            f"Kept the data of the last run: {kept_documents} documents in "
            f"{state_dir / 'firestore'} (`mats up --fresh` starts empty).",
        ]
    sender_id = info["demo_sender_id"]
    if sender_id and secret:
        lines += ["", f"Demo sender {sender_id}; its secret, shown once: {secret}", ""]
        lines += _curl_example(f"{info['ingest_url']}/webhook/{sender_id}/{secret}")
    elif sender_id:
        lines += [
            f"Demo sender {sender_id}; its secret is in {state_dir / DEMO_SENDER_FILE}.",
            "Send an alert: mats signals send --strategy trend-es --ticker ES1! --action buy "
            "--contracts 1 --price 5012.25 --position long --position-size 1 --prev-position flat",
        ]
    if users:
        lines += ["", *_demo_users(info, state_dir, users)]
    if demo_history:
        lines += ["", demo_history]
    lines += ["", "Ctrl-C stops everything."]
    print("\n".join(lines), file=out, flush=True)


def _curl_example(url: str) -> list[str]:
    body = (
        '{"strategy_id":"trend-es","ticker":"ES1!","action":"buy","contracts":"1",'
        '"price":"5012.25","market_position":"long","market_position_size":"1",'
        '"prev_market_position":"flat","prev_market_position_size":"0"}'
    )
    return [
        "Send a TradingView-style alert:",
        f"  curl -sS -X POST '{url}' \\",
        f"       -H 'Content-Type: application/json' -d '{body}'",
        "Then: mats signals list",
    ]


def _demo_users(info: dict[str, Any], state_dir: Path, users: Sequence[DemoUser]) -> list[str]:
    codes = (
        f"{info['auth_emulator_url']}/emulator/v1/projects/{info['auth_project_id']}"
        "/verificationCodes"
    )
    width = max(len(user.email) for user in users)
    lines = [
        f"Demo users (Firebase Auth emulator {info['auth_emulator_url']}; passwords also in "
        f"{state_dir / DEMO_USERS_FILE}):"
    ]
    for user in users:
        scope = user.client_id or user.sender_id
        detail = f"{user.role} {scope}" if scope else user.role
        if user.phone_number:
            detail += f", SMS second factor {user.phone_number} (codes: {codes})"
        lines.append(f"  {user.email:<{width}}  {user.password}  {detail}")
    return lines
