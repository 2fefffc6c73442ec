# Single-label classification grids (cb, cdb, and the classification cells of eql and seesaw).
# A paper file registers a grid with one line:
#     PAPER_RUNS["cb"] += register_classification_grid("cb", "configs/cb/grid.yaml")
# Grid schema (see configs/cb/grid.yaml): config, exp (pattern over {dataset} {backbone} {loss}),
# resources, seeds, datasets (source, protocol, rho, and optional config/parts/losses/overrides/
# loss_overrides/resources),
# losses and optional backbones (dotted --set overrides).

CIFAR_FILES = {
    "cifar10": [f"{DATA}/cifar/cifar-10-batches-py/{n}" for n in
                ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch", "batches.meta"]],
    "cifar100": [f"{DATA}/cifar/cifar-100-python/{n}" for n in ["train", "test", "meta"]],
}
# what a split needs on disk that a rule here can download (CIFAR, the ImageNet-LT val/test lists).
# User-provided data (ILSVRC-2012 images, the ImageNet-LT train list, iNaturalist) are not Snakemake
# inputs, so dry runs work without them; the split and train jobs then fail with an error naming the
# missing file and the expected layout (lt_repro/data/imagenet.py, inat.py).
SOURCE_ROOT = {"cifar10": "cifar", "cifar100": "cifar", "imagenet-lt": "imagenet", "imagenet": "imagenet",
               "inat2017": "inat2017", "inat2018": "inat2018"}
SOURCE_FILES = {
    **CIFAR_FILES,
    "imagenet-lt": [f"{DATA}/imagenet/ImageNet_LT_{s}.txt" for s in ("val", "test")],
    "imagenet": [],
    "inat2017": [],
    "inat2018": [],
}
CLS_DATASETS = {}  # (slug, dataset) → dataset spec of its grid


def _split_spec(wc):
    try:
        return CLS_DATASETS[(wc.slug, wc.dataset)]
    except KeyError:
        raise WorkflowError(f"no dataset '{wc.dataset}' in the classification grids of '{wc.slug}'") from None


def _split_args(spec):
    args = [f"--rho {spec['rho']}"] if "rho" in spec else []
    args += [f"--protocol {spec['protocol']}"] if "protocol" in spec else []
    args += [f"--seed {spec['split_seed']}"] if "split_seed" in spec else []
    return " ".join(args)


def register_classification_grid(slug, path):
    """Register every cell (dataset × backbone × loss × seed) of a classification grid; returns the
    metrics.json paths, to be appended to PAPER_RUNS[slug]."""
    grid = load_grid(path)
    runs = []
    backbones = grid.get("backbones") or {None: {}}
    for dataset, spec in grid["datasets"].items():
        if (slug, dataset) in CLS_DATASETS and CLS_DATASETS[(slug, dataset)] != spec:
            raise WorkflowError(f"{path}: dataset '{dataset}' of '{slug}' is defined twice, differently")
        CLS_DATASETS[(slug, dataset)] = spec
        for backbone, bb_overrides in backbones.items():
            for loss in spec.get("losses", grid["losses"]):
                runs += _register_cell(slug, grid, path, dataset, spec, backbone, bb_overrides, loss)
    return runs


def _register_cell(slug, grid, path, dataset, spec, backbone, bb_overrides, loss):
    if loss not in grid["losses"]:
        raise WorkflowError(f"{path}: dataset '{dataset}' lists loss '{loss}', which is not under 'losses'")
    config_file = spec.get("config", grid["config"])
    split = f"{DATA}/splits/{slug}/{dataset}.split.json"
    root = f"{DATA}/{SOURCE_ROOT[spec['source']]}"
    data = {f"{part}_dataloader.dataset.{key}": value for part in spec.get("parts", grid.get("parts", ["train", "test"]))
            for key, value in (("split_file", split), ("root", root), ("source", spec["source"]))}
    # a dataset's loss_overrides (e.g. the paper's per-column β, γ) refine the loss entry, so they come last
    overrides = {**data, **spec.get("overrides", {}), **bb_overrides, **grid["losses"][loss],
                 **spec.get("loss_overrides", {}).get(loss, {})}
    res = {**grid.get("resources", {}), **spec.get("resources", {})}
    gpus = res.get("gpu", 0)
    exp = grid.get("exp", "{dataset}_{loss}").format(dataset=dataset, backbone=backbone, loss=loss)
    meta = {"dataset": dataset, "loss": loss, "imbalance_ratio": spec.get("rho"),
            "backbone": backbone or spec.get("backbone") or grid.get("backbone")}
    return register(
        slug, exp,
        command=train_command(config_file, slug=slug, overrides=overrides, meta=meta, launcher_gpus=gpus),
        inputs={"config": config_file, "split": split, "data": SOURCE_FILES[spec["source"]]},
        gpu=gpus, cpus_per_gpu=res.get("cpus_per_gpu", 0), threads=max(1, gpus * res.get("cpus_per_gpu", 1)),
        mem_mb=res.get("mem_mb", 16000), runtime_min=res.get("runtime_min", 240),
        seeds=grid.get("seeds", [0]),
    )


# Two-stage (decoupled) cells: a grid's `decoupled` section adds `<exp>-decoupled` runs that
# re-train from the last checkpoint of the end-to-end run `<exp>`.
def register_decoupled_cells(slug, path):
    """Register the stage-2 cell of every (dataset, loss) under the grid's `decoupled.cells`; each depends
    on its stage-1 metrics.json (all seeds) and starts from <stage-1 work dir>/<decoupled.checkpoint>."""
    grid = load_grid(path)
    dec = grid["decoupled"]
    runs = []
    for dataset, losses in dec["cells"].items():
        spec = grid["datasets"][dataset]
        for loss in losses:
            runs += _register_decoupled(slug, grid, path, dec, dataset, spec, loss)
    return runs


def _register_decoupled(slug, grid, path, dec, dataset, spec, loss):
    if loss not in spec.get("losses", grid["losses"]):
        raise WorkflowError(f"{path}: decoupled.cells.{dataset} lists '{loss}', which is not a cell of '{dataset}'")
    stage1 = grid.get("exp", "{dataset}_{loss}").format(dataset=dataset, backbone=None, loss=loss)
    if (slug, stage1) not in EXPERIMENTS:
        raise WorkflowError(f"{path}: decoupled cell needs '{slug}/{stage1}'; register the grid before its decoupled cells")
    split = f"{DATA}/splits/{slug}/{dataset}.split.json"
    root = f"{DATA}/{SOURCE_ROOT[spec['source']]}"
    data = {f"{part}_dataloader.dataset.{key}": value for part in spec.get("parts", grid.get("parts", ["train", "test"]))
            for key, value in (("split_file", split), ("root", root), ("source", spec["source"]))}
    overrides = {**data, **spec.get("overrides", {}), **grid["losses"][loss],
                 **spec.get("loss_overrides", {}).get(loss, {})}
    res = {**grid.get("resources", {}), **spec.get("resources", {}), **dec.get("resources", {})}
    gpus = res.get("gpu", 0)
    meta = {"dataset": dataset, "loss": loss, "imbalance_ratio": spec.get("rho"), "stage1_exp": stage1,
            "backbone": spec.get("backbone") or grid.get("backbone")}
    base = train_command(dec["config"], slug=slug, overrides=overrides, meta=meta, launcher_gpus=gpus)

    def command(wc, out_dir):
        return f"{base(wc, out_dir)} --init-from {run_dir(WORK, slug, stage1, wc.seed)}/{dec['checkpoint']}"

    seeds = grid.get("seeds", [0])
    return register(
        slug, f"{stage1}-decoupled", command=command,
        inputs={"config": dec["config"], "split": split, "data": SOURCE_FILES[spec["source"]],
                "stage1": [f"{RESULTS}/{slug}/{stage1}/seed-{s}/metrics.json" for s in seeds]},
        gpu=gpus, cpus_per_gpu=res.get("cpus_per_gpu", 0), threads=max(1, gpus * res.get("cpus_per_gpu", 1)),
        mem_mb=res.get("mem_mb", 16000), runtime_min=res.get("runtime_min", 240), seeds=seeds,
    )
