"""Experiment grids: load and validate a grid file, expand it into experiments, and render each
experiment's training command. Pure Python (no Snakemake, no torch); the workflow files only
register what `experiments` returns.

A paper's grid (configs/<slug>/grid*.yaml, cls_grid.yaml; schema workflows/schemas/grid.schema.yaml)
is datasets x backbones x losses, each cell trained with every seed. A cell's `--set` overrides are
applied in this order, later ones winning: data (split file, data root, source), the grid's
`overrides`, the dataset's `overrides`, the backbone's, the loss's, and the dataset's
`loss_overrides` of that loss. The grid's optional `decoupled` section adds stage-2 cells
`<exp>-decoupled`: the stage-2 loss on the decoupled config, started from `checkpoint` of the stage-1
cell each names (`from`; the list form means the same loss).
The demo grid (configs/demo/grid.yaml; demo_grid.schema.yaml) is datasets x losses on MNIST.
"""
from __future__ import annotations

import difflib
import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import yaml

SCHEMAS = Path(__file__).resolve().parents[1] / "workflows" / "schemas"
DEFAULT_EXP = "{dataset}_{loss}"
DEFAULT_PARTS = ("train", "test")
# data source of a grid's dataset -> its folder under the data root (the split rule's --root)
SOURCE_DIRS = {"mnist": "mnist", "fashion-mnist": "fashion-mnist",
               "cifar10": "cifar", "cifar100": "cifar", "imagenet-lt": "imagenet", "imagenet": "imagenet",
               "inat2017": "inat2017", "inat2018": "inat2018", "coco-mlt": "coco", "voc-mlt": "voc-mlt",
               "egtea": "egtea"}


class ConfigError(ValueError):
    """A grid or workflow config that does not fit its schema or names something undefined; the message
    names the file, the key and the fix."""


def validate(data, schema: str | Path, where: str) -> None:
    """Check `data` against a schema file; raise ConfigError listing every error, each with its key path
    and, for an unknown key, the closest allowed one ("did you mean")."""
    schema_path = Path(schema)
    spec = yaml.safe_load(schema_path.read_text())
    errors = sorted(jsonschema.Draft202012Validator(spec).iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [line for e in errors for line in _describe(e)]
        raise ConfigError(f"{where} does not match {schema_path.name}:\n" + "\n".join(f"  - {l}" for l in lines))


def _describe(error: jsonschema.ValidationError) -> list[str]:
    at = ".".join(str(p) for p in error.absolute_path)
    where = f"under '{at}'" if at else "at the top level"
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = list(error.schema.get("properties", {}))
        unknown = [k for k in error.instance if k not in allowed]
        return [f"unknown key '{k}' {where}; " + _did_you_mean(k, allowed) for k in unknown]
    if error.validator == "required":
        return [f"{where}: {error.message}"]
    if "propertyNames" in error.schema_path:
        return [f"{where}: the key {error.instance!r} is not a valid name ({error.message})"]
    return [f"{where}: {error.message}"]


def _did_you_mean(key: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(allowed)}"


def _load(path: str | Path, schema: str) -> dict:
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"{path}: cannot read the grid: {e}") from None
    validate(data, SCHEMAS / schema, str(path))
    return data


# ---- grids ----

@dataclass(frozen=True)
class Decoupled:
    config: str
    checkpoint: str
    resources: dict
    cells: dict  # dataset -> {stage-2 loss: stage-1 loss}


@dataclass(frozen=True)
class Grid:
    """A validated paper grid (see the module docstring and grid.schema.yaml)."""
    path: str
    config: str
    datasets: dict
    losses: dict
    exp: str = DEFAULT_EXP
    parts: tuple = DEFAULT_PARTS
    seeds: tuple = (0,)
    resources: dict = field(default_factory=dict)
    overrides: dict = field(default_factory=dict)
    backbone: str | None = None
    backbones: dict | None = None
    decoupled: Decoupled | None = None


def load_grid(path: str | Path) -> Grid:
    """Read a paper grid, validate it against grid.schema.yaml and check its cross-references
    (a dataset's losses, loss_overrides and decoupled cells name losses of the grid; known sources)."""
    d = _load(path, "grid.schema.yaml")
    dec = d.get("decoupled")
    if dec is not None:
        cells = {ds: ({loss: loss for loss in losses} if isinstance(losses, list)
                      else {loss: cell["from"] for loss, cell in losses.items()})
                 for ds, losses in dec["cells"].items()}
        dec = Decoupled(dec["config"], dec["checkpoint"], dec.get("resources", {}), cells)
    grid = Grid(path=str(path), config=d["config"], datasets=d["datasets"], losses=d["losses"],
                exp=d.get("exp", DEFAULT_EXP), parts=tuple(d.get("parts", DEFAULT_PARTS)),
                seeds=tuple(d.get("seeds", (0,))), resources=d.get("resources", {}),
                overrides=d.get("overrides", {}), backbone=d.get("backbone"), backbones=d.get("backbones"),
                decoupled=dec)
    _check_references(grid)
    return grid


