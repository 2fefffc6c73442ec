# Helpers shared by every workflow file: paths, grids and resources. No rules here.
import json
import shlex
import sys
from pathlib import Path

import yaml

SLUGS = ["cb", "eql", "seesaw", "db", "cdb"]
DATA = config["data_root"]
RESULTS = config["results_root"]
WORK = config["work_root"]
REPORTS = config["reports_root"]
PY = sys.executable  # the environment Snakemake runs in (the project .venv)


wildcard_constraints:
    # path pieces built from wildcards stay inside results/, work_dirs/ and data/
    slug=r"[a-z0-9]+",
    exp=r"[A-Za-z0-9][A-Za-z0-9.+-]*_[A-Za-z0-9][A-Za-z0-9.+-]*",
    seed=r"\d+",
    dataset=r"[A-Za-z0-9][A-Za-z0-9.+-]*",


def load_grid(path):
    """A paper's grid file: config, datasets and losses (see configs/demo/grid.yaml)."""
    grid = yaml.safe_load(Path(path).read_text())
    for key in ("config", "datasets", "losses"):
        if key not in grid:
            raise WorkflowError(f"{path}: missing key '{key}'; a grid needs config, datasets and losses")
    return grid


def experiments(grid):
    return [f"{d}_{l}" for d in grid["datasets"] for l in grid["losses"]]


def split_exp(exp):
    dataset, loss = exp.split("_", 1)
    return dataset, loss


def run_dir(root, slug, exp, seed):
    return f"{root}/{slug}/{exp}/seed-{seed}"


def set_args(overrides):
    """Grid overrides as `--set key=value` arguments, values in Python literal syntax."""
    return " ".join(shlex.quote(f"{k}={v!r}") for k, v in overrides.items())


def runtime_min(base):
    """Runtime in minutes that grows with the attempt, so a retry after a time-out gets more."""
    return lambda wildcards, attempt: base * attempt
