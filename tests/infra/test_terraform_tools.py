"""The Terraform through the tools that run offline: checkov (``--skip-download``: no call to
Prisma Cloud), ``terraform fmt -check`` and ``terraform console`` over the provider-free topology
module when a terraform binary is on PATH (``terraform init`` cannot fetch the Google provider
here, so ``validate`` and ``plan`` cannot run).

checkov conflicts with the project's own dependencies (it pins networkx < 2.7, Riskfolio-Lib in
the bench group needs ≥ 3), so ``make install`` puts it in its own venv, ``.tools/checkov``,
from ``infra/terraform/checkov-requirements.txt`` (hashes pinned).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.infra.terraform import ROOT, TERRAFORM, TOPOLOGY

CHECKOV = ROOT / ".tools" / "checkov" / "bin" / "checkov"
TERRAFORM_BINARY = shutil.which("terraform")
# Every skip is written next to its resource as `# checkov:skip=CHECK:reason`; these are the
# ones the configuration makes, and each reason must say why.
EXPECTED_SKIPS = {"CKV_GCP_124", "CKV_GCP_38", "CKV_GCP_84", "CKV_GCP_62", "CKV_GCP_83"}


def _checkov() -> dict[str, Any]:
    if not CHECKOV.exists():
        pytest.fail(f"{CHECKOV} is missing: `make install` installs checkov in its own venv")
    completed = subprocess.run(
        [
            str(CHECKOV),
            "-d",
            str(TERRAFORM),
            "--framework",
            "terraform",
            "--skip-download",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
    )
    assert completed.returncode in (0, 1), completed.stderr[-2000:]
    report = json.loads(completed.stdout)
    return report if isinstance(report, dict) else report[0]


def test_checkov_finds_no_failed_check_and_every_skip_says_why() -> None:
    report = _checkov()

    failed = [
        f"{check['check_id']} {check['resource']} ({check['file_path']})"
        for check in report["results"]["failed_checks"]
    ]
    assert not failed, "\n".join(failed)
    skipped = report["results"]["skipped_checks"]
    assert {check["check_id"] for check in skipped} == EXPECTED_SKIPS
    for check in skipped:
        reason = check.get("check_result", {}).get("suppress_comment", "")
        assert len(reason) > 60, f"{check['check_id']} on {check['resource']}: {reason!r}"
    assert report["summary"]["passed"] > 50


@pytest.mark.skipif(
    TERRAFORM_BINARY is None,
    reason="no terraform binary on PATH: fmt is checked where one is installed",
)
def test_terraform_fmt_check_is_clean() -> None:
    completed = subprocess.run(
        [TERRAFORM_BINARY or "terraform", "fmt", "-check", "-diff", "-recursive", str(TERRAFORM)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.mark.skipif(
    TERRAFORM_BINARY is None,
    reason="no terraform binary on PATH: the topology module is evaluated where one is installed",
)
def test_terraform_expands_topology_json_into_exactly_its_topics_and_subscriptions(
    tmp_path: Path,
) -> None:
    module = TERRAFORM / "modules" / "topology"
    env = {
        **os.environ,
        "TF_DATA_DIR": str(tmp_path / "data"),
        "TF_IN_AUTOMATION": "1",
        "CHECKPOINT_DISABLE": "1",
    }
    run = [TERRAFORM_BINARY or "terraform", f"-chdir={module}"]
    subprocess.run(
        [*run, "init", "-backend=false", "-input=false"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    expression = (
        "jsonencode({topics = keys(local.topics), push = keys(local.push_subscriptions), "
        "pull = keys(local.pull_subscriptions), dead_lettered = local.dead_lettered, "
        "dead_letter_topics = local.dead_letter_topics})"
    )
    completed = subprocess.run(
        [*run, "console"],
        input=expression,
        env=env,
        text=True,
        capture_output=True,
        timeout=120,
        check=True,
    )
    evaluated = json.loads(json.loads(completed.stdout.strip()))

    topology = json.loads(TOPOLOGY.read_text())
    topics = {topic["name"]: topic for topic in topology["topics"]}
    subscriptions = topology["subscriptions"]
    assert set(evaluated["topics"]) == set(topics)
    assert set(evaluated["push"]) == {s["name"] for s in subscriptions if "push_function" in s}
    assert set(evaluated["pull"]) == {s["name"] for s in subscriptions if "push_function" not in s}
    assert set(evaluated["push"]) | set(evaluated["pull"]) == {s["name"] for s in subscriptions}
    assert evaluated["dead_lettered"] == {
        s["name"]: topics[s["topic"]]["dead_letter_topic"]
        for s in subscriptions
        if "push_function" in s and "dead_letter_topic" in topics[s["topic"]]
    }
    assert set(evaluated["dead_letter_topics"]) == {
        t["dead_letter_topic"] for t in topology["topics"] if "dead_letter_topic" in t
    }


PIPELINE_VARIABLES = """
variable "project_id" { default = "fund-prod" }
variable "project_number" { default = "123456789" }
variable "region" { default = "us-central1" }
variable "environment" { default = "prod" }
variable "hosting_site_id" { default = "fund-site" }
variable "telegram_chat_id" { default = "-100" }
variable "ib_trading_mode" { default = "live" }
variable "operator_members" { default = ["group:ops@fund.example"] }
variable "operator_emails" { default = ["ops@fund.example"] }
variable "ccxt_venues" {
  type = map(object({ exchange = string, account = string, password = optional(bool, false),
    sandbox = optional(bool, false) }))
  default = {
    BINANCE = { exchange = "binance", account = "Binance_Main", sandbox = true }
    OKX     = { exchange = "okx", account = "Okx_Main", password = true }
  }
}
locals {
  stub_accounts = { for name in keys(local.workloads) : name => "mats-${name}@fund-prod.iam" }
}
"""


@pytest.mark.skipif(
    TERRAFORM_BINARY is None,
    reason="no terraform binary on PATH: the pipeline's locals are evaluated where one is",
)
def test_terraform_evaluates_the_pipelines_iam_and_secret_tables_as_the_policy_says(
    tmp_path: Path,
) -> None:
    """The pipeline's locals.tf, evaluated by Terraform itself with the service accounts
    stubbed (the only resources it refers to): its for-expressions type-check, every grant is
    what the invoker and secret tables say, and each workload gets exactly its secrets."""
    source = (TERRAFORM / "modules" / "pipeline" / "locals.tf").read_text()
    stubbed = re.sub(
        r"google_service_account\.workload\[([^\]]+)\]\.email", r"local.stub_accounts[\1]", source
    )
    assert "google_" not in stubbed.replace("google-", ""), "locals.tf refers to another resource"
    (tmp_path / "locals.tf").write_text(stubbed)
    (tmp_path / "variables.tf").write_text(PIPELINE_VARIABLES)
    env = {**os.environ, "TF_DATA_DIR": str(tmp_path / "data"), "CHECKPOINT_DISABLE": "1"}
    run = [TERRAFORM_BINARY or "terraform", f"-chdir={tmp_path}"]
    subprocess.run(
        [*run, "init", "-backend=false", "-input=false"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    expression = (
        "jsonencode({invokers = local.invoker_grants, secrets = local.secret_grants, "
        "mounted = local.secrets_of, named = local.secret_names_of, "
        "ccxt = local.ccxt_environment, callers = local.allowed_callers, "
        "bridge_callers = local.bridge_callers})"
    )
    completed = subprocess.run(
        [*run, "console"],
        input=expression,
        env=env,
        text=True,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    evaluated = json.loads(json.loads(completed.stdout.strip().splitlines()[-1]))

    public = {g["service"] for g in evaluated["invokers"].values() if g["member"] == "allUsers"}
    assert public == {"ingest", "dashboard-api"}
    cerebro = {g["member"] for g in evaluated["invokers"].values() if g["service"] == "cerebro"}
    assert cerebro == {"serviceAccount:mats-pusher@fund-prod.iam"}
    operators = {
        g["service"]
        for g in evaluated["invokers"].values()
        if g["member"] == "group:ops@fund.example"
    }
    assert operators == {"optimizer", "dashboard", "bridge"}
    bridge = {g["member"] for g in evaluated["invokers"].values() if g["service"] == "bridge"}
    assert bridge == {
        "serviceAccount:mats-pusher@fund-prod.iam",
        "serviceAccount:mats-dashboard-api@fund-prod.iam",
        "group:ops@fund.example",
    }

    readers: dict[str, set[str]] = {}
    for grant in evaluated["secrets"].values():
        readers.setdefault(grant["secret"], set()).add(grant["reader"])
    assert readers == {
        "telegram-bot-token": {"cerebro", "dashboard", "dashboard-api", "bridge"},
        "ib-username": {"ib-gateway"},
        "ib-password": {"ib-gateway"},
        "ccxt-binance-api-key": {"bridge"},
        "ccxt-binance-secret": {"bridge"},
        "ccxt-okx-api-key": {"bridge"},
        "ccxt-okx-secret": {"bridge"},
        "ccxt-okx-password": {"bridge"},
    }
    assert {g["role"] for g in evaluated["secrets"].values()} == {
        "roles/secretmanager.secretAccessor",
        "roles/secretmanager.viewer",
    }
    assert evaluated["named"]["bridge"] == {
        "MATS_TELEGRAM_BOT_TOKEN_SECRET": "telegram-bot-token",
        "MATS_CCXT_BINANCE_API_KEY_SECRET": "ccxt-binance-api-key",
        "MATS_CCXT_BINANCE_SECRET_SECRET": "ccxt-binance-secret",
        "MATS_CCXT_OKX_API_KEY_SECRET": "ccxt-okx-api-key",
        "MATS_CCXT_OKX_SECRET_SECRET": "ccxt-okx-secret",
        "MATS_CCXT_OKX_PASSWORD_SECRET": "ccxt-okx-password",
    }
    # What the bridge's settings make of those names: each venue reads its key by name.
    from mats.settings.bridge import bridge_config  # noqa: PLC0415 - the reader itself.

    venues = {
        venue.name: venue
        for venue in bridge_config(
            {**evaluated["ccxt"], **evaluated["named"]["bridge"]}
        ).ccxt_venues
    }
    assert venues["OKX"].password_secret == "ccxt-okx-password"
    assert venues["BINANCE"].api_key_secret == "ccxt-binance-api-key"
    assert venues["BINANCE"].api_key is None
    for workload in ("ingest", "cerebro", "optimizer", "dashboard", "dashboard-api", "bridge"):
        assert evaluated["mounted"][workload] == {}, workload
    assert evaluated["named"]["cerebro"] == {"MATS_TELEGRAM_BOT_TOKEN_SECRET": "telegram-bot-token"}
    assert evaluated["named"]["ingest"] == {}
    assert evaluated["named"]["optimizer"] == {}
    assert evaluated["ccxt"] == {
        "MATS_CCXT_VENUES": "BINANCE=binance:Binance_Main,OKX=okx:Okx_Main"
    }
    assert evaluated["bridge_callers"].endswith(",mats-dashboard-api@fund-prod.iam")
    assert evaluated["callers"].split(",") == [
        "mats-pusher@fund-prod.iam",
        "mats-scheduler@fund-prod.iam",
        "ops@fund.example",
    ]
