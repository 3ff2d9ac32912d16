"""``make stage``'s uploads, each installed alone: a fresh venv per function holding only its
staged requirements.txt, then ``functions_framework.create_app`` over the staged ``main.py``
(from the staged folder, as Cloud Run functions load it), a request, and an import of every
module the import graph says it reaches. A dependency missing from one function's requirements
fails that function's test, however many the shared dev venv has.

uv installs from its cache (``--offline``: nothing is downloaded; the shared venv's sync filled
it), so a venv costs seconds. The staging runs once per session into a temporary folder.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.infra.terraform import ROOT

UV = str(ROOT / ".tools" / "bin" / "uv")  # The Makefile's pinned uv.
FUNCTIONS = ("ingest", "cerebro", "optimizer", "dashboard")
SIGNATURE = {"ingest": "http", "cerebro": "cloudevent", "optimizer": "http", "dashboard": "http"}


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build")
    (out / "hosting").mkdir()  # An older deployment's, which must not be uploaded again.
    done = subprocess.run(
        [sys.executable, str(ROOT / "infra" / "stage" / "stage.py"), "--out", str(out), "--uv", UV],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    (out / "stage.out").write_text(done.stdout)
    return out


def _probe(name: str, modules: list[str]) -> str:
    """What runs inside the function's own venv, from its staged folder."""
    return textwrap.dedent(
        f"""
        import base64, importlib, json, sys
        import functions_framework
        sys.path.insert(0, ".")
        app = functions_framework.create_app({name!r}, "main.py", {SIGNATURE[name]!r})
        client = app.test_client()
        if {SIGNATURE[name]!r} == "http":
            answer = client.get("/healthz")
        else:  # A junk push: logged and acknowledged before any service is built.
            answer = client.post("/", json={{"message": {{"data": "!", "messageId": "1"}},
                                             "subscription": "projects/p/subscriptions/s"}})
        for module in {modules!r}:
            importlib.import_module(module)
        leaked = sorted(m for m in sys.modules if m.split(".")[0] in ("ib_async", "ccxt"))
        mats = importlib.import_module("mats").__file__
        print(json.dumps({{"status": answer.status_code, "file": mats, "leaked": leaked}}))
        """
    )


@pytest.mark.parametrize("name", FUNCTIONS)
def test_a_staged_function_installs_alone_and_loads(
    staged: Path, name: str, tmp_path: Path
) -> None:
    sys.path.insert(0, str(ROOT / "infra" / "stage"))
    try:
        from imports import ImportGraph  # noqa: PLC0415 - the stage tool's own folder.
    finally:
        sys.path.pop(0)
    folder = staged / "functions" / name
    assert sorted(p.name for p in folder.iterdir()) == ["main.py", "mats", "requirements.txt"]
    graph = ImportGraph(ROOT / "src")
    third_party = sorted(graph.third_party(ROOT / "functions" / name / "main.py"))
    modules = sorted(graph.reached) + third_party

    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHONPATH"))}
    subprocess.run(
        [UV, "venv", "--quiet", "--python", sys.executable, str(venv)],
        check=True,
        env=env,
        timeout=120,
    )
    install = subprocess.run(
        [
            UV,
            "pip",
            "install",
            "--quiet",
            "--require-hashes",
            "--python",
            str(venv / "bin" / "python"),
            "-r",
            str(folder / "requirements.txt"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    probe = subprocess.run(
        [str(venv / "bin" / "python"), "-c", _probe(name, modules)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**env, "GOOGLE_CLOUD_PROJECT": "demo-staged", "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert probe.returncode == 0, probe.stderr[-3000:]
    result = json.loads(probe.stdout.strip().splitlines()[-1])
    assert result["status"] == 200
    assert Path(result["file"]).resolve().is_relative_to(folder.resolve())
    assert result["leaked"] == [], "a function never loads the broker libraries"


def test_the_requirements_hold_only_what_each_function_imports(staged: Path) -> None:
    def names(path: Path) -> set[str]:
        lines = path.read_text().splitlines()
        return {line.split("==")[0] for line in lines if line and not line.startswith((" ", "#"))}

    requirements = {
        name: names(staged / "functions" / name / "requirements.txt") for name in FUNCTIONS
    }
    for name in FUNCTIONS:
        assert "functions-framework" in requirements[name]
        assert not requirements[name] & {"ib-async", "ccxt", "aiohttp"}, name
    assert "google-cloud-secret-manager" in requirements["ingest"]  # Senders' signing keys.
    assert not requirements["ingest"] & {"numpy", "scipy", "highspy", "firebase-admin"}
    assert not requirements["cerebro"] & {"numpy", "scipy", "highspy", "firebase-admin"}
    assert {"numpy", "highspy", "clarabel"} <= requirements["optimizer"]
    assert {"firebase-admin", "google-cloud-scheduler"} <= requirements["dashboard"]
    # Only the optimizer runs backtest syncs, so only it imports the Cloud Storage client; the
    # dashboard has it only as firebase-admin's dependency, ingest and Cerebro not at all.
    imported = {
        name: _imported(staged / "functions" / name / "requirements.txt") for name in FUNCTIONS
    }
    assert [name for name in FUNCTIONS if "google-cloud-storage" in imported[name]] == ["optimizer"]
    assert "google-cloud-storage" not in requirements["ingest"] | requirements["cerebro"]
    bridge = names(staged / "bridge" / "requirements.txt")
    assert {"ib-async", "ccxt", "gunicorn"} <= bridge
    for path in [
        *(staged / "functions").glob("*/requirements.txt"),
        staged / "bridge" / "requirements.txt",
    ]:
        for line in path.read_text().splitlines():
            if line and not line.startswith((" ", "#")):
                assert "==" in line, (path, line)
        assert "--hash=sha256:" in path.read_text()


def _imported(path: Path) -> set[str]:
    """The distributions the header says the function imports (the rest are their dependencies)."""
    found = re.search(r"the distributions it imports \(([^)]*)\)", path.read_text())
    assert found, path
    return set(found.group(1).split(", "))


def test_without_the_deployments_values_hosting_is_left_out(staged: Path) -> None:
    # tests/infra/test_staged_hosting.py stages it with them.
    assert not (staged / "hosting").exists()
    assert "build/hosting not staged" in (staged / "stage.out").read_text()
