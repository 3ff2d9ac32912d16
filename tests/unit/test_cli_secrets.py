"""``mats secrets set|list`` over a file secret store: the value comes from stdin and is never
printed, an empty value stores nothing, and the listing holds names and versions only."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from click.testing import CliRunner

from mats.adapters.secrets import FileSecretStore
from mats.cli.app import CliContext
from mats.cli.secrets import secrets

VALUE = "tg-token-7f3a9c1e55"


def _context(directory: Path) -> CliContext:
    context = CliContext(state_dir=None, project=None, ingest_url=None)
    # The target and its services, as a running stack would give them.
    context.__dict__["target"] = SimpleNamespace(describe=lambda: "local project mats-local")
    context.__dict__["services"] = SimpleNamespace(secret_store=FileSecretStore(directory))
    return context


def test_set_reads_the_value_from_stdin_and_never_prints_it(tmp_path: Path) -> None:
    runner = CliRunner()

    result = runner.invoke(
        secrets, ["set", "telegram-bot-token"], input=VALUE + "\n", obj=_context(tmp_path)
    )

    assert result.exit_code == 0, result.output
    assert VALUE not in result.output
    assert "telegram-bot-token" in result.output
    assert (tmp_path / "telegram-bot-token").read_text() == VALUE  # Without the newline.


def test_an_empty_value_stores_nothing(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        secrets, ["set", "telegram-bot-token"], input="\n", obj=_context(tmp_path)
    )

    assert result.exit_code != 0
    assert not (tmp_path / "telegram-bot-token").exists()


def test_list_shows_names_and_versions_only(tmp_path: Path) -> None:
    context = _context(tmp_path)
    runner = CliRunner()
    runner.invoke(secrets, ["set", "telegram-bot-token"], input=VALUE, obj=context)
    runner.invoke(secrets, ["set", "ccxt-binance-api-key"], input="key-123456789", obj=context)

    as_text = runner.invoke(secrets, ["list"], obj=context)
    as_json = runner.invoke(secrets, ["list", "--json"], obj=context)

    assert as_text.exit_code == 0, as_text.output
    assert as_text.output.splitlines()[0].split() == ["NAME", "VERSIONS", "READ", "UPDATED"]
    assert [line.split()[0] for line in as_text.output.splitlines()[1:]] == [
        "ccxt-binance-api-key",
        "telegram-bot-token",
    ]
    for output in (as_text.output, as_json.output):
        assert VALUE not in output
        assert "key-123456789" not in output
