"""The demo target through the real Snakemake: lint, and a reduced end-to-end run. The dry runs of every
target: test_paper_targets.py."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from reduced_demo import reduced_demo_config

from lt_repro.report import health
from lt_repro.report.runs import load_runs

REPO = Path(__file__).resolve().parents[2]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]

pytestmark = pytest.mark.workflow


def snakemake(*args, cwd=REPO, check=True):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    res = subprocess.run([*SNAKEMAKE, *args], cwd=cwd, capture_output=True, text=True, env=env)
    if check and res.returncode != 0:
        pytest.fail(f"snakemake {' '.join(args)} failed ({res.returncode}):\n"
                    f"{res.stdout[-4000:]}\n{res.stderr[-4000:]}")
    return res


def job_counts(stdout: str) -> dict[str, int]:
    """The 'Job stats' table of a dry run: rule → count."""
    lines = stdout.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("Job stats"))
    counts = {}
    for line in lines[start + 3:]:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            break
        counts[parts[0]] = int(parts[1])
    return counts


# Every rule runs lt_repro with the interpreter Snakemake runs in (sys.executable: the project .venv, set up by
# scripts/setup.sh), so no rule declares a conda environment or container; the linter's request for one is the
# only lint allowed. environment.yml is for conda users who build that environment themselves.
SOFTWARE_LINT = "Specify a conda environment or container for each rule."


def test_lint_is_clean_but_for_the_software_environment():
    res = snakemake("--lint", check=False)
    out = res.stdout + res.stderr
    lints = re.findall(r"^ {4}\* (.+?):$", out, re.M)
    assert set(lints) <= {SOFTWARE_LINT}, out
    assert res.returncode == 0 or (lints and "Lints for rule train " in out), out  # it linted the workflow


def test_unknown_target_is_a_clear_error():
    res = snakemake("-n", "cbb", check=False)
    assert res.returncode != 0
    assert "cbb" in res.stdout + res.stderr


@pytest.mark.slow
def test_reduced_demo_end_to_end(tmp_path, mnist_root):
    data = tmp_path / "data"
    args = ["--cores", "2", "demo", *reduced_demo_config(tmp_path, mnist_root)]
    snakemake(*args)
    for loss in ("ce", "cdb"):
        run = tmp_path / "results/demo" / f"mnist-lt-r100_{loss}/seed-0"
        metrics = json.loads((run / "metrics.json").read_text())
        record = json.loads((run / "record.json").read_text())
        assert 0 <= metrics["top1_err_pct"] < 60, metrics
        assert len(metrics["per_class_acc_pct"]) == 10
        assert record["imbalance_ratio"] == 100 and record["loss"] == loss and record["seed"] == 0
        split = json.loads((data / "demo/mnist-lt-r100.split.json").read_text())
        assert record["train_count_per_class"] == split["train_counts"] == [600, 359, 215, 129, 77, 46, 27, 16, 10, 6]
        assert [h["epoch"] for h in record["history"]] == [1, 2]  # per-epoch loss and validation metrics
        assert all(h["train_loss"] > 0 for h in record["history"])
        assert all(len(h.get("cdb_weight") or []) == 10 for h in record["history"]) == (loss == "cdb")
    # the demo has no published numbers: its comparison is the header alone
    table = (tmp_path / "results/demo/comparison.tsv").read_text().splitlines()
    assert table == ["\t".join(["paper", "table", "dataset", "method", "metric", "published", "ours_mean",
                                 "ours_std", "n", "delta", "verdict"])]
    page = (tmp_path / "reports/demo.html").read_text()
    for loss in ("ce", "cdb"):
        metrics = tmp_path / f"results/demo/mnist-lt-r100_{loss}/seed-0/metrics.json"
        err = json.loads(metrics.read_text())["top1_err_pct"]
        flags = health.check_run(load_runs(tmp_path / "results", "demo")[f"mnist-lt-r100_{loss}"][0])
        if flags.ok:  # a healthy run is in the table; a flagged one (e.g. a class left at 0% after CDB weight 0)
            assert f"{err:.2f} (n=1)" in page  # is shown with its reason and not averaged
        else:
            assert f"⚑ seed 0: {', '.join(flags.reasons)}" in page and f"{err:.2f} (n=1)" not in page
        assert f"../results/demo/mnist-lt-r100_{loss}/seed-0/metrics.json" in page
    assert (tmp_path / "reports/img/demo_per_class_acc.png").stat().st_size > 1000
    assert 'id="run-health"' in page and 'id="cdb-weights"' in page  # flagged runs; CDB's weights per epoch
    assert (tmp_path / "reports/img/demo_cdb_weights.png").stat().st_size > 1000
    assert (tmp_path / "reports/index.html").exists()
    # a second run has nothing to do
    res = snakemake(*args, "-n")
    assert "Nothing to be done" in res.stdout + res.stderr


def test_a_placeholder_page_does_not_satisfy_a_paper_target(tmp_path):
    # rendering any page also writes placeholder pages for the others (so index links resolve)
    (tmp_path / "rep").mkdir()
    (tmp_path / "rep/cdb.html").write_text("<html>placeholder</html>")
    res = snakemake("-n", "cdb", "--config", f"results_root={tmp_path}/r", f"reports_root={tmp_path}/rep",
                    f"data_root={tmp_path}/d")
    counts = job_counts(res.stdout)
    assert counts["train"] >= 10 and counts["report_page"] == 1
