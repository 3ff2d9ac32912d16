"""``mats``: the operator CLI for the local stack or a Google Cloud project.

Every command takes ``--help`` and ``--json``. Errors print ``error: ...`` (or a JSON object with
``error`` and ``field`` under ``--json``) and exit with status 1; usage errors exit with 2. A
command that reports a stored run or job whose outcome is FAILED prints it as usual (the JSON
document under ``--json``), then ``error: CODE: message`` on stderr in text, and exits with 1.
The commands are listed in ``mats.cli.registry``; each module loads only when its command runs.
"""

from __future__ import annotations

from mats.cli.app import cli


def main() -> None:
    """Run the CLI (the ``mats`` console script)."""
    cli()
