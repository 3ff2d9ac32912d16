"""Where backtest files come from: ``MATS_BACKTEST_DIR`` as a directory or ``gs://`` prefix, the
adapter the services pick for each, and what Cloud Storage's refusals become."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pytest
from google.api_core import exceptions as google_errors

from mats.adapters.backtest_files import DirectoryBacktestFiles
from mats.adapters.cloud_storage import CloudStorageBacktestFiles
from mats.bootstrap import Services
from mats.errors import ValidationError
from mats.settings import Settings
from mats.settings.backtests import CloudStoragePrefix, parse_backtest_location


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("gs://mats-backtests", CloudStoragePrefix("mats-backtests", "")),
        ("gs://mats-backtests/", CloudStoragePrefix("mats-backtests", "")),
        ("gs://mats-backtests/nightly", CloudStoragePrefix("mats-backtests", "nightly/")),
        ("gs://p.mats_bt/2026/12/", CloudStoragePrefix("p.mats_bt", "2026/12/")),
        ("/srv/backtests", Path("/srv/backtests")),
        ("relative/dir", Path("relative/dir")),
    ],
)
def test_a_location_is_a_directory_or_a_bucket_and_prefix(raw: str, expected: object) -> None:
    assert parse_backtest_location(raw, "MATS_BACKTEST_DIR") == expected


@pytest.mark.parametrize(
    "raw",
    ["gs://", "gs:///prefix", "gs://Upper", "gs://ab", "gs://-dash", "gs://a..b", "gs://b/x//y"],
)
def test_a_gs_url_without_a_valid_bucket_or_prefix_is_refused_naming_the_variable(
    raw: str,
) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings({"MATS_BACKTEST_DIR": raw}).backtest_location  # noqa: B018 - parsed on read.

    assert raised.value.field == "MATS_BACKTEST_DIR"


def test_a_bucket_name_longer_than_63_needs_dots() -> None:
    with pytest.raises(ValidationError):
        parse_backtest_location("gs://" + "a" * 64, "MATS_BACKTEST_DIR")
    dotted = "a" * 60 + "." + "b" * 10
    assert parse_backtest_location(f"gs://{dotted}", "x") == CloudStoragePrefix(dotted)


def test_the_services_read_a_directory_or_cloud_storage_and_none_when_unset(
    tmp_path: Path,
) -> None:
    def files(value: str | None) -> Any:
        env = {"GOOGLE_CLOUD_PROJECT": "demo"} | ({"MATS_BACKTEST_DIR": value} if value else {})
        return Services(Settings(env)).backtest_files

    assert files(None) is None
    assert isinstance(files(str(tmp_path)), DirectoryBacktestFiles)
    cloud = files("gs://demo-mats-backtests/nightly")
    assert isinstance(cloud, CloudStorageBacktestFiles)
    assert cloud.location == "gs://demo-mats-backtests/nightly/"


def test_a_directory_lists_its_csv_files_only_and_reads_them(tmp_path: Path) -> None:
    (tmp_path / "b.csv").write_text("b")
    (tmp_path / "a.csv").write_text("a")
    (tmp_path / "notes.txt").write_text("n")
    (tmp_path / "old.csv").mkdir()
    files = DirectoryBacktestFiles(tmp_path)

    assert files.names() == ["a.csv", "b.csv"]
    assert files.read("a.csv") == b"a"
    assert files.read("c.csv") is None
    with pytest.raises(ValidationError, match="is not a directory"):
        DirectoryBacktestFiles(tmp_path / "absent").names()


class RefusingClient:
    """Cloud Storage answering 403, as it does to an account without objectViewer."""

    def list_blobs(self, bucket: str, **_: Any) -> Any:
        raise google_errors.Forbidden("mats-optimizer does not have storage.objects.list access")


def test_an_account_that_may_not_read_the_bucket_fails_the_sync_saying_what_it_needs() -> None:
    files = CloudStorageBacktestFiles("demo-mats-backtests", client=RefusingClient())

    with pytest.raises(ValidationError) as raised:
        files.names()

    assert raised.value.field == "data_dir"
    assert "roles/storage.objectViewer on gs://demo-mats-backtests" in raised.value.message
    assert "storage.objects.list" in raised.value.message


def test_the_cli_takes_a_directory_that_exists_or_a_gs_location() -> None:
    from mats.cli.backtests import BacktestLocationParam  # noqa: PLC0415 - the CLI's own type.

    param = BacktestLocationParam()

    assert param.convert("gs://demo-mats-backtests/2026", None, None) == CloudStoragePrefix(
        "demo-mats-backtests", "2026/"
    )
    assert param.convert(".", None, None) == Path(".")
    for refused in ("gs://Not_A_Bucket", "./no-such-directory"):
        with pytest.raises(click.BadParameter):
            param.convert(refused, None, None)
