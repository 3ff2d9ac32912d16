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
