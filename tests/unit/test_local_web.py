"""The web dashboard in the local stack: its build staged with this stack's config.json and
served by the Hosting emulator in the Auth emulator's process."""

from __future__ import annotations

import json
from pathlib import Path

from mats.localstack.auth_emulator import AuthDirectory, AuthPorts, emulator_command
from mats.localstack.web import hosting_config, stage_web, web_config

CONFIG = web_config("http://127.0.0.1:8690/api", "http://127.0.0.1:8691")


def built_checkout(root: Path) -> Path:
    dist = root / "web" / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text('<div id="root"></div>')
    (dist / "assets" / "index-abc.js").write_text("console.log(1)")
    deployed = {"hosting": {"public": "dist", "rewrites": [{"source": "**", "destination": "/x"}]}}
    (root / "web" / "firebase.json").write_text(json.dumps(deployed))
    return dist


def test_the_build_is_staged_with_this_stacks_configuration(tmp_path: Path) -> None:
    built_checkout(tmp_path)
    target = tmp_path / "state" / "web"

    found = stage_web(tmp_path, target, CONFIG)

    assert found
    assert (target / "assets" / "index-abc.js").read_text() == "console.log(1)"
    assert json.loads((target / "config.json").read_text()) == {
        "apiUrl": "http://127.0.0.1:8690/api",
        "authEmulatorUrl": "http://127.0.0.1:8691",
        "projectId": "demo-mats",
        "apiKey": "local-emulator-key",
    }


def test_a_restaging_replaces_the_last_copy(tmp_path: Path) -> None:
    dist = built_checkout(tmp_path)
    target = tmp_path / "state" / "web"
    stage_web(tmp_path, target, CONFIG)
    (dist / "assets" / "index-abc.js").unlink()
    (dist / "assets" / "index-def.js").write_text("console.log(2)")

    stage_web(tmp_path, target, CONFIG)

    assert sorted(path.name for path in (target / "assets").iterdir()) == ["index-def.js"]


def test_a_checkout_without_a_build_serves_a_page_that_says_so(tmp_path: Path) -> None:
    target = tmp_path / "state" / "web"

    found = stage_web(tmp_path, target, CONFIG)

    assert not found
    assert "make install" in (target / "index.html").read_text()
    assert (target / "config.json").is_file()


def test_the_site_is_the_deployments_serving_the_staged_copy_by_a_relative_path(
    tmp_path: Path,
) -> None:
    built_checkout(tmp_path)
    state = tmp_path / "state"

    site = hosting_config(tmp_path, state / "web", state / "auth")

    assert site["public"] == "../web"  # The emulator answers 404 under an absolute one.
    assert site["rewrites"] == [{"source": "**", "destination": "/x"}]


def test_the_auth_emulator_also_serves_hosting_on_loopback_when_given_a_site(
    tmp_path: Path,
) -> None:
    directory = AuthDirectory(tmp_path / "auth")
    ports = AuthPorts(auth=9099, hub=4400, logging=4500, hosting=5000)
    site = hosting_config(tmp_path, tmp_path / "web", directory.path)

    argv, _ = emulator_command(tmp_path, directory, ports, hosting=site)

    config = json.loads(directory.config.read_text())
    assert argv[argv.index("--only") + 1] == "auth,hosting"
    assert config["emulators"]["hosting"] == {"host": "127.0.0.1", "port": 5000}
    assert config["hosting"]["public"] == "../web"
    assert config["hosting"]["rewrites"] == [{"source": "**", "destination": "/index.html"}]
