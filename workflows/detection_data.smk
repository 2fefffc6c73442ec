# Rules of the detection track: COCO/LVIS data, released checkpoints, and the eval-only
# `seesaw_zoo` target. The grids and their helpers are in workflows/detection.smk.


wildcard_constraints:
    lvis_version=r"v1|v0\.5",


localrules:
    coco_images,
    lvis_annotations,
    zoo_checkpoint,


rule coco_images:
    output:
        COCO_MARKERS,
    params:
        py=PY,
        root=lambda wc, output: Path(output[0]).parent,
    log:
        f"{WORK}/logs/data/coco.log",
    conda:
        "../environment.yml"
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
        unverified="--allow-unverified" if config.get("allow_unverified_downloads", False) else "",
    log:
        f"{WORK}/logs/data/lvis_{{lvis_version}}.log",
    conda:
        "../environment.yml"
    shell:
        "{params.py} -m lt_repro.data.lvis {wildcards.lvis_version} --root {params.root} --coco-root {params.coco} "
        "--no-images {params.unverified} > {log} 2>&1"


rule zoo_checkpoint:
    output:
        f"{DATA}/checkpoints/{{name}}.pth",
    params:
        py=PY,
        url=lambda wc: f"{ZOO}{wc.name}.pth",
    log:
        f"{WORK}/logs/data/zoo_{{name}}.log",
    conda:
        "../environment.yml"
    shell:
        # mmdet publishes the first 8 hex digits of each file's sha256 in its name; checked after download
        "{params.py} -m lt_repro.data.zoo {params.url} {output} > {log} 2>&1"


rule seesaw_zoo:
    input:
        SEESAW_ZOO_RUNS,
