"""Scale-out on a Dask cluster: chunks sized to its threads, every worker busy, the same
bytes as a local sweep, other abm versions and unreadable replay files refused."""

import pytest

from abm.batch import run_sweep
from abm.batch.executors import DaskRunner
from abm.batch.run import package_version

distributed = pytest.importorskip("distributed")

GRID = {"exchange.penalty_rate": [0.005, 0.01, 0.02]}


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=3,
            threads_per_worker=1,
            processes=False,
            protocol="tcp://",
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as c,
    ):
        yield c


def test_every_worker_gets_work_and_the_bytes_match_the_local_run(tmp_path, small, client):
    opts = {"seeds": 4, "steps": 5, "overrides": small, "progress": False}
    run_sweep("calm", GRID, out=tmp_path / "local", **opts)
    with distributed.get_task_stream(client) as stream:
        remote = run_sweep("calm", GRID, out=tmp_path / "dask", dask=client, **opts)
    workers = {t["worker"] for t in stream.data}
    assert workers == set(client.nthreads())  # 12 runs in chunks of one: all three busy
    assert remote.executed == 12
    local_bytes = (tmp_path / "local" / "runs.parquet").read_bytes()
    assert (tmp_path / "dask" / "runs.parquet").read_bytes() == local_bytes


def test_a_worker_with_another_abm_version_is_refused(client):
    with pytest.raises(OSError, match=rf"runs abm {package_version()}, this sweep abm 9\.9\.9"):
        DaskRunner(client, "9.9.9")


def test_replay_files_every_worker_cannot_read_are_refused(client, tmp_path):
    runner = DaskRunner(client, package_version())
    readable = tmp_path / "prices.csv"
    readable.write_text("timestamp,close\n")
    runner.check_readable([str(readable)])
    with pytest.raises(OSError, match=r"cannot read /nonexistent/prices\.csv"):
        runner.check_readable(["/nonexistent/prices.csv"])
    runner.close(aborted=False)
