"""The reduced demo through `snakemake --profile slurm` on the real local SLURM: every training
job is an sbatch job (its record.json holds SLURM_JOB_ID), GPU requests reach SLURM as gres, and
the results equal a local run's."""
import json
import subprocess
import sys

import pytest
from reduced_demo import REPO, reduced_demo_config

pytestmark = [pytest.mark.workflow, pytest.mark.slow]


def metrics_of(tmp):
    runs = sorted((tmp / "results/demo").glob("*/seed-*/metrics.json"))
    return {p.parent.parent.name: json.loads(p.read_text()) for p in runs}


def test_reduced_demo_on_slurm_equals_local(slurm_cluster, mnist_root, tmp_path):
    cluster_args = reduced_demo_config(tmp_path / "slurm", mnist_root)
    # ask for a GPU for every training job: the fake GPUs are scheduled, the job trains on the CPU
    slurm_cluster.snakemake(REPO, "demo", *cluster_args, "--set-resources", "train:gpu=1", timeout=900)
    records = sorted((tmp_path / "slurm/results/demo").glob("*/seed-*/record.json"))
    assert len(records) == 2
    job_ids = [json.loads(r.read_text())["slurm_job_id"] for r in records]
    assert all(j and j.isdigit() for j in job_ids) and len(set(job_ids)) == 2, job_ids
    for job in job_ids:  # finished jobs stay in slurmctld's memory for MinJobAge (300 s)
        shown = slurm_cluster.run("scontrol", "show", "job", job).stdout
        assert "JobState=COMPLETED" in shown and "gres:gpu:1" in shown, shown

    local_args = reduced_demo_config(tmp_path / "local", mnist_root)
    subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "demo", *local_args],
                   cwd=REPO, check=True, capture_output=True)
    slurm, local = metrics_of(tmp_path / "slurm"), metrics_of(tmp_path / "local")
    assert slurm.keys() == local.keys() == {"mnist-lt-r100_ce", "mnist-lt-r100_cdb"}
    for exp in slurm:
        for key in ("top1_err_pct", "per_class_acc_pct", "best_val/top1_err_pct"):
            assert slurm[exp][key] == local[exp][key], (exp, key)
