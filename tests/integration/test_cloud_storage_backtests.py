"""Backtest syncs from Cloud Storage, against a real emulator (``gcp-storage-emulator``, its own
process on loopback; Google's client reaches it through ``STORAGE_EMULATOR_HOST``): the objects
directly under the prefix are the files, a sync stores what they hold, a missing bucket fails the
job naming it, and a store that cannot be reached is a temporary error (Pub/Sub redelivers)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mats.adapters.cloud_storage import CloudStorageBacktestFiles
from mats.bootstrap import Services
from mats.domain.optimization import JobStatus
from mats.errors import TemporaryError
from mats.localstack.probes import free_port, http_ready
from mats.settings import Settings
from tests.integration.trading import until
from tests.unit.services.test_portfolio import World, write_backtest

pytestmark = pytest.mark.integration

BUCKET = "mats-backtests-test"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = (tmp_path_factory.mktemp("gcs") / "emulator.log").open("w")
    command = [sys.executable, "-m", "gcp_storage_emulator", "start", "--host", "127.0.0.1"]
    process = subprocess.Popen(
        [*command, "--port", str(port), "--in-memory", "--default-bucket", BUCKET],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        until(http_ready(f"http://127.0.0.1:{port}/"), 30, "the storage emulator")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture
def bucket(emulator: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The emulator's bucket, emptied after each test; every client made meanwhile uses it."""
    from google.cloud import storage  # noqa: PLC0415 - after STORAGE_EMULATOR_HOST is set.

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emulator)
    found = storage.Client(project="demo-backtests").bucket(BUCKET)
    yield found
    for blob in found.list_blobs():
        blob.delete()


def upload(bucket: Any, directory: Path, prefix: str) -> None:
    for path in sorted(directory.iterdir()):
        bucket.blob(prefix + path.name).upload_from_filename(str(path))


def test_the_files_are_the_csv_objects_directly_under_the_prefix(bucket: Any) -> None:
    for name in ("nightly/a.csv", "nightly/metadata.csv", "nightly/notes.txt"):
        bucket.blob(name).upload_from_string(f"{name}\n")
    bucket.blob("nightly/old/b.csv").upload_from_string("older\n")
    bucket.blob("other/c.csv").upload_from_string("elsewhere\n")
    files = CloudStorageBacktestFiles(BUCKET, "nightly/")

    assert files.names() == ["a.csv", "metadata.csv"]
    assert files.read("a.csv") == b"nightly/a.csv\n"
    assert files.read("b.csv") is None
    assert files.location == f"gs://{BUCKET}/nightly/"


def test_a_sync_reads_the_location_mats_backtest_dir_names(bucket: Any, tmp_path: Path) -> None:
    world = World(tmp_path / "local")
    world.data_dir.mkdir()
    world.strategy("alpha")
    world.strategy("beta")
    write_backtest(world.data_dir, "alpha", 0.001, 1)
    write_backtest(world.data_dir, "beta", 0.0005, 2)
    (world.data_dir / "metadata.csv").write_text(
        "strategy_id,margin_per_unit,currency\nalpha,5000,USD\n"
    )
    upload(bucket, world.data_dir, "2026-12/")
    settings = Settings(
        {"GOOGLE_CLOUD_PROJECT": "demo-backtests", "MATS_BACKTEST_DIR": f"gs://{BUCKET}/2026-12"}
    )
    files = Services(settings).backtest_files

    job = world.backtests.start_sync([], requested_by="admin")
    finished = world.backtests.run_job(job.job_id, files)

    assert isinstance(files, CloudStorageBacktestFiles)
    assert finished.status is JobStatus.COMPLETED, finished.error
    assert finished.results == {"alpha": "stored", "beta": "stored"}
    local = World(tmp_path / "local")
    local.strategy("alpha")
    local.strategy("beta")
    local.backtests.ingest(local.files)
    for strategy_id in ("alpha", "beta"):
        assert world.store.backtests[strategy_id].summary.statistics == (
            local.store.backtests[strategy_id].summary.statistics
        ), "the same figures as from the same files in a directory"
    assert str(world.store.backtests["alpha"].summary.margin_per_unit) == "5000"


def test_a_sync_from_a_bucket_that_does_not_exist_fails_naming_it(
    bucket: Any, tmp_path: Path
) -> None:
    world = World(tmp_path)
    world.strategy("alpha")
    job = world.backtests.start_sync([], requested_by="admin")

    finished = world.backtests.run_job(job.job_id, CloudStorageBacktestFiles("no-such-bucket"))

    assert finished.status is JobStatus.FAILED
    assert finished.error == "data_dir: gs://no-such-bucket/: no such bucket"


def test_a_store_that_cannot_be_reached_is_a_temporary_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{free_port()}")
    world = World(tmp_path)
    world.strategy("alpha")
    job = world.backtests.start_sync([], requested_by="admin")
    files = CloudStorageBacktestFiles(BUCKET, retry_seconds=1)

    with pytest.raises(TemporaryError, match=f"gs://{BUCKET}/ cannot be reached"):
        world.backtests.run_job(job.job_id, files)

    assert world.backtests.job(job.job_id).status is JobStatus.RUNNING, "delivered again, rerun"
