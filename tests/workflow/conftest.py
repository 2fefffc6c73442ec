import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from slurm_cluster import slurm_cluster as _start_slurm_cluster, unavailable_reason  # noqa: E402


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory):
    """A real single-node SLURM (2 fake GPUs) for the whole session; see slurm_cluster.py.

    Use ``slurm_cluster.env()`` as the environment and ``slurm_cluster.snakemake_args()`` after
    ``--profile profiles/slurm`` (or call ``slurm_cluster.snakemake(workdir, target)``).
    Skipped where SLURM/munge are missing or we are not root; under CI=true that is a failure.
    """
    reason = unavailable_reason()
    if reason:
        if _in_ci():
            pytest.fail(f"{reason} (CI is set: the workflow tests must run there)")
        pytest.skip(reason)
    with _start_slurm_cluster(tmp_path_factory.mktemp("slurm")) as cluster:
        yield cluster
