"""``make stage``'s ``build/hosting``: the web build with the deployment's ``config.json``, from the
environment's ``terraform output`` or flags, refused (naming the value and its flag) when one is
missing, never a placeholder; and without any deployment value, left out."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.infra.terraform import ROOT, TERRAFORM, parsed, plain

STAGE = ROOT / "infra" / "stage" / "stage.py"
CONFIG = {
    "apiUrl": "https://mats-fund.web.app/api",
    "projectId": "mats-fund-prod",
    "apiKey": "AIzaSyExampleExampleExampleExample0",
    "authDomain": "mats-fund-prod.firebaseapp.com",
}
FLAGS = {
    "apiUrl": "--web-api-url",
    "projectId": "--web-project-id",
    "apiKey": "--web-api-key",
    "authDomain": "--web-auth-domain",
}


def outputs(config: dict[str, str] | None = None, region: str | None = "europe-west1") -> Any:
    """What `terraform output -json` prints for an applied environment."""
    found: dict[str, Any] = {
        "web_config": {"sensitive": False, "type": "object", "value": config or CONFIG},
        "webhook_url": {"sensitive": False, "type": "string", "value": "https://ingest"},
    }
    if region is not None:
        found["region"] = {"sensitive": False, "type": "string", "value": region}
    return found


@pytest.fixture
def web_build(tmp_path: Path) -> Path:
    build = tmp_path / "dist"
    (build / "assets").mkdir(parents=True)
    (build / "index.html").write_text("<!doctype html><title>MATS</title>")
    (build / "assets" / "index-abc.js").write_text("console.log('app')")
    return build


def stage(tmp_path: Path, web_build: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            *(sys.executable, str(STAGE), "--out", str(tmp_path / "build")),
            *("--web-dist", str(web_build), "--only", "hosting", *arguments),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def saved(tmp_path: Path, document: Any) -> str:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(document))
    return str(path)


def test_hosting_is_staged_with_the_web_build_and_the_deployments_config_json(
    tmp_path: Path, web_build: Path
) -> None:
    done = stage(tmp_path, web_build, "--terraform-output", saved(tmp_path, outputs()))

    assert done.returncode == 0, done.stderr
    hosting = tmp_path / "build" / "hosting"
    assert json.loads((hosting / "public" / "config.json").read_text()) == CONFIG
    assert (hosting / "public" / "index.html").read_text() == (web_build / "index.html").read_text()
    assert (hosting / "public" / "assets" / "index-abc.js").is_file()
    site = json.loads((hosting / "firebase.json").read_text())["hosting"]
    assert site["public"] == "public"
    assert site["rewrites"][0] == {
        "source": "/api/**",
        "run": {"serviceId": "mats-dashboard-api", "region": "europe-west1"},
    }
    assert site["rewrites"][-1] == {"source": "**", "destination": "/index.html"}
    # The site's own headers (web/firebase.json), config.json's no-store among them.
    deployed = json.loads((ROOT / "web" / "firebase.json").read_text())["hosting"]
    assert site["headers"] == deployed["headers"]
    assert {
        "source": "/config.json",
        "headers": [{"key": "Cache-Control", "value": "no-store"}],
    } in (site["headers"])
    assert "mats-fund-prod" in done.stdout


def test_flags_replace_terraforms_values_and_alone_are_enough(
    tmp_path: Path, web_build: Path
) -> None:
    key = "AIzaSyRotatedRotatedRotatedRotated00"
    over = stage(
        tmp_path, web_build, "--terraform-output", saved(tmp_path, outputs()), "--web-api-key", key
    )
    assert over.returncode == 0, over.stderr
    config = tmp_path / "build" / "hosting" / "public" / "config.json"
    assert json.loads(config.read_text()) == {**CONFIG, "apiKey": key}

    every = [item for name, flag in FLAGS.items() for item in (flag, CONFIG[name])]
    alone = stage(tmp_path, web_build, *every, "--region", "us-east1")
    assert alone.returncode == 0, alone.stderr
    assert json.loads(config.read_text()) == CONFIG


@pytest.mark.parametrize("missing", sorted(CONFIG))
def test_a_value_missing_from_terraform_and_the_flags_stops_the_staging_naming_both(
    tmp_path: Path, web_build: Path, missing: str
) -> None:
    old = tmp_path / "build" / "hosting"
    old.mkdir(parents=True)
    (old / "firebase.json").write_text("{}")
    gap = {key: value for key, value in CONFIG.items() if key != missing}
    empty = {**CONFIG, missing: " "}

    for document in (outputs(gap), outputs(empty)):
        done = stage(tmp_path, web_build, "--terraform-output", saved(tmp_path, document))

        assert done.returncode != 0
        assert f"web_config.{missing}" in done.stderr
        assert FLAGS[missing] in done.stderr
        assert (old / "firebase.json").read_text() == "{}", "nothing is staged"
        assert not (old / "public").exists()


def test_the_region_is_required_like_any_value(tmp_path: Path, web_build: Path) -> None:
    done = stage(tmp_path, web_build, "--terraform-output", saved(tmp_path, outputs(region=None)))

    assert done.returncode != 0
    assert "region" in done.stderr
    assert "--region" in done.stderr


def test_hosting_asked_for_without_any_deployment_value_is_refused(
    tmp_path: Path, web_build: Path
) -> None:
    done = stage(tmp_path, web_build)

    assert done.returncode != 0
    assert "no Terraform outputs were given" in done.stderr
    assert not (tmp_path / "build" / "hosting").exists()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("apiUrl", "http://mats-fund.web.app/api"),
        ("apiUrl", "https://mats-fund.web.app"),
        ("authDomain", "https://mats-fund-prod.firebaseapp.com"),
    ],
)
def test_a_malformed_value_is_refused(
    tmp_path: Path, web_build: Path, key: str, value: str
) -> None:
    document = outputs({**CONFIG, key: value})

    done = stage(tmp_path, web_build, "--terraform-output", saved(tmp_path, document))

    assert done.returncode != 0
    assert key in done.stderr
    assert not (tmp_path / "build" / "hosting").exists()


def test_without_a_web_build_hosting_is_refused(tmp_path: Path, web_build: Path) -> None:
    shutil.rmtree(web_build)

    done = stage(tmp_path, web_build, "--terraform-output", saved(tmp_path, outputs()))

    assert done.returncode != 0
    assert "make web" in done.stderr


@pytest.mark.skipif(shutil.which("terraform") is None, reason="no terraform binary on PATH")
def test_the_values_come_from_terraform_output_of_an_environment_directory(
    tmp_path: Path, web_build: Path
) -> None:
    environment = tmp_path / "environment"
    environment.mkdir()
    state = {
        "version": 4,
        "terraform_version": "1.5.0",
        "serial": 1,
        "lineage": "6b0c3a2e-0000-4000-8000-000000000000",
        "outputs": {
            name: {"value": output["value"], "type": "string"} for name, output in outputs().items()
        },
        "resources": [],
    }
    state["outputs"]["web_config"]["type"] = ["object", dict.fromkeys(CONFIG, "string")]
    (environment / "terraform.tfstate").write_text(json.dumps(state))

    done = stage(tmp_path, web_build, "--terraform-dir", str(environment))

    assert done.returncode == 0, done.stderr
    config = tmp_path / "build" / "hosting" / "public" / "config.json"
    assert json.loads(config.read_text()) == CONFIG


def test_config_json_holds_what_the_app_reads_as_terraform_declares_it() -> None:
    sys.path.insert(0, str(ROOT / "infra" / "stage"))
    try:
        from web_config import FIELDS  # noqa: PLC0415 - the stage tool's own folder.
    finally:
        sys.path.pop(0)
    source = (ROOT / "web" / "src" / "config.ts").read_text()
    interface = source.split("export interface AppConfig {")[1].split("}")[0]
    fields = set(re.findall(r"^\s*(\w+)\??:", interface, re.MULTILINE))
    required = set(re.findall(r"!config\.(\w+)", source))

    assert set(FIELDS) == set(FLAGS)
    assert required <= set(FIELDS) <= fields
    assert fields - set(FIELDS) == {"authEmulatorUrl"}, "only the local stack's emulator is left"
    module_outputs: dict[str, Any] = {}
    for output in parsed(TERRAFORM / "modules" / "pipeline" / "outputs.tf")["output"]:
        module_outputs.update(output)
    value = plain(module_outputs['"web_config"']["value"])
    assert set(value) == set(FIELDS)
    assert value["apiUrl"] == "https://${google_firebase_hosting_site.site.site_id}.web.app/api"
    assert "region" in {name.strip('"') for name in module_outputs}
    for environment in ("dev", "prod"):
        names = set()
        for output in parsed(TERRAFORM / "environments" / environment / "outputs.tf")["output"]:
            names.update(name.strip('"') for name in output)
        assert {"web_config", "region"} <= names, environment
