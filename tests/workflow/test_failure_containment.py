"""A failing run does not stop the others (--keep-going), loses nothing, and a rerun redoes only
what is missing. Wildcards cannot build paths outside results/."""
import json
import subprocess
import sys

import pytest
import yaml
from reduced_demo import REPO, reduced_demo_config

pytestmark = [pytest.mark.workflow, pytest.mark.slow]


def snakemake(*args):
    return subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=REPO, capture_output=True, text=True)


def test_keep_going_then_rerun_only_the_failed_run(tmp_path, mnist_root):
    args = reduced_demo_config(tmp_path, mnist_root)
    grid_file = tmp_path / "grid.yaml"
    grid = yaml.safe_load(grid_file.read_text())
    good = grid["losses"]["ce"]
    grid["losses"] = {"ce": good, "typo": {"model.loss": {"type": "LTCDBLoss", "num_classes": 10, "tua": 1.0}}}
    grid_file.write_text(yaml.safe_dump(grid))

    res = snakemake("--cores", "2", "--keep-going", "demo", *args)
    assert res.returncode != 0
    ok = tmp_path / "results/demo/mnist-lt-r100_ce/seed-0/metrics.json"
    assert json.loads(ok.read_text())["top1_err_pct"] >= 0  # the other run finished
    log = (tmp_path / "work/logs/demo/mnist-lt-r100_typo/seed-0.log").read_text()
    assert "LTCDBLoss has no argument 'tua'" in log and "'tau'" in log
    assert not (tmp_path / "results/demo/mnist-lt-r100_typo").exists()
    finished = ok.stat().st_mtime_ns

    grid["losses"]["typo"]["model.loss"] = {"type": "LTCDBLoss", "num_classes": 10, "tau": 1.0}
    grid_file.write_text(yaml.safe_dump(grid))
    plan = snakemake("-n", "demo", *args)
    assert "exp=mnist-lt-r100_typo" in plan.stdout and "exp=mnist-lt-r100_ce" not in plan.stdout, plan.stdout
    res = snakemake("--cores", "2", "demo", *args)
    assert res.returncode == 0, res.stderr[-3000:]
    assert ok.stat().st_mtime_ns == finished  # untouched
    assert (tmp_path / "results/demo/mnist-lt-r100_typo/seed-0/metrics.json").exists()


@pytest.mark.parametrize("target", ["results/demo/a/b_c/seed-0/metrics.json",
                                    "results/demo/../x_y/seed-0/metrics.json"])
def test_wildcards_cannot_leave_the_results_tree(target):
    res = snakemake("-n", target)
    assert res.returncode != 0 and "MissingRuleException" in res.stdout + res.stderr