def _check_references(grid: Grid) -> None:
    def need(name, known, what):
        if name not in known:
            raise ConfigError(f"{grid.path}: {what} names '{name}', which is not defined; "
                              + _did_you_mean(name, list(known)))

    for dataset, spec in grid.datasets.items():
        need(spec["source"], SOURCE_DIRS, f"datasets.{dataset}.source")
        for loss in spec.get("losses", ()):
            need(loss, grid.losses, f"datasets.{dataset}.losses")
        for loss in spec.get("loss_overrides", {}):
            need(loss, _losses_of(grid, dataset), f"datasets.{dataset}.loss_overrides")
        try:
            grid.exp.format(dataset=dataset, backbone="b", loss="l")
        except (KeyError, IndexError, ValueError) as e:
            raise ConfigError(f"{grid.path}: exp pattern {grid.exp!r} is not valid ({e!r}); "
                              "it may use {dataset}, {backbone} and {loss}") from None
    if grid.decoupled:
        if grid.backbones:
            raise ConfigError(f"{grid.path}: decoupled cells need a grid without 'backbones'")
        for dataset, cells in grid.decoupled.cells.items():
            need(dataset, grid.datasets, "decoupled.cells")
            for loss, stage1 in cells.items():
                need(loss, _losses_of(grid, dataset), f"decoupled.cells.{dataset}")
                need(stage1, _losses_of(grid, dataset), f"decoupled.cells.{dataset}.{loss}.from")


def _losses_of(grid: Grid, dataset: str) -> list[str]:
    return list(grid.datasets[dataset].get("losses", grid.losses))


# ---- experiments ----

@dataclass(frozen=True)
class Resources:
    """What one training job asks the scheduler for (runtime grows with the retry attempt).
    ``shares_gpu``: a small one-GPU job that may run on a GPU together with other such jobs
    (:meth:`gpu_request`)."""
    gpu: int = 0
    cpus_per_gpu: int = 0
    threads: int = 1
    mem_mb: int = 16000
    runtime_min: int = 240
    shares_gpu: bool = False

    @classmethod
    def of(cls, spec: dict) -> Resources:
        gpu = spec.get("gpu", 0)
        if spec.get("shares_gpu") and gpu != 1:
            raise ConfigError(f"resources {spec}: shares_gpu applies to one-GPU jobs (gpu: 1)")
        return cls(gpu=gpu, cpus_per_gpu=spec.get("cpus_per_gpu", 0),
                   threads=max(1, gpu * spec.get("cpus_per_gpu", 1)),
                   mem_mb=spec.get("mem_mb", 16000), runtime_min=spec.get("runtime_min", 240),
                   shares_gpu=bool(spec.get("shares_gpu", False)))

    def gpu_request(self, runs_per_gpu: int = 1, shared_gres: str | None = None) -> dict:
        """The job's GPU resources for Snakemake. ``gpu``: whole GPUs (SLURM ``--gpus``); ``gpu_slots``:
        1/runs_per_gpu of a GPU each (the local profile allows GPUs x runs_per_gpu at once); ``gres``: the
        SLURM GRES of a shared GPU (e.g. ``shard:1``, ``mps:25``), None when not shared. A ``shares_gpu`` job
        is shared when the profile packs (runs_per_gpu > 1) or names a GRES: it then takes no whole GPU."""
        shared = self.shares_gpu and (runs_per_gpu > 1 or bool(shared_gres))
        if shared:
            return {"gpu": 0, "gpu_slots": 1, "gres": shared_gres or None}
        return {"gpu": self.gpu, "gpu_slots": self.gpu * runs_per_gpu, "gres": None}


def runtime_request(minutes: int, attempt: int, limit: int | None = None) -> int:
    """Minutes a job asks the scheduler for: ``minutes`` x attempt (a retry gets more time), at most the site's
    time limit ``limit`` (profiles/slurm LT_SLURM_MAX_RUNTIME). A job stopped at the limit saves a checkpoint on
    SLURM's SIGTERM (PreemptionHook) and its retry resumes from it, so capping loses no work."""
    asked = minutes * attempt
    return min(asked, limit) if limit else asked


