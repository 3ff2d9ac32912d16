"""The web dashboard in the local stack: ``web/dist`` staged into ``<state>/web`` with this
stack's runtime configuration, served by the Firebase Hosting emulator.

One build serves any stack: the app reads ``/config.json`` (the API's URL, the Auth emulator's
URL, the project) at start, and each stack writes its own beside its copy of the build. A
checkout whose ``web/`` is not built (``make install`` builds it) gets a page that says so.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from mats.localstack.auth_emulator import AUTH_PROJECT

CONFIG_FILE = "config.json"
# The emulator accepts any API key; nothing real is ever needed or reached.
LOCAL_API_KEY = "local-emulator-key"
_NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>MATS dashboard</title></head>
<body><main><h1>The MATS dashboard is not built</h1>
<p>Run <code>make install</code> (or <code>npm ci &amp;&amp; npm run build</code> in
<code>web/</code>), then start the stack again.</p></main></body></html>
"""


def web_config(
    api_url: str, auth_emulator_url: str, project_id: str = AUTH_PROJECT
) -> dict[str, Any]:
    """What the app reads from ``/config.json``."""
    return {
        "apiUrl": api_url,
        "authEmulatorUrl": auth_emulator_url,
        "projectId": project_id,
        "apiKey": LOCAL_API_KEY,
    }


def stage_web(root: Path, target: Path, config: dict[str, Any]) -> bool:
    """Copy ``web/dist`` to ``target`` with ``config.json``; ``False`` when there is no build."""
    built = root / "web" / "dist"
    staging = target.with_name(target.name + ".staging")
    shutil.rmtree(staging, ignore_errors=True)
    found = (built / "index.html").is_file()
    if found:
        shutil.copytree(built, staging)
    else:
        staging.mkdir(parents=True)
        (staging / "index.html").write_text(_NOT_BUILT)
    write_web_config(staging, config)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return found


def write_web_config(site: Path, config: dict[str, Any]) -> None:
    """Replace the site's ``config.json`` in one step (a page loading meanwhile reads the old
    or the new); again once the dashboard's port is final, which may move after Hosting starts."""
    temporary = site / f".{CONFIG_FILE}.tmp"
    temporary.write_text(json.dumps(config, indent=2) + "\n")
    temporary.replace(site / CONFIG_FILE)


def hosting_config(root: Path, public: Path, config_dir: Path) -> dict[str, Any]:
    """The Hosting emulator's site: the deployed ``web/firebase.json``'s (the SPA's deep links
    answered by ``index.html``, its caching headers) serving ``public``.

    ``public`` is given relative to ``config_dir`` (the emulator's ``firebase.json``'s
    directory): the emulator answers 404 to everything under an absolute one.
    """
    deployed = root / "web" / "firebase.json"
    site: dict[str, Any] = dict(_FALLBACK_SITE)
    if deployed.is_file():
        site = dict(json.loads(deployed.read_text())["hosting"])
    site["public"] = os.path.relpath(public, config_dir)
    return site


# For a checkout without web/firebase.json: the SPA rewrite, config.json never cached.
_FALLBACK_SITE: dict[str, Any] = {
    "rewrites": [{"source": "**", "destination": "/index.html"}],
    "headers": [
        {"source": "/config.json", "headers": [{"key": "Cache-Control", "value": "no-store"}]}
    ],
}
