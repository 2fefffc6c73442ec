# Two-stage (decoupled) classification cells: a grid's `decoupled` section (see configs/seesaw/cls_grid.yaml)
# adds `<exp>-decoupled` runs that re-train from the last checkpoint of the end-to-end run `<exp>`.
# Include after the paper files that register the end-to-end cells (workflows/seesaw.smk).


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
    meta = {"dataset": dataset, "loss": loss, "imbalance_ratio": spec.get("rho"), "stage1_exp": stage1}
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


PAPER_RUNS["seesaw"] += register_decoupled_cells("seesaw", "configs/seesaw/cls_grid.yaml")
