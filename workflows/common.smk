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
    exp=r"[A-Za-z0-9][A-Za-z0-9.+-]*(_[A-Za-z0-9][A-Za-z0-9.+-]*)+",  # e.g. imagenetlt_r10_cdb-ce
    seed=r"\d+",
    dataset=r"[A-Za-z0-9][A-Za-z0-9.+-]*",


def load_grid(path):
    """A paper's grid file: config, datasets and losses (see configs/demo/grid.yaml)."""
    grid = yaml.safe_load(Path(path).read_text())
    for key in ("config", "datasets", "losses"):
        if key not in grid:
            raise WorkflowError(f"{path}: missing key '{key}'; a grid needs config, datasets and losses")
    return grid


def run_dir(root, slug, exp, seed):
    return f"{root}/{slug}/{exp}/seed-{seed}"


def set_args(overrides):
    """Grid overrides as `--set key=value` arguments, values in Python literal syntax."""
    return " ".join(shlex.quote(f"{k}={v!r}") for k, v in overrides.items())


PAPER_RUNS = {slug: [] for slug in SLUGS}  # metrics.json files each paper target needs
EXPERIMENTS = {}  # (slug, exp) → spec; filled by the paper workflow files through register()


def register(slug, exp, *, command, inputs, gpu=0, cpus_per_gpu=0, threads=1, mem_mb=4000, runtime_min=60, seeds=(0,)):
    """Declare one experiment of a paper's grid; returns its metrics.json paths (one per seed).

    ``command(wildcards, out_dir)`` returns the shell command that trains and writes
    out_dir/metrics.json and out_dir/record.json. Runtime grows with the attempt number, so a
    retry after a time-out asks for more.
    """
    if (slug, exp) in EXPERIMENTS:
        raise WorkflowError(f"experiment {slug}/{exp} is registered twice")
    EXPERIMENTS[(slug, exp)] = dict(command=command, inputs=inputs, gpu=gpu, cpus_per_gpu=cpus_per_gpu,
                                    threads=threads, mem_mb=mem_mb, runtime_min=runtime_min)
    return [f"{RESULTS}/{slug}/{exp}/seed-{s}/metrics.json" for s in seeds]


def spec_of(wc):
    try:
        return EXPERIMENTS[(wc.slug, wc.exp)]
    except KeyError:
        known = sorted(e for s, e in EXPERIMENTS if s == wc.slug)
        raise WorkflowError(f"no experiment '{wc.exp}' in paper '{wc.slug}'; known: {known[:20]}") from None


def train_command(config, *, slug, overrides, meta, launcher_gpus=0):
    """Shell command for lt_repro.train; with GPUs it runs under torchrun, one process per GPU."""
    def command(wc, out_dir):
        work = run_dir(WORK, slug, wc.exp, wc.seed)
        launch = (f"{PY} -m torch.distributed.run --standalone --nproc-per-node {launcher_gpus} -m lt_repro.train"
                  if launcher_gpus > 1 else f"{PY} -m lt_repro.train")
        extra = " --launcher pytorch" if launcher_gpus > 1 else ""
        return (f"{launch} {config} --work-dir {work} --out-dir {out_dir} --seed {wc.seed} --slug {slug} "
                f"--exp {wc.exp} --threads {config_threads()} --meta {shlex.quote(json.dumps(meta))}{extra} "
                f"--set {set_args(overrides)}")
    return command


def config_threads():
    return config.get("threads_per_cpu_job", 1)


def register_demo_grid(grid, mnist_files):
    """Register every dataset × loss of the demo grid; return the metrics.json paths."""
    runs = []
    for dataset, spec in grid["datasets"].items():
        split = f"{DATA}/demo/{dataset}.split.json"
        data = {f"{part}_dataloader.dataset.{key}": value for part in ("train", "val", "test")
                for key, value in (("split_file", split), ("root", f"{DATA}/mnist"))}
        for loss, overrides in grid["losses"].items():
            meta = {"dataset": dataset, "loss": loss, "imbalance_ratio": spec["rho"], "backbone": "SmallCNN"}
            runs += register(
                "demo", f"{dataset}_{loss}",
                command=train_command(grid["config"], slug="demo",
                                      overrides={**data, **grid.get("overrides", {}), **overrides}, meta=meta),
                inputs={"config": grid["config"], "split": split, "mnist": mnist_files},
                threads=config_threads(), mem_mb=3000, runtime_min=30, seeds=config["demo"]["seeds"],
            )
    return runs


def runs_of(slug):
    """The metrics.json files a paper's (or the demo's) comparison joins."""
    return DEMO_RUNS if slug == "demo" else PAPER_RUNS.get(slug, [])
