"""The cross-matrix targets through the real Snakemake (dry runs): every cell, where it runs, and the CPU part."""
import re

import pytest
from test_demo_workflow import job_counts, snakemake

pytestmark = pytest.mark.workflow

LOSSES = ["ce", "focal", "cb-softmax", "cb-sigmoid", "cb-focal", "seql", "seesaw", "cdb", "cdb-guarded"]


def _dirs(tmp_path):
    return ["--config", f"data_root={tmp_path}/d", f"results_root={tmp_path}/r", f"work_root={tmp_path}/w",
            f"reports_root={tmp_path}/rep"]


def test_matrix_lists_every_cell_and_the_gpu_ones(tmp_path):
    res = snakemake("-n", "matrix", *_dirs(tmp_path))
    assert job_counts(res.stdout)["train"] == 78
    trains = [j for j in res.stdout.split("\nrule ") if j.startswith("train:")]
    cells = {re.search(r"slug=(\w+), exp=(\S+), seed=(\d+)", j).groups(): int(re.search(r"gpu=(\d+)", j).group(1))
             for j in trains}
    cpu = {k for k, gpu in cells.items() if gpu == 0}
    # the CPU part: 9 losses x MNIST-LT and Fashion-MNIST-LT x 2 seeds
    assert cpu == {("matrix", f"{d}_{loss}", s) for d in ("mnist-lt-r100", "fashion-mnist-lt-r100") for loss in LOSSES
                   for s in ("0", "1")}
    gpu = {k: g for k, g in cells.items() if g}
    assert len(gpu) == 42  # 9 x CIFAR-10/100-LT and ImageNet-LT, 7 x iNat (no CDB), CB-focal x 2 MLT, DB grid's 6
    assert sum(1 for (slug, exp, _), g in gpu.items() if exp.startswith("inat2018_") and g == 8) == 7
    assert {exp.split("_", 1)[1] for slug, exp, _ in gpu if exp.startswith("inat2018_")} == set(LOSSES) - {
        "cdb", "cdb-guarded"}
    assert {(slug, exp) for slug, exp, _ in gpu if "mlt" in exp} == {
        ("db", f"{d}_{loss}") for d in ("coco-mlt", "voc-mlt") for loss in ("db-focal", "bce", "focal")} | {
        ("matrix", "coco-mlt_cb-focal"), ("matrix", "voc-mlt_cb-focal")}


def test_matrix_cpu_runs_only_the_cpu_part(tmp_path):
    res = snakemake("-n", "matrix_cpu", *_dirs(tmp_path))
    counts = job_counts(res.stdout)
    assert counts["train"] == 36 and counts["matrix_cpu_page"] == 1 and counts["fetch_fashion_mnist"] == 1
    assert counts["classification_split"] == 2 and "matrix_page" not in counts
