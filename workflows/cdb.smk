# Class-wise Difficulty-Balanced loss (Sinha et al. 2020): long-tailed CIFAR-100 and ImageNet-LT
# (configs/cdb/grid.yaml), and EGTEA Gaze+ verbs with a 3D ResNeXt-101 (configs/cdb/grid-egtea.yaml).

register_grid("cdb", "configs/cdb/grid.yaml", CLASSIFICATION_DATA)

# EGTEA (lt_repro/data/egtea.py): the official split lists are downloaded (sha256); the trimmed clips and
# kenshohara's Kinetics weights are user-provided (not Snakemake inputs, so dry runs work without them; the
# frames and train jobs name the missing file). Every frame of the clips of each list is extracted once
# (resumable, one checksummed manifest per list); the split is made from the lists alone.
EGTEA = f"{DATA}/egtea"
EGTEA_LISTS = [f"{EGTEA}/{s}_split.txt" for s in ("train", "val", "test")]
EGTEA_FRAMES = [f"{EGTEA}/frames/{s}.manifest.json" for s in ("train", "val", "test")]
EGTEA_KINETICS = f"{EGTEA}/resnext-101-kinetics.pth"

register_grid("cdb", "configs/cdb/grid-egtea.yaml", {"egtea": EGTEA_LISTS},
              more_inputs={"egtea": {"frames": EGTEA_FRAMES}},
              more_overrides={"egtea": {"model.backbone.pretrained": EGTEA_KINETICS}})


localrules:
    fetch_egtea_lists,


rule fetch_egtea_lists:
    output:
        EGTEA_LISTS,
    params:
        py=PY,
        root=lambda wc, output: Path(output[0]).parent,
    log:
        f"{WORK}/logs/data/egtea-lists.log",
    shell:
        "{params.py} -m lt_repro.data fetch egtea --root {params.root} > {log} 2>&1"


rule egtea_frames:
    input:
        f"{EGTEA}/{{part}}_split.txt",
    output:
        f"{EGTEA}/frames/{{part}}.manifest.json",
    wildcard_constraints:
        part="train|val|test",
    params:
        py=PY,
        root=lambda wc, input: Path(input[0]).parent,
    threads: 8
    resources:
        mem_mb=8000,
        runtime=lambda wc, attempt: lt_grid.runtime_request(240, attempt, config["max_runtime_min"]),  # resumes
    log:
        f"{WORK}/logs/data/egtea-frames-{{part}}.log",
    shell:
        "{params.py} -m lt_repro.data frames egtea --root {params.root} --list {wildcards.part} "
        "--workers {threads} > {log} 2>&1"


rule cdb:
    input:
        paper_target("cdb"),
