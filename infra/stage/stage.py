"""``make stage``: what each deployable uploads, in ``build/``.

- ``build/functions/<name>/``: ``main.py``, a copy of ``mats`` and a ``requirements.txt`` with
  exactly the distributions that function imports (``imports.py`` finds them) and everything they
  depend on, pinned with hashes as ``uv.lock`` has them (``uv export --frozen``): Cloud Functions
  upload only the function's own folder, and Terraform zips this one.
- ``build/bridge/``: the same for the bridge's container (plus gunicorn, its server), the context
  ``gateway/ib_bridge/Dockerfile`` builds.
- ``build/hosting/``: what ``firebase deploy --only hosting`` uploads: ``firebase.json``
  (``web/firebase.json``'s site with ``/api/**`` rewritten to the dashboard API) and ``public/``,
  the web build (``web/dist``) with the deployment's ``config.json`` (``web_config.py``). It needs
  the deployment's values, known once Terraform has applied: given none (no ``--terraform-dir``,
  ``--terraform-output`` or ``--web-*`` flag), everything else is staged and ``build/hosting``
  is left out (removed, so an older deployment's is never uploaded by mistake).

Usage: ``python infra/stage/stage.py [--out build] [--uv PATH] [--only NAME]...
[--terraform-dir infra/terraform/environments/ENV | --terraform-output FILE]
[--web-api-url URL] [--web-project-id ID] [--web-api-key KEY] [--web-auth-domain HOST]
[--region REGION] [--web-dist web/dist]``.
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

# The folder is not a package: its modules are imported from sys.path.
from imports import ImportGraph
from web_config import (
    FIELDS,
    HostingValues,
    flag_destination,
    hosting_values,
    saved_outputs,
    terraform_outputs,
)

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ("ingest", "cerebro", "optimizer", "dashboard")
# What the platform runs them with, though no module imports it.
RUNTIME = {"function": {"functions-framework"}, "bridge": {"gunicorn"}}
CONFIG_FILE = "config.json"


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


def hosting_site(region: str) -> dict[str, object]:
    """``web/firebase.json``'s site (its SPA rewrite and headers, ``config.json`` never cached)
    serving ``public``, with ``/api/**`` first rewritten to the dashboard API in ``region``."""
    site = dict(json.loads((ROOT / "web" / "firebase.json").read_text())["hosting"])
    api = {"source": "/api/**", "run": {"serviceId": "mats-dashboard-api", "region": region}}
    site["public"] = "public"
    site["rewrites"] = [api, *site.get("rewrites", [])]
    return {"hosting": site}


def stage_hosting(target: Path, values: HostingValues, web: Path) -> None:
    """Write ``firebase.json`` and ``public/`` (the web build ``web`` and its ``config.json``)."""
    _require_build(web)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    (target / "firebase.json").write_text(json.dumps(hosting_site(values.region), indent=2) + "\n")
    shutil.copytree(web, target / "public")
    (target / "public" / CONFIG_FILE).write_text(json.dumps(values.config, indent=2) + "\n")


def _require_build(web: Path) -> None:
    if not (web / "index.html").is_file():
        raise SystemExit(f"stage: hosting: {web} holds no web build (`make web` builds web/dist)")


def _hosting_values(arguments: argparse.Namespace) -> HostingValues | None:
    """The deployment's values for Hosting; ``None`` when none was given and hosting was not
    asked for by name (``--only hosting``), which then refuses like any missing value."""
    flags = {name: getattr(arguments, name) for name in _flag_names()}
    if arguments.terraform_dir is not None:
        outputs = terraform_outputs(arguments.terraform_dir, arguments.terraform)
    elif arguments.terraform_output is not None:
        outputs = saved_outputs(arguments.terraform_output)
    elif any(flags.values()) or "hosting" in (arguments.only or ()):
        outputs = None
    else:
        return None
    return hosting_values(outputs, flags)


def _flag_names() -> list[str]:
    return [*map(flag_destination, FIELDS), "region"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build")
    parser.add_argument("--uv", default=str(ROOT / ".tools" / "bin" / "uv"))
    parser.add_argument("--only", action="append", help="stage only these deployables")
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--terraform-dir",
        type=Path,
        help="an applied environment: hosting's values from its outputs",
    )
    source.add_argument(
        "--terraform-output",
        type=Path,
        help="hosting's values from a saved `terraform output -json`",
    )
    parser.add_argument("--terraform", default="terraform", help="the terraform binary")
    for flag, what in FIELDS.values():
        parser.add_argument(flag, help=f"config.json: {what} (over Terraform's)")
    parser.add_argument("--region", help="where mats-dashboard-api runs (over Terraform's)")
    parser.add_argument("--web-dist", type=Path, default=ROOT / "web" / "dist")
    arguments = parser.parse_args(argv)
    wanted = set(arguments.only or [*FUNCTIONS, "bridge", "hosting"])
    # Checked before the long part, so a missing value stops the staging at once.
    hosting = _hosting_values(arguments) if "hosting" in wanted else None
    if hosting is not None:
        _require_build(arguments.web_dist)
    context: dict[str, object] = {}
    if wanted - {"hosting"}:
        context = {
            "graph": ImportGraph(ROOT / "src"),
            "owners": _distribution_files(),
            "lock": tomllib.loads((ROOT / "uv.lock").read_text()),
            "exported": exported_requirements(arguments.uv),
        }
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
    if hosting is not None:
        stage_hosting(arguments.out / "hosting", hosting, arguments.web_dist)
        config = hosting.config
        print(f"staged build/hosting: {config['projectId']}, its API at {config['apiUrl']}")
    elif "hosting" in wanted:
        shutil.rmtree(arguments.out / "hosting", ignore_errors=True)
        print(
            "build/hosting not staged: its config.json needs the deployment's values "
            "(after terraform apply: make stage TF_ENV=dev|prod)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
