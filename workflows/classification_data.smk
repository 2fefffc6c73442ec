# Data rules of the single-label classification grids: CIFAR and the ImageNet-LT val/test lists
# (downloaded, checksummed), and the long-tailed split of every (paper, dataset) that register_grid
# (common.smk) registered.
# User-provided data (ILSVRC-2012 images, the ImageNet-LT train list, iNaturalist) are not Snakemake
# inputs, so dry runs work without them; the split and train jobs then fail with an error naming the
# missing file and the expected layout (lt_repro/data/imagenet.py, inat.py).

CIFAR_FILES = {
    "cifar10": [f"{DATA}/cifar/cifar-10-batches-py/{n}" for n in
                ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch", "batches.meta"]],
    "cifar100": [f"{DATA}/cifar/cifar-100-python/{n}" for n in ["train", "test", "meta"]],
}
# data source -> the files its split is made from (register_grid's data_files)
CLASSIFICATION_DATA = {
    **CIFAR_FILES,
    "imagenet-lt": [f"{DATA}/imagenet/ImageNet_LT_{s}.txt" for s in ("val", "test")],
    "imagenet": [],
    "inat2017": [],
    "inat2018": [],
}


localrules:
    fetch_imagenet_lt_lists,


for _src in CIFAR_FILES:

    rule:
        name:
            f"fetch_{_src}"
        output:
            CIFAR_FILES[_src],
        params:
            py=PY,
            src=_src,
            root=lambda wc, output: Path(output[0]).parent.parent,
        log:
            f"{WORK}/logs/data/{_src}.log",
        shell:
            "{params.py} -m lt_repro.data fetch {params.src} --root {params.root} > {log} 2>&1"


rule fetch_imagenet_lt_lists:
    output:
        [f"{DATA}/imagenet/ImageNet_LT_{s}.txt" for s in ("val", "test")],
    params:
        py=PY,
        root=lambda wc, output: Path(output[0]).parent,
    log:
        f"{WORK}/logs/data/imagenet-lt-lists.log",
    shell:
        "{params.py} -m lt_repro.data fetch imagenet-lt --root {params.root} > {log} 2>&1"


rule classification_split:
    input:
        lambda wc: split_of(wc)[1],
    output:
        f"{DATA}/splits/{{slug}}/{{dataset}}.split.json",
    params:
        py=PY,
        source=lambda wc: split_of(wc)[0].source,
        root=lambda wc: split_of(wc)[0].root,
        args=lambda wc: split_of(wc)[0].args,
    log:
        f"{WORK}/logs/data/{{slug}}-{{dataset}}.split.log",
    shell:
        "{params.py} -m lt_repro.data split {params.source} --root {params.root} {params.args} --out {output} > {log} 2>&1"
