"""The LVIS cells of workflows/seesaw.smk and eql.smk (tables there, not grid files) through the real Snakemake
(dry runs): each is one 8-GPU lt_repro.detect job on the config of its cell. The command itself is rendered by
lt_repro.grid.command (tests/test_grid.py); the job counts per target: tests/workflow/test_paper_targets.py."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("snakemake")
pytestmark = [pytest.mark.workflow, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]


def train_jobs(tmp_path, target):
    """exp -> the text of its train job in `snakemake -n -p <target>`."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    roots = [f"{k}_root={tmp_path}/{k}" for k in ("data", "results", "work", "reports")]
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "-p", target, "--config", *roots], cwd=REPO,
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    jobs = [block.split("\n\n")[0] for block in proc.stdout.split("rule train:")[1:]]
    return {re.search(r"exp=([^,\s]+)", j).group(1): j for j in jobs}


@pytest.mark.parametrize("target,prefix,n", [("seesaw", "lvis-v1_", 14), ("eql", "lvis-v05_", 12)])
def test_lvis_cells(tmp_path, target, prefix, n):
    jobs = {exp: j for exp, j in train_jobs(tmp_path, target).items() if exp.startswith(prefix)}
    assert len(jobs) == n
    for exp, job in jobs.items():
        assert "gpu=8," in job and "cpus_per_gpu=4" in job
        assert "--nproc-per-node 8 -m lt_repro.detect configs/" in job and "--eval-only" not in job
        config = re.search(r"lt_repro\.detect (\S+)", job).group(1)
        sampler = "rfs" if "_rfs" in exp else "random"
        assert config.endswith(f"-{sampler}.py") and Path(REPO / config).is_file()
        wrapped = "train_dataloader.dataset.dataset.data_root" in job  # RFS wraps the train set
        assert wrapped == (sampler == "rfs")
    if target == "seesaw":
        assert sum("_random" in exp for exp in jobs) == 6 and sum("-1x_ce_rfs" in exp for exp in jobs) == 2
        assert sum("normed-mask" in exp for exp in jobs) == 6
    else:
        assert sum("-paper_" in exp for exp in jobs) == 6


def test_zoo_cells_evaluate_the_released_weights(tmp_path):
    jobs = train_jobs(tmp_path, "seesaw_zoo")
    assert len(jobs) == 12 and all("_seesaw-zoo_" in exp for exp in jobs)
    for exp, job in jobs.items():
        weights = re.search(r"--eval-only (\S+)", job).group(1)
        assert weights.startswith(f"{tmp_path}/data/checkpoints/") and weights in job.split("output:")[0]  # an input
        sampler = "rfs" if "_rfs" in exp else "random"
        assert ("_sample1e-3_" in weights) == (sampler == "rfs") and ("normed_mask" in weights) == ("normed" in exp)
