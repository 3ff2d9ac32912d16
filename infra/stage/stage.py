"""``make stage``: what each deployable uploads, in ``build/``.

- ``build/functions/<name>/``: ``main.py``, a copy of ``mats`` and a ``requirements.txt`` with
  exactly the distributions that function imports (``imports.py`` finds them) and everything they
  depend on, pinned with hashes as ``uv.lock`` has them (``uv export --frozen``): Cloud Functions
  upload only the function's own folder, and Terraform zips this one.
- ``build/bridge/``: the same for the bridge's container (plus gunicorn, its server), the context
  ``gateway/ib_bridge/Dockerfile`` builds.
- ``build/hosting/``: ``firebase.json`` for Firebase Hosting (``/api/**`` to the dashboard API)
  and the web build (``web/dist``) when there is one.

Usage: ``python infra/stage/stage.py [--out build] [--uv PATH]``.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from imports import ImportGraph  # the folder is not a package: imported from sys.path.

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ("ingest", "cerebro", "optimizer", "dashboard")
# What the platform runs them with, though no module imports it.
RUNTIME = {"function": {"functions-framework"}, "bridge": {"gunicorn"}}
REGION = "us-central1"


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _distribution_files() -> dict[Path, str]:
    owners: dict[Path, str] = {}
    for distribution in importlib.metadata.distributions():
        for file in distribution.files or ():
            owners[Path(str(distribution.locate_file(file))).resolve()] = _normalise(
                distribution.metadata["Name"]
            )
    return owners


def distributions_of(modules: Iterable[str], owners: dict[Path, str]) -> set[str]:
    """The installed distribution that provides each module (namespace packages have none)."""
    found = set()
    for module in sorted(modules):
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            raise SystemExit(f"stage: {module} is imported but not installed in this venv")
        origin = spec.origin if spec.origin not in (None, "namespace") else None
        if origin is None:
            continue  # A namespace package (google, google.cloud): its parts are found below it.
        owner = owners.get(Path(origin).resolve())
        if owner is None:
            raise SystemExit(f"stage: no installed distribution provides {module} ({origin})")
        found.add(owner)
    return found


def lock_closure(roots: set[str], lock: dict[str, object]) -> set[str]:
    """``roots`` and everything they depend on in ``uv.lock`` (every extra's markers kept)."""
    packages = {
        _normalise(package["name"]): package
        for package in lock["package"]  # type: ignore[attr-defined]
    }
    closure: set[str] = set()
    pending: list[tuple[str, tuple[str, ...]]] = [(_normalise(root), ()) for root in roots]
    expanded: set[tuple[str, str]] = set()
    while pending:
        name, extras = pending.pop()
        if name not in packages:
            raise SystemExit(f"stage: {name} is not in uv.lock")
        package = packages[name]
        dependencies = [] if name in closure else list(package.get("dependencies", []))
        closure.add(name)
        for extra in extras:  # google-api-core[grpc] brings grpcio: an extra's own list.
            if (name, extra) not in expanded:
                expanded.add((name, extra))
                dependencies += package.get("optional-dependencies", {}).get(extra, [])
        for dependency in dependencies:
            pending.append((_normalise(dependency["name"]), tuple(dependency.get("extra", ()))))
    return closure


def exported_requirements(uv: str) -> dict[str, str]:
    """``uv export``'s pinned, hashed requirement of every locked distribution, by name."""
    exported = subprocess.run(  # noqa: S603 - the Makefile's uv, fixed arguments.
        [
            uv,
            "export",
            "--frozen",
            "--no-dev",
            "--all-extras",
            "--no-emit-project",
            "--no-header",
            "--no-annotate",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    blocks: dict[str, str] = {}
    current: list[str] = []
    for line in exported.splitlines():
        if line and not line.startswith((" ", "#")):
            if current:
                blocks[_requirement_name(current[0])] = "\n".join(current)
            current = [line]
        elif line.startswith(" ") and current:
            current.append(line)
    if current:
        blocks[_requirement_name(current[0])] = "\n".join(current)
    return blocks


def _requirement_name(line: str) -> str:
    return _normalise(re.split(r"[=<>!~; \[]", line, maxsplit=1)[0])


def _copy_mats(target: Path) -> None:
    shutil.copytree(
        ROOT / "src" / "mats",
        target / "mats",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "localstack", "cli"),
    )


def stage_deployable(
    name: str, entry_point: Path, target: Path, runtime: set[str], context: dict[str, object]
) -> list[str]:
    """Stage one deployable; return the distributions its requirements name."""
    graph: ImportGraph = context["graph"]  # type: ignore[assignment]
    modules = graph.third_party(entry_point)
    tooling = sorted(m for m in graph.reached if m.startswith(("mats.cli", "mats.localstack")))
    if tooling:
        raise SystemExit(f"stage: {name} reaches {', '.join(tooling)}, which is not uploaded")
    roots = distributions_of(modules, context["owners"]) | runtime  # type: ignore[arg-type]
    closure = lock_closure(roots, context["lock"])  # type: ignore[arg-type]
    exported: dict[str, str] = context["exported"]  # type: ignore[assignment]
    missing = sorted(closure - exported.keys())
    if missing:
        raise SystemExit(f"stage: {name}: not in uv export: {', '.join(missing)}")
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copy2(entry_point, target / "main.py")
    _copy_mats(target)
    header = (
        f"# {name}: the distributions it imports ({', '.join(sorted(roots))}) and their\n"
        "# dependencies, pinned as uv.lock has them. Written by `make stage`; do not edit.\n"
    )
    body = "\n".join(exported[package] for package in sorted(closure))
    (target / "requirements.txt").write_text(header + body + "\n")
    return sorted(closure)


def stage_hosting(target: Path) -> bool:
    """Write ``firebase.json`` for Hosting, and the web build if ``web/dist`` exists (say if so)."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    config = {
        "hosting": {
            "public": "public",
            "ignore": ["firebase.json", "**/.*"],
            "rewrites": [
                {
                    "source": "/api/**",
                    "run": {"serviceId": "mats-dashboard-api", "region": REGION},
                },
                {"source": "**", "destination": "/index.html"},
            ],
            "headers": [
                {
                    "source": "**",
                    "headers": [
                        {"key": "Strict-Transport-Security", "value": "max-age=31536000"},
                        {"key": "X-Content-Type-Options", "value": "nosniff"},
                        {"key": "X-Frame-Options", "value": "DENY"},
                        {"key": "Referrer-Policy", "value": "strict-origin-when-cross-origin"},
                    ],
                }
            ],
        }
    }
    (target / "firebase.json").write_text(json.dumps(config, indent=2) + "\n")
    web = ROOT / "web" / "dist"
    if web.is_dir():
        shutil.copytree(web, target / "public")
        return True
    (target / "public").mkdir()
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build")
    parser.add_argument("--uv", default=str(ROOT / ".tools" / "bin" / "uv"))
    parser.add_argument("--only", action="append", help="stage only these deployables")
    arguments = parser.parse_args(argv)
    context: dict[str, object] = {
        "graph": ImportGraph(ROOT / "src"),
        "owners": _distribution_files(),
        "lock": tomllib.loads((ROOT / "uv.lock").read_text()),
        "exported": exported_requirements(arguments.uv),
    }
    wanted = set(arguments.only or [*FUNCTIONS, "bridge", "hosting"])
    for name in FUNCTIONS:
        if name in wanted:
            entry = ROOT / "functions" / name / "main.py"
            staged = stage_deployable(
                name, entry, arguments.out / "functions" / name, RUNTIME["function"], context
            )
            print(f"staged build/functions/{name}: {len(staged)} distributions")
    if "bridge" in wanted:
        entry = ROOT / "gateway" / "ib_bridge" / "main.py"
        staged = stage_deployable(
            "bridge", entry, arguments.out / "bridge", RUNTIME["bridge"], context
        )
        shutil.copy2(ROOT / "gateway" / "ib_bridge" / "Dockerfile", arguments.out / "bridge")
        print(f"staged build/bridge: {len(staged)} distributions")
    if "hosting" in wanted:
        web = stage_hosting(arguments.out / "hosting")
        print("staged build/hosting" + ("" if web else " (no web/dist yet: firebase.json only)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
