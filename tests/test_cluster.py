"""kg build --scheduler: the per-document stage on a real Dask cluster
(a LocalCluster on loopback) gives the same bytes as a local build."""
import pytest
from click.testing import CliRunner

from kg.cli import main
from tests.conftest import SEEDS

distributed = pytest.importorskip("distributed", reason="Dask distributed is not installed")


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as c:
        yield c


def test_a_cluster_build_equals_a_local_build(cluster, tmp_path):
    docs = [str(SEEDS / f) for f in ("003_69bc8e8bdc138787.txt", "004_2d191f5cd49d874e.txt")]
    local = CliRunner().invoke(main, ["build", *docs, "--out", str(tmp_path / "local"),
                                      "-w", "1", "-q"])
    remote = CliRunner().invoke(main, ["build", *docs, "--out", str(tmp_path / "remote"),
                                       "--scheduler", cluster.scheduler_address, "-q"])
    assert local.exit_code == 0 and remote.exit_code == 0, remote.output
    for f in ("graph.json", "graph.ttl", "graph.html"):
        assert (tmp_path / "local" / f).read_bytes() == (tmp_path / "remote" / f).read_bytes()


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path):
    res = CliRunner().invoke(main, ["build", str(SEEDS / "003_69bc8e8bdc138787.txt"),
                                    "--out", str(tmp_path / "o"), "--scheduler",
                                    "tcp://127.0.0.1:9", "--no-cache"])
    assert res.exit_code == 1 and "cannot reach the Dask scheduler" in res.output
