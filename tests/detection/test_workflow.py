"""Dry runs of the detection grids: job counts, 8-GPU resources and the torchrun command line."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
def dry_run(tmp_path, target):
    exe = Path(sys.executable).with_name("snakemake")
    proc = subprocess.run([str(exe), "-n", "-p", "--snakefile", str(REPO / "Snakefile"), "-d", str(REPO), target],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout + proc.stderr
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", out.split("Job stats:")[1].split("\n\n")[0], re.M))
    return out, {k: int(v) for k, v in counts.items()}


def _train_jobs(out):
    """Each train job's text, up to the blank line that ends it."""
    return [block.split("\n\n")[0] for block in out.split("rule train:")[1:]]


@pytest.mark.slow
@pytest.mark.parametrize("target,n_train,model", [("seesaw", 14, "lvis-v1_"), ("eql", 12, "lvis-v05_")])
def test_dry_run(tmp_path, target, n_train, model):
    out, counts = dry_run(tmp_path, target)
    # other workflow files may add non-LVIS cells (ImageNet-LT, CIFAR-LT) to the same paper target
    assert counts["train"] >= n_train and counts["lvis_annotations"] == 1 and counts["coco_images"] == 1
    jobs = [j for j in _train_jobs(out) if f"exp={model}" in j]
    assert len(jobs) == n_train
    for job in jobs:
        assert "gpu=8," in job and "cpus_per_gpu=4" in job
        assert "torch.distributed.run --standalone --nproc-per-node 8 -m lt_repro.detect" in job
        assert "--launcher pytorch" in job
    if target == "seesaw":
        random_jobs = [j for j in jobs if "_random" in j.split("wildcards:")[1].split("\n")[0]]
        assert len(random_jobs) == 6 and all("lvis-v1-random.py" in j for j in random_jobs)
        assert sum("-1x_ce_rfs, seed=" in j for j in jobs) == 2


@pytest.mark.slow
def test_zoo_dry_run(tmp_path):
    out, counts = dry_run(tmp_path, "seesaw_zoo")
    assert counts["zoo_checkpoint"] == 12 and counts["train"] == 12
    assert out.count("--eval-only data/checkpoints/") == 12
