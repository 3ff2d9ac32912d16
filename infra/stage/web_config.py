"""The hosted web app's ``config.json``: what the app reads at start (``web/src/config.ts``).

Its values are the deployment's: the ``web_config`` output of the environment's Terraform
(``terraform output -json``, run in ``--terraform-dir`` or saved to ``--terraform-output``), each
replaced by its flag when one is given (``--web-api-key`` ...). A value that is missing or
empty, or an API URL that is not ``https://.../api``, stops the staging with the value's name and
where it would come from: nothing is ever made up, so a page never starts against a placeholder.
The region of the dashboard API (Hosting's ``/api`` rewrite names it) comes the same way, from
the ``region`` output or ``--region``.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Terraform's output that holds config.json (modules/pipeline/outputs.tf).
OUTPUT = "web_config"
# Each key of config.json: the flag that sets it and what it is.
FIELDS = {
    "apiUrl": ("--web-api-url", "the dashboard API's URL, https://SITE.web.app/api"),
    "projectId": ("--web-project-id", "the Firebase project id"),
    "apiKey": ("--web-api-key", "the Firebase web API key"),
    "authDomain": ("--web-auth-domain", "the Firebase Auth domain, PROJECT.firebaseapp.com"),
}


def flag_destination(key: str) -> str:
    """The argparse destination of a field's flag (``--web-api-key`` → ``web_api_key``)."""
    return FIELDS[key][0].removeprefix("--").replace("-", "_")


def terraform_outputs(directory: Path, terraform: str = "terraform") -> dict[str, Any]:
    """``terraform output -json`` of an applied environment."""
    try:
        done = subprocess.run(  # noqa: S603 - the operator's terraform, fixed arguments.
            [terraform, f"-chdir={directory}", "output", "-json"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except FileNotFoundError:
        raise SystemExit(f"stage: hosting: no {terraform} to read {directory}'s outputs") from None
    if done.returncode != 0:
        raise SystemExit(f"stage: hosting: terraform output in {directory} failed:\n{done.stderr}")
    outputs: dict[str, Any] = json.loads(done.stdout or "{}")
    return outputs


def saved_outputs(path: Path) -> dict[str, Any]:
    """A saved ``terraform output -json``."""
    try:
        outputs: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise SystemExit(f"stage: hosting: cannot read {path}: {error}") from None
    return outputs


@dataclass(frozen=True)
class HostingValues:
    config: dict[str, str]  # config.json
    region: str  # Where mats-dashboard-api runs.


def hosting_values(
    outputs: Mapping[str, Any] | None, flags: Mapping[str, str | None]
) -> HostingValues:
    """The flags' values over Terraform's outputs; refuse any that is missing or malformed."""
    config = {
        key: _value(outputs, f"{OUTPUT}.{key}", flag, what, flags.get(flag_destination(key)))
        for key, (flag, what) in FIELDS.items()
    }
    api_url = config["apiUrl"].rstrip("/")
    if not api_url.startswith("https://") or not api_url.endswith("/api"):
        raise SystemExit(
            "stage: hosting: apiUrl must be the dashboard API over https, ending in /api; "
            f"got {config['apiUrl']!r}"
        )
    config["apiUrl"] = api_url
    if "/" in config["authDomain"] or ":" in config["authDomain"]:
        raise SystemExit(
            "stage: hosting: authDomain is a host name (PROJECT.firebaseapp.com), not a URL; "
            f"got {config['authDomain']!r}"
        )
    what = "the region of mats-dashboard-api, for Hosting's /api rewrite"
    region = _value(outputs, "region", "--region", what, flags.get("region"))
    return HostingValues(config, region)


def _value(
    outputs: Mapping[str, Any] | None, name: str, flag: str, what: str, given: str | None
) -> str:
    """A flag's value, else the output ``name`` (``output`` or ``output.key``), else refuse."""
    found: Any = given
    if not found and outputs is not None:
        output, _, key = name.partition(".")
        found = outputs.get(output)
        found = found.get("value") if isinstance(found, dict) else None
        if key:
            found = found.get(key) if isinstance(found, dict) else None
    if isinstance(found, str) and found.strip():
        return found.strip()
    source = (
        f"`terraform output` has no {name}"
        if outputs is not None
        else "no Terraform outputs were given (--terraform-dir or --terraform-output)"
    )
    raise SystemExit(f"stage: hosting: needs {name} ({what}): {source}, and no {flag} was given")
