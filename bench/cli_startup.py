"""How fast ``mats`` starts: ``--help`` and list commands on the local stack, against a bare Python.

The baseline is ``python -c pass`` on the same interpreter, measured in the same rounds; beside
it, ``python -c "import google.cloud.firestore"`` is the floor the official Firestore client sets
for any command that reads the store. Every round runs each command once as a user would (a new
process, the console script, the stack found through ``MATS_STATE_DIR``), in a rotated order so
that a slow spell on the machine falls on all of them alike, in two modes:

- cached bytecode, as in a user's shell after the first run (the warm-up rounds write the
  ``__pycache__`` files; ``PYTHONDONTWRITEBYTECODE`` is dropped from the environment);
- no bytecode cache (``PYTHONDONTWRITEBYTECODE=1`` and an empty ``PYTHONPYCACHEPREFIX``), as in
  a sandbox that never writes one: every run compiles every module it imports from source.

Prints each command's median, p90 and fastest wall time and its median as a multiple of the
baseline's in the same mode; writes them as JSON. It starts its own local stack with the demo
data, so the lists list rows.

    .venv/bin/python bench/cli_startup.py [--rounds 15] [--out .mats/bench/cli_startup.json]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WARM_UP_ROUNDS = 2

BASELINE = "python -c pass"
COMMANDS: dict[str, list[str]] = {
    BASELINE: [sys.executable, "-c", "pass"],
    "import firestore client": [sys.executable, "-c", "import google.cloud.firestore"],
    "mats --help": [str(BIN / "mats"), "--help"],
    "mats strategies list": [str(BIN / "mats"), "strategies", "list"],
    "mats signals list": [str(BIN / "mats"), "signals", "list"],
}
CACHED, UNCACHED = "cached bytecode", "no bytecode cache"


def start_stack(state_dir: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [str(BIN / "mats"), "--state-dir", str(state_dir), "up", "--port-base", "0"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 180
    while not (state_dir / "stack.json").exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("mats up failed; run it by hand to see why")
        time.sleep(0.1)
    return process


def user_envs(state_dir: Path, empty_cache: Path) -> dict[str, dict[str, str]]:
    """A user's shell, in each mode: the stack is found by its state directory only."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_EMULATOR_HOST")}
    for name in ("GOOGLE_CLOUD_PROJECT", "PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX"):
        env.pop(name, None)
    env["MATS_STATE_DIR"] = str(state_dir)
    uncached = {**env, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": str(empty_cache)}
    return {CACHED: env, UNCACHED: uncached}


def time_once(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, env=env, cwd=REPO, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr.decode()}")
    return elapsed


def measure(rounds: int, envs: dict[str, dict[str, str]]) -> dict[str, dict[str, list[float]]]:
    runs = [(mode, name) for mode in envs for name in COMMANDS]
    samples: dict[str, dict[str, list[float]]] = {mode: {n: [] for n in COMMANDS} for mode in envs}
    for round_number in range(WARM_UP_ROUNDS + rounds):
        shift = round_number % len(runs)
        for mode, name in runs[shift:] + runs[:shift]:
            elapsed = time_once(COMMANDS[name], envs[mode])
            if round_number >= WARM_UP_ROUNDS:
                samples[mode][name].append(elapsed)
    return samples


def summarise(samples: dict[str, dict[str, list[float]]]) -> dict[str, Any]:
    report: dict[str, Any] = {"rounds": len(samples[CACHED][BASELINE]), "modes": {}}
    for mode, by_command in samples.items():
        baseline = statistics.median(by_command[BASELINE])
        figures = report["modes"][mode] = {}
        for name, values in by_command.items():
            ordered = sorted(values)
            median = statistics.median(ordered)
            figures[name] = {
                "median_s": round(median, 4),
                "p90_s": round(ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))], 4),
                "fastest_s": round(ordered[0], 4),
                "median_over_baseline": round(median / baseline, 1),
            }
    return report


def render(report: dict[str, Any]) -> str:
    lines = [f"CLI start-up, {report['rounds']} rounds (baseline: {BASELINE} in the same mode)"]
    for mode, figures in report["modes"].items():
        lines.append(f"{mode:<26}{'median':>10}{'p90':>10}{'fastest':>10}{'/ baseline':>12}")
        for name, row in figures.items():
            lines.append(
                f"  {name:<24}{row['median_s'] * 1000:>8.0f}ms{row['p90_s'] * 1000:>8.0f}ms"
                f"{row['fastest_s'] * 1000:>8.0f}ms{row['median_over_baseline']:>11.1f}x"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--out", type=Path, default=REPO / ".mats" / "bench" / "cli_startup.json")
    args = parser.parse_args()

    state_dir = Path(tempfile.mkdtemp(prefix="mats-bench-cli-"))
    stack = start_stack(state_dir)
    try:
        with tempfile.TemporaryDirectory(prefix="mats-bench-no-pycache-") as empty_cache:
            samples = measure(args.rounds, user_envs(state_dir, Path(empty_cache)))
    finally:
        stack.send_signal(signal.SIGTERM)
        stack.wait(60)

    report = summarise(samples)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(render(report))


if __name__ == "__main__":
    main()