def runs_per_gpu(limits: dict) -> int:
    """K, the ``shares_gpu`` jobs one GPU runs at once, from a profile's global resource limits (name -> int):
    gpu_slots / gpu (profiles/local sets gpu=N, gpu_slots=N*K); 1 without both."""
    gpus, slots = limits.get("gpu"), limits.get("gpu_slots")
    return max(1, slots // gpus) if isinstance(gpus, int) and isinstance(slots, int) and gpus > 0 else 1


@dataclass(frozen=True)
class Split:
    """The long-tailed split a classification experiment trains on (lt_repro.data split)."""
    dataset: str
    path: str
    source: str
    root: str
    args: str  # --rho / --protocol / --seed of the split command


@dataclass(frozen=True)
class Experiment:
    """One cell of a grid: results/<slug>/<name>/seed-<n>/ for each seed.

    `overrides` are the `--set` pairs in the order they are applied. A stage-2 (decoupled) cell names
    its stage-1 experiment and the checkpoint of it to start from. `weights` (detection only):
    evaluate these released weights instead of training.
    """
    slug: str
    name: str
    config: str
    overrides: dict
    meta: dict
    resources: Resources
    seeds: tuple = (0,)
    entry: str = "lt_repro.train"  # or lt_repro.detect
    split: Split | None = None
    stage1: str | None = None
    checkpoint: str | None = None
    weights: str | None = None


def _split_of(grid: Grid, slug: str, dataset: str, data_root: str) -> Split:
    spec = grid.datasets[dataset]
    args = [f"--rho {spec['rho']}"] if "rho" in spec else []
    args += [f"--protocol {spec['protocol']}"] if "protocol" in spec else []
    args += [f"--seed {spec['split_seed']}"] if "split_seed" in spec else []
    args += [f"--n-max {spec['n_max']}"] if "n_max" in spec else []
    args += [f"--val-per-class {spec['val_per_class']}"] if "val_per_class" in spec else []
    return Split(dataset=dataset, path=f"{data_root}/splits/{slug}/{dataset}.split.json", source=spec["source"],
                 root=f"{data_root}/{SOURCE_DIRS[spec['source']]}", args=" ".join(args))


def _data_overrides(parts, split: Split) -> dict:
    return {f"{part}_dataloader.dataset.{key}": value for part in parts
            for key, value in (("split_file", split.path), ("root", split.root), ("source", split.source))}


def experiments(grid: Grid, *, slug: str, data_root: str = "data") -> list[Experiment]:
    """Every cell of a paper grid: datasets x backbones x that dataset's losses, in file order,
    then the decoupled (stage-2) cells."""
    cells = []
    for dataset, spec in grid.datasets.items():
        for backbone, bb_overrides in (grid.backbones or {None: {}}).items():
            for loss in _losses_of(grid, dataset):
                cells.append(_cell(grid, slug, data_root, dataset, backbone, bb_overrides, loss))
    if grid.decoupled:
        for dataset, stage2 in grid.decoupled.cells.items():
            for loss, stage1 in stage2.items():
                cells.append(_decoupled_cell(grid, slug, data_root, dataset, loss, stage1))
    names = [c.name for c in cells]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise ConfigError(f"{grid.path}: the exp pattern {grid.exp!r} gives the same name to several cells: {twice}")
    return cells


def _overrides(grid: Grid, dataset: str, split: Split, loss: str, backbone_overrides: dict) -> dict:
    spec = grid.datasets[dataset]
    return {**_data_overrides(spec.get("parts", grid.parts), split), **grid.overrides, **spec.get("overrides", {}),
            **backbone_overrides, **grid.losses[loss], **spec.get("loss_overrides", {}).get(loss, {})}


def _cell(grid, slug, data_root, dataset, backbone, bb_overrides, loss) -> Experiment:
    spec = grid.datasets[dataset]
    split = _split_of(grid, slug, dataset, data_root)
    meta = {"dataset": dataset, "loss": loss, "imbalance_ratio": spec.get("rho"),
            "backbone": backbone or spec.get("backbone") or grid.backbone}
    return Experiment(
        slug=slug, name=grid.exp.format(dataset=dataset, backbone=backbone, loss=loss),
        config=spec.get("config", grid.config), overrides=_overrides(grid, dataset, split, loss, bb_overrides),
        meta=meta, resources=Resources.of({**grid.resources, **spec.get("resources", {})}),
        seeds=grid.seeds, split=split)


def _decoupled_cell(grid, slug, data_root, dataset, loss, stage1_loss) -> Experiment:
    """Stage 2: the stage-2 loss's overrides on the decoupled config, from the stage-1 cell's checkpoint."""
    spec, dec = grid.datasets[dataset], grid.decoupled
    split = _split_of(grid, slug, dataset, data_root)
    name = grid.exp.format(dataset=dataset, backbone=None, loss=loss)
    stage1 = grid.exp.format(dataset=dataset, backbone=None, loss=stage1_loss)
    meta = {"dataset": dataset, "loss": loss, "imbalance_ratio": spec.get("rho"), "stage1_exp": stage1,
            "backbone": spec.get("backbone") or grid.backbone}
    return Experiment(
        slug=slug, name=f"{name}-decoupled", config=dec.config,
        overrides=_overrides(grid, dataset, split, loss, {}), meta=meta,
        resources=Resources.of({**grid.resources, **spec.get("resources", {}), **dec.resources}),
        seeds=grid.seeds, split=split, stage1=stage1, checkpoint=dec.checkpoint)


def load_demo_grid(path: str | Path) -> dict:
    """Read and validate the demo grid (demo_grid.schema.yaml); returned as its dict."""
    return _load(path, "demo_grid.schema.yaml")


def demo_experiments(grid: dict, *, data_root: str, seeds, threads: int) -> list[Experiment]:
    """Every dataset x loss of the demo grid, on the CPU; splits under <data_root>/demo/."""
    cells = []
    for dataset, spec in grid["datasets"].items():
        split = Split(dataset=dataset, path=f"{data_root}/demo/{dataset}.split.json", source=spec["source"],
                      root=f"{data_root}/mnist",
                      args=f"--rho {spec['rho']} --n-max {spec['n_max']} --val-per-class {spec['val_per_class']}")
        data = {f"{part}_dataloader.dataset.{key}": value for part in ("train", "val", "test")
                for key, value in (("split_file", split.path), ("root", split.root))}
        for loss, overrides in grid["losses"].items():
            cells.append(Experiment(
                slug="demo", name=f"{dataset}_{loss}", config=grid["config"],
                overrides={**data, **grid.get("overrides", {}), **overrides},
                meta={"dataset": dataset, "loss": loss, "imbalance_ratio": spec["rho"], "backbone": "SmallCNN"},
                resources=Resources(threads=threads, mem_mb=3000, runtime_min=30), seeds=tuple(seeds), split=split))
    return cells


def lvis_overrides(version: str, data_root: str, *, wrapped: bool) -> dict:
    """Point an mmdet LVIS config at <data_root>/lvis_<version>/ (the configs say data/lvis_<version>/ relative
    to the repository). `wrapped`: the train set is inside a ClassBalancedDataset (repeat-factor sampling)."""
    root = f"{data_root}/lvis_{version}/"
    train = "train_dataloader.dataset.dataset" if wrapped else "train_dataloader.dataset"
    return {f"{train}.data_root": root, "val_dataloader.dataset.data_root": root,
            "test_dataloader.dataset.data_root": root,
            "val_evaluator.ann_file": f"{root}annotations/lvis_{version}_val.json",
            "test_evaluator.ann_file": f"{root}annotations/lvis_{version}_val.json"}


def lvis_experiment(slug: str, name: str, config: str, *, version: str, sampler: str, meta: dict,
                    resources: Resources, data_root: str, weights: str | None = None) -> Experiment:
    """One LVIS detection cell (lt_repro.detect on an mmdet config); sampler 'rfs' = repeat-factor sampling.
    With `weights` it evaluates those released weights instead of training."""
    return Experiment(slug=slug, name=name, config=config, meta=meta, resources=resources, entry="lt_repro.detect",
                      overrides=lvis_overrides(version, data_root, wrapped=sampler == "rfs"), weights=weights)


# ---- commands ----

def run_dir(root: str, slug: str, exp: str, seed) -> str:
    return f"{root}/{slug}/{exp}/seed-{seed}"


def set_args(overrides: dict) -> str:
    """Overrides as `--set key=value` arguments, values in Python literal syntax."""
    return " ".join(shlex.quote(f"{k}={v!r}") for k, v in overrides.items())


def command(exp: Experiment, seed, *, python: str, work_root: str, out_dir, threads: int = 1) -> str:
    """The shell command that trains (or, with weights, evaluates) one seed of an experiment and writes
    out_dir/metrics.json and record.json. With more than one GPU it runs under torchrun, one process
    per GPU. `threads`: torch threads of lt_repro.train (lt_repro.detect sets its own)."""
    gpus = exp.resources.gpu
    launch = (f"{python} -m torch.distributed.run --standalone --nproc-per-node {gpus} -m {exp.entry}"
              if gpus > 1 else f"{python} -m {exp.entry}")
    extra = " --launcher pytorch" if gpus > 1 else ""
    detect = exp.entry == "lt_repro.detect"
    if exp.weights:
        extra += f" --eval-only {exp.weights}"
    cmd = (f"{launch} {exp.config} --work-dir {run_dir(work_root, exp.slug, exp.name, seed)} --out-dir {out_dir} "
           f"--seed {seed} --slug {exp.slug} --exp {exp.name} "
           + ("--no-progress " if detect else f"--threads {threads} ")
           + f"--meta {shlex.quote(json.dumps(exp.meta))}{extra} --set {set_args(exp.overrides)}")
    if exp.stage1:
        cmd += f" --init-from {run_dir(work_root, exp.slug, exp.stage1, seed)}/{exp.checkpoint}"
    return cmd
