"""Dry runs of the classification grids through the real Snakemake: job counts and GPU resources."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("snakemake")
REPO = Path(__file__).resolve().parents[2]


def dry_run(tmp_path, target, snakefile=None, *extra):
    cmd = [sys.executable, "-m", "snakemake", "-n", *extra, target, "--config", f"results_root={tmp_path}/r",
           f"data_root={tmp_path}/d", f"work_root={tmp_path}/w", f"reports_root={tmp_path}/rep"]
    if snakefile:
        cmd[3:3] = ["-s", str(snakefile)]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    res = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return res.stdout


def job_counts(out):
    block = out[out.index("Job stats"):].splitlines()[3:]
    return {p[0]: int(p[1]) for p in (l.split() for l in block) if len(p) == 2 and p[1].isdigit()}


def train_resources(out):
    """exp → resources line of its train job."""
    res = {}
    for block in out.split("rule train:")[1:]:
        exp = re.search(r"exp=([^,\s]+)", block).group(1)
        res[exp] = dict(kv.split("=") for kv in re.search(r"resources: (.*)", block).group(1).split(", "))
    return res


def test_cb_grid(tmp_path):
    out = dry_run(tmp_path, "cb", None, "-p")
    counts = job_counts(out)
    # CIFAR: 2 datasets × 5 ρ × 8 losses + the balanced sets (ρ = 1) × 5 plain losses; ILSVRC / iNat17 / iNat18
    # × ResNet-50/101/152 × 3 (softmax, CB focal at 224 px and at 320 px)
    assert counts["train"] == 80 + 10 + 27
    assert counts["classification_split"] == 12 + 3 and counts["fetch_cifar10"] == counts["fetch_cifar100"] == 1
    res = train_resources(out)
    assert res["cifar10lt-r200_cb-focal"]["gpu"] == "1" and res["cifar100lt-r10_softmax"]["cpus_per_gpu"] == "4"
    assert res["inat2018_resnet152_cb-focal"]["gpu"] == "8" and int(res["ilsvrc2012_resnet50_softmax"]["runtime"]) >= 1440
    # the paper's per-column β, γ reach the command line of that cell only
    cmd = next(b for b in out.split("rule train:")[1:] if "exp=cifar100lt-r20_cb-focal," in b)
    assert re.search(r"model\.loss\.beta=0\.99\s", cmd) and re.search(r"model\.loss\.gamma=0\.5\s", cmd)
    cmd = next(b for b in out.split("rule train:")[1:] if "exp=inat2017_resnet101_cb-focal-320," in b)
    assert re.search(r"train_dataloader\.dataset\.image_size=320\s", cmd)
    assert re.search(r"test_dataloader\.dataset\.image_size=320\s", cmd)
    cmd = next(b for b in out.split("rule train:")[1:] if "exp=cifar100lt-r20_cb-sigmoid," in b)
    assert "model.loss.beta=" not in cmd and "beta'\"'\"': 0.9999" in cmd
    assert {f"cifar{c}lt-r{r}_{l}" for c in (10, 100) for r in (200, 100, 50, 20, 10) for l in
            ("softmax", "sigmoid", "focal", "focal-g0.5", "focal-g2.0", "cb-softmax", "cb-sigmoid", "cb-focal")} <= set(res)
    assert {k for k in res if "-r1_" in k} == {f"cifar{c}lt-r1_{l}" for c in (10, 100) for l in
                                              ("softmax", "sigmoid", "focal-g0.5", "focal", "focal-g2.0")}
    cmd = next(b for b in out.split("rule train:")[1:] if "exp=cifar10lt-r20_focal-g2.0," in b)
    assert re.search(r"LTFocalLoss\W+(\w+\W+)*gamma\W+2\.0\W", cmd)


def test_cdb_grid(tmp_path):
    out = dry_run(tmp_path, "cdb")
    counts = job_counts(out)
    assert counts["train"] == 5 * 2 + 2 and counts["classification_split"] == 6
    assert counts["fetch_imagenet_lt_lists"] == 1
    res = train_resources(out)
    assert {"cifar100lt-r10_cdb-ce", "cifar100lt-r100_cdb-ce", "imagenetlt_r10_cdb-ce"} <= set(res)
    assert all(r["gpu"] == "1" for r in res.values())


@pytest.mark.parametrize("slug,grid,n_train,gpus", [("eql", "configs/eql/cls_grid.yaml", 4, {"1", "8"}),
                                                    ("seesaw", "configs/seesaw/cls_grid.yaml", 2, {"8"})])
def test_eql_and_seesaw_classification_grids(tmp_path, slug, grid, n_train, gpus):
    """The one line a paper's workflow adds to register a classification grid, in a Snakefile of its own."""
    snakefile = tmp_path / "Snakefile"
    snakefile.write_text(
        f'configfile: "{REPO}/configs/workflow.yaml"\n'
        f'include: "{REPO}/workflows/common.smk"\ninclude: "{REPO}/workflows/train.smk"\n'
        f'include: "{REPO}/workflows/classification.smk"\ninclude: "{REPO}/workflows/classification_data.smk"\n'
        f'PAPER_RUNS["{slug}"] += register_classification_grid("{slug}", "{grid}")\n'
        f'rule target:\n    input: PAPER_RUNS["{slug}"]\n')
    out = dry_run(tmp_path, "target", snakefile)
    assert job_counts(out)["train"] == n_train
    assert {r["gpu"] for r in train_resources(out).values()} == gpus


def test_split_of_user_provided_data_fails_clearly(tmp_path):
    """ImageNet / iNat are not Snakemake inputs; the split job names the missing file and the layout."""
    res = subprocess.run([sys.executable, "-m", "lt_repro.data", "split", "imagenet-lt", "--root", str(tmp_path),
                          "--out", str(tmp_path / "s.json")], cwd=REPO, capture_output=True, text=True)
    assert res.returncode == 2 and "ImageNet_LT_train.txt is missing. Expected layout" in res.stderr
