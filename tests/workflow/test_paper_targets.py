"""Each paper target through the real Snakemake (dry runs): the jobs per rule, and a misspelled key in a grid
or in the workflow config stops the workflow with the file, the key and a "did you mean"."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("snakemake")
pytestmark = pytest.mark.workflow
REPO = Path(__file__).resolve().parents[2]

# jobs per rule of `snakemake -n <target>` with empty data/results/work roots (unchanged by the move of grid
# expansion into lt_repro.grid); a grid that adds or removes cells changes them
EXPECTED = {
    "cb": {"fetch_cifar10": 1, "fetch_cifar100": 1, "classification_split": 15, "train": 117},
    "cdb": {"fetch_cifar100": 1, "fetch_imagenet_lt_lists": 1, "fetch_egtea_lists": 1, "egtea_frames": 3,
            "classification_split": 6 + 1, "train": 12 + 7},  # CIFAR-100-LT and ImageNet-LT, EGTEA
    "eql": {"fetch_cifar100": 1, "fetch_imagenet_lt_lists": 1, "classification_split": 2, "coco_images": 1,
            "lvis_annotations": 1, "train": 4 + 12},  # CIFAR-100-LT and ImageNet-LT, LVIS v0.5
    "seesaw": {"fetch_imagenet_lt_lists": 1, "classification_split": 1, "coco_images": 1, "lvis_annotations": 1,
               "train": 2 + 2 + 12 + 2},  # ImageNet-LT end to end and decoupled, LVIS v1, the CE baselines
    "db": {"coco_images": 1, "fetch_coco_mlt": 1, "fetch_voc_mlt": 1, "fetch_resnet50_imagenet": 1,
           "classification_split": 2, "train": 6},
    "demo": {"demo_mnist": 1, "demo_split": 2, "train": 6 * 2 * 2},
    "seesaw_zoo": {"coco_images": 1, "lvis_annotations": 1, "zoo_checkpoint": 12, "train": 12},
}


def snakemake(tmp_path, *targets, config=(), cwd=REPO):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           "TORCH_HOME": str(tmp_path / "torch")}  # DB's backbone weights: not cached here
    roots = [f"{k}_root={tmp_path}/{k}" for k in ("data", "results", "work", "reports")]
    return subprocess.run([sys.executable, "-m", "snakemake", "-n", *targets, "--config", *roots, *config],
                          cwd=cwd, capture_output=True, text=True, env=env, timeout=600)


def job_counts(out: str) -> dict[str, int]:
    """The 'Job stats' table of a dry run: rule -> count."""
    table = out.split("Job stats:")[1].split("\n\n")[0]
    return {rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)$", table, re.M)}


@pytest.mark.parametrize("target", EXPECTED)
def test_dry_run_job_counts(tmp_path, target):
    res = snakemake(tmp_path, target)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    counts = job_counts(res.stdout)
    report = {} if target == "seesaw_zoo" else {"compare": 1, "report_page": 1}
    expected = {**EXPECTED[target], **report, target: 1}
    assert counts == {**expected, "total": sum(expected.values())}


def test_decoupled_cell_needs_its_stage1_run(tmp_path):
    """A stage-2 cell's job depends on the stage-1 cell its grid names (`from`), all seeds."""
    from lt_repro import grid as lt_grid

    grid = lt_grid.load_grid(REPO / "configs/seesaw/cls_grid.yaml")
    cell = next(e for e in lt_grid.experiments(grid, slug="seesaw") if e.stage1)
    res = snakemake(tmp_path, f"{tmp_path}/results/seesaw/{cell.name}/seed-{cell.seeds[0]}/metrics.json")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert job_counts(res.stdout)["train"] == 1 + len(cell.seeds)
    assert f"results/seesaw/{cell.stage1}/seed-{cell.seeds[0]}/metrics.json" in res.stdout


def copy_workflow(dst: Path) -> Path:
    dst.mkdir()
    for name in ("Snakefile", "workflows", "configs"):
        (shutil.copytree if (REPO / name).is_dir() else shutil.copy)(REPO / name, dst / name)
    return dst


def test_misspelled_grid_key_stops_the_workflow(tmp_path):
    tree = copy_workflow(tmp_path / "tree")
    grid = tree / "configs/cb/grid.yaml"
    text = grid.read_text()
    assert "loss_overrides:" in text
    grid.write_text(text.replace("loss_overrides:", "loss_overides:", 1))
    res = snakemake(tmp_path, "cb", cwd=tree)
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert "configs/cb/grid.yaml" in out and "unknown key 'loss_overides' under 'datasets." in out
    assert "did you mean 'loss_overrides'?" in out


def test_misspelled_workflow_config_key_stops_the_workflow(tmp_path):
    res = snakemake(tmp_path, "demo", config=["threads_per_cpu_jobs=2"])
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert "configs/workflow.yaml" in out and "unknown key 'threads_per_cpu_jobs'" in out
    assert "did you mean 'threads_per_cpu_job'?" in out
