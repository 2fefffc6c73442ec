# LVIS instance segmentation (mmdet 3.3.0), shared by eql.smk (LVIS v0.5) and seesaw.smk (LVIS v1):
# COCO 2017 images and LVIS annotations, fetched by local rules, once, and the job every LVIS cell runs:
# torchrun --nproc-per-node 8 -m lt_repro.detect CONFIG ... --launcher pytorch (lt_repro.grid.lvis_experiment).
# LVIS v0.5 has no published checksum (lt_repro/data/lvis.py): its download needs
# `--config allow_unverified_downloads=true`, or the two archives placed by hand under data/lvis_v0.5/archives/.

COCO_MARKERS = [f"{DATA}/coco/.train2017.complete", f"{DATA}/coco/.val2017.complete"]
LVIS_ANNOTATIONS = {  # the `train_ann` / `val_ann` inputs of an LVIS cell
    v: {"train_ann": f"{DATA}/lvis_{v}/annotations/lvis_{v}_train.json",
        "val_ann": f"{DATA}/lvis_{v}/annotations/lvis_{v}_val.json"}
    for v in ("v1", "v0.5")
}
# source: mmdet seesaw/lvis configs: 8 GPUs x 2 images = 16 images per batch; 4 CPUs per GPU (2 dataloader
# workers + the main process) and the memory are our choice. Runtime: per cell, in the paper files.
LVIS_JOB = dict(gpu=8, cpus_per_gpu=4, threads=8 * 4, mem_mb=160000)


wildcard_constraints:
    lvis_version=r"v1|v0\.5",


localrules:
    coco_images,
    lvis_annotations,


rule coco_images:
    output:
        COCO_MARKERS,
    params:
        py=PY,
        root=lambda wc, output: Path(output[0]).parent,
    log:
        f"{WORK}/logs/data/coco.log",
    shell:
        "{params.py} -m lt_repro.data.coco --root {params.root} > {log} 2>&1"


rule lvis_annotations:
    output:
        train=f"{DATA}/lvis_{{lvis_version}}/annotations/lvis_{{lvis_version}}_train.json",
        val=f"{DATA}/lvis_{{lvis_version}}/annotations/lvis_{{lvis_version}}_val.json",
    params:
        py=PY,
        root=lambda wc, output: Path(output.train).parents[2],
        coco=lambda wc, output: Path(output.train).parents[2] / "coco",
        unverified="--allow-unverified" if config["allow_unverified_downloads"] else "",
    log:
        f"{WORK}/logs/data/lvis_{{lvis_version}}.log",
    shell:
        "{params.py} -m lt_repro.data.lvis {wildcards.lvis_version} --root {params.root} --coco-root {params.coco} "
        "--no-images {params.unverified} > {log} 2>&1"
